"""The `oracle` strategy: a benchmark's ground-truth inferences, copied as a labelled shard.

It is a ceiling control, never model output: every record must say strategy
"oracle" and model "oracle", and it lives in its own `oracle/` folder so a
training mix only includes it when asked for by name. `oracle2` is the same facts in both
directions (family: "A grandparent of Y is X." beside "X is a grandparent of Y."), copied from
`oracle2.jsonl` into `oracle2/` the same way.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

from augft.core.artifacts import AugmentOutput, Manifest, StrategyEntry
from augft.core.errors import AugftError
from augft.core.records import Augmentation, read_records, write_parquet


def copy_oracle(data_dir: Path, out_dir: Path, n_documents: int,
                strategy: str = "oracle") -> Tuple[StrategyEntry, List[str]]:
    """Write `<strategy>/part-00000.parquet` from the benchmark's file for `strategy` (oracle:
    oracle.jsonl; oracle2, both directions: oracle2.jsonl); returns its manifest entry and the
    statements."""
    from augft.augment.registry import spec

    src = Path(data_dir) / str(spec(strategy).data_file)
    if not src.is_file():
        more = ("; family only, and a folder generated before oracle2 existed lacks it: run augft benchmark "
                "into it again (augft run does so itself)" if strategy == "oracle2" else "")
        raise AugftError(f"the {strategy} strategy needs {src} (written by the built-in benchmarks{more}); "
                         "user data has no oracle")
    recs = read_records(src, Augmentation)
    for i, r in enumerate(recs, 1):
        if r.strategy != strategy or r.model != "oracle":
            raise AugftError(f"{src}:{i}: {strategy} records must have strategy '{strategy}' and model 'oracle' "
                             f"(got strategy={r.strategy!r}, model={r.model!r})")
    write_parquet(AugmentOutput(out_dir).strategy_dir(strategy) / "part-00000.parquet", recs)
    # No model ran: zero generation cost.
    entry = StrategyEntry(writer="benchmark", ok=len(recs), inputs=len(recs), shards=["part-00000.parquet"],
                          documents=n_documents)
    return entry, [r.text for r in recs]


def write_oracle_output(data_dir: Path, out_dir: Path, n_documents: int = 0, strategy: str = "oracle") -> Manifest:
    """A complete augment output folder holding only that oracle strategy (shard + manifest)."""
    entry, _ = copy_oracle(data_dir, out_dir, n_documents, strategy)
    manifest = Manifest(strategies={strategy: entry}, model="oracle")
    AugmentOutput(out_dir).write_manifest(manifest)
    return manifest
