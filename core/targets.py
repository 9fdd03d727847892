"""The teacher-target output: what context distillation trains on, one reader/writer.

Written by augment's teacher-target stage (`augment/targets/`), read by train (the distill mix)
and by the cost model (the teacher's FLOPs). Layout:

    targets.json           written last: top_k, model, model_params, context mode, per source the
                           texts, their tokens and the teacher's prompt tokens, the unit list
    part-<unit>.parquet    one row per training text (below)
    part-<unit>.stats.json the unit's counts; its presence marks the unit done (reruns skip it)

A row: id, source (`corpus` or a strategy), source_ids (JSON), text, context (the document ids
the teacher read, JSON), and three little-endian arrays as bytes: `tokens` (uint32, the text's
tokens plus EOS, as training tokenizes it), `topk_ids` (uint32, n x k) and `topk_lp` (float16,
n x k): row j is the teacher's k most likely next tokens and their log-probabilities at the
position that predicts token j, given the context and tokens < j (row 0 is unused: zeros).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import numpy as np

from augft.core.artifacts import ArtifactError, read_typed, write_artifact

MANIFEST = "targets.json"
"""Not `manifest.json`: an augment folder's manifest has another schema, and the two names were
confused."""


@dataclass
class SourceCount:
    texts: int = 0
    tokens: int = 0


@dataclass
class TargetsManifest:
    """A finished teacher-target run (`targets.json`, written last)."""
    SCHEMA = 2
    """2: the file is targets.json (was manifest.json)."""
    top_k: int
    model: str
    model_params: int
    engine: str
    context: str
    """What the teacher read: corpus or linked documents."""
    context_budget: int
    sources: Dict[str, SourceCount]
    prompt_tokens: int
    """The teacher's prompt tokens (each shared context once)."""
    units: List[str]
    wall_s: float = 0.0
    augmentations: List[str] = field(default_factory=list)
    schema: int = 2


@dataclass
class TargetRow:
    id: str
    source: str
    source_ids: List[str]
    text: str
    context: List[str]
    tokens: np.ndarray
    """(n,) uint32."""
    topk_ids: np.ndarray
    """(n, k) uint32."""
    topk_lp: np.ndarray
    """(n, k) float16."""

    def to_row(self) -> dict:
        return {"id": self.id, "source": self.source, "source_ids": json.dumps(self.source_ids),
                "text": self.text, "context": json.dumps(self.context),
                "tokens": self.tokens.astype("<u4").tobytes(), "topk_ids": self.topk_ids.astype("<u4").tobytes(),
                "topk_lp": self.topk_lp.astype("<f2").tobytes()}

    @classmethod
    def from_row(cls, r: dict, k: int) -> "TargetRow":
        tokens = np.frombuffer(r["tokens"], dtype="<u4")
        return cls(r["id"], r["source"], json.loads(r["source_ids"]), r["text"], json.loads(r["context"]),
                   tokens, np.frombuffer(r["topk_ids"], dtype="<u4").reshape(len(tokens), k),
                   np.frombuffer(r["topk_lp"], dtype="<f2").reshape(len(tokens), k))


@dataclass(frozen=True)
class TargetsOutput:
    """A teacher-target output folder."""
    dir: Path

    @property
    def manifest_path(self) -> Path:
        return Path(self.dir) / MANIFEST

    def finished(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> TargetsManifest:
        return read_typed(self.manifest_path, TargetsManifest, "teacher-target manifest")

    def write_manifest(self, m: TargetsManifest) -> Path:
        return write_artifact(self.manifest_path, m)

    def shard(self, unit: str) -> Path:
        return Path(self.dir) / f"part-{unit}.parquet"

    def stats_path(self, unit: str) -> Path:
        return Path(self.dir) / f"part-{unit}.stats.json"

    def sources(self) -> List[str]:
        return sorted(self.manifest().sources)

    def rows(self, sources: Optional[List[str]] = None) -> Iterator[TargetRow]:
        """Every row (of the given sources), unit by unit; a listed shard that is missing is an error."""
        import pyarrow.parquet as pq

        m = self.manifest()
        k = int(m.top_k)
        for unit in m.units:
            path = self.shard(unit)
            if not path.is_file():
                raise ArtifactError(f"{self.manifest_path}: unit {unit} is listed but {path} is missing")
            for r in pq.read_table(path).to_pylist():
                if sources is None or r["source"] in sources:
                    yield TargetRow.from_row(r, k)

    def teacher_flops(self) -> float:
        """2 x the teacher's params x the tokens it read (each shared context once)."""
        m = self.manifest()
        from augft.core.flops import forward_flops

        return forward_flops(m.model_params, m.prompt_tokens)
