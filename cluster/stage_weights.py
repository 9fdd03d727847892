"""Stage model weights onto the shared volume before a study: `python -m augft.cluster.stage_weights
SOURCE DEST [SOURCE DEST ...]`.

SOURCE is an object-store URI (`s3://bucket/models/llama-8b`, credentials from the environment:
the `augft-s3` Secret on Kubernetes) or a mounted folder; never a hub id or an http(s) URL, so a
cluster never downloads weights from a hub. DEST is a folder, relative paths under
$AUGFT_STORAGE. The copy goes to `DEST.partial` and is renamed when complete, so a pod never
loads half a model; a DEST that already holds a model is left alone (a rerun of the staging Job
is a no-op). A model folder must hold `config.json` and safetensors weights (augft loads
safetensors only).
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from augft.core.corpus import is_uri, open_location, public
from augft.core.errors import AugftError

ALLOWED_SCHEMES = ("s3://", "gs://", "gcs://", "abfs://", "hdfs://", "file://")


def check_source(source: str) -> None:
    if is_uri(source) and not source.startswith(ALLOWED_SCHEMES):
        raise AugftError(f"stage_weights: {public(source)}: only object stores ({', '.join(ALLOWED_SCHEMES)}) "
                         "or mounted folders are staged; weights are never downloaded from a hub")
    if not is_uri(source) and not Path(source).is_dir():
        raise AugftError(f"stage_weights: {source}: no such folder (a hub id is not a source: copy the "
                         "model to your bucket or a mounted volume first)")


def _dest(dest: str) -> Path:
    root = os.environ.get("AUGFT_STORAGE", "")
    p = Path(dest)
    return p if p.is_absolute() or not root else Path(root) / p


def _check_model(folder: Path, source: str) -> None:
    names = {p.name for p in folder.iterdir()}
    if "config.json" not in names or not any(n.endswith(".safetensors") for n in names):
        raise AugftError(f"stage_weights: {public(source)} is not a model folder with config.json and "
                         f"*.safetensors (found: {', '.join(sorted(names)[:8]) or 'nothing'})")


def stage(source: str, dest: str) -> Tuple[Path, bool]:
    """Copy one model folder; returns (destination, whether anything was copied)."""
    from pyarrow import fs as pafs

    check_source(source)
    final = _dest(dest)
    if final.is_dir() and (final / "config.json").is_file():
        return final, False
    partial = final.with_name(final.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    src_fs, src_path = open_location(source)
    if src_fs.get_file_info(src_path).type != pafs.FileType.Directory:
        raise AugftError(f"stage_weights: {public(source)}: no such folder")
    pafs.copy_files(src_path, str(partial), source_filesystem=src_fs,
                    destination_filesystem=pafs.LocalFileSystem(), use_threads=True)
    _check_model(partial, source)
    os.replace(partial, final)
    return final, True


def main(argv: Optional[Sequence[str]] = None) -> int:
    args: List[str] = list(sys.argv[1:] if argv is None else argv)
    if not args or len(args) % 2 or args[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        for source, dest in zip(args[::2], args[1::2]):
            final, copied = stage(source, dest)
            print(f"{public(source)} -> {final}: {'staged' if copied else 'already there'}", flush=True)
    except AugftError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
