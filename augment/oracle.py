"""The `oracle` strategy: a benchmark's ground-truth inferences, copied as a labelled shard.

It is a ceiling control, never model output: every record must say strategy
"oracle" and model "oracle", and it lives in its own `oracle/` folder so a
training mix only includes it when asked for by name.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

from augft.core.artifacts import AugmentOutput, Manifest, StrategyEntry
from augft.core.errors import AugftError
from augft.core.records import Augmentation, read_records, write_parquet


def copy_oracle(data_dir: Path, out_dir: Path, n_documents: int) -> Tuple[StrategyEntry, List[str]]:
    """Write `oracle/part-00000.parquet`; returns its manifest entry and the statements."""
    src = Path(data_dir) / "oracle.jsonl"
    if not src.is_file():
        raise AugftError(f"the oracle strategy needs {src} (written by the built-in benchmarks); "
                         "user data has no oracle")
    recs = read_records(src, Augmentation)
    for i, r in enumerate(recs, 1):
        if r.strategy != "oracle" or r.model != "oracle":
            raise AugftError(f"{src}:{i}: oracle records must have strategy and model 'oracle' "
                             f"(got strategy={r.strategy!r}, model={r.model!r})")
    write_parquet(AugmentOutput(out_dir).strategy_dir("oracle") / "part-00000.parquet", recs)
    # No model ran: zero generation cost.
    entry = StrategyEntry(writer="benchmark", ok=len(recs), inputs=len(recs), shards=["part-00000.parquet"],
                          documents=n_documents)
    return entry, [r.text for r in recs]


def write_oracle_output(data_dir: Path, out_dir: Path, n_documents: int = 0) -> Manifest:
    """A complete augment output folder holding only the oracle strategy (shard + manifest)."""
    entry, _ = copy_oracle(data_dir, out_dir, n_documents)
    manifest = Manifest(strategies={"oracle": entry}, model="oracle")
    AugmentOutput(out_dir).write_manifest(manifest)
    return manifest
