"""The `oracle` strategy: a benchmark's ground-truth inferences, copied as a labelled shard.

It is a ceiling control, never model output: every record must say strategy
"oracle" and model "oracle", and it lives in its own `oracle/` folder so a
training mix only includes it when asked for by name.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

from core.errors import AugftError
from core.records import Augmentation, Document, read_records, write_parquet


def copy_oracle(data_dir: Path, out_dir: Path, docs: List[Document]) -> Tuple[Dict, List[str]]:
    src = Path(data_dir) / "oracle.jsonl"
    recs = read_records(src, Augmentation)
    for i, r in enumerate(recs, 1):
        if r.strategy != "oracle" or r.model != "oracle":
            raise AugftError(f"{src}:{i}: oracle records must have strategy and model 'oracle' "
                             f"(got strategy={r.strategy!r}, model={r.model!r})")
    write_parquet(Path(out_dir) / "oracle" / "part-00000.parquet", recs)
    stats = {"ok": len(recs), "filtered": {}, "failed": 0, "inputs": len(recs), "prompts": 0,
             "shards": ["part-00000.parquet"], "documents": len(docs), "oracle": True,
             "completion_tokens": 0, "gen_s": 0.0}
    return stats, [r.text for r in recs]
