"""What `augft plan` counts besides the augment planner's prompts: measured output lengths (a
previous run's manifests, or this machine's benchmark results), the training sources' example
lengths, and what each eval query reads."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from augft.core.artifacts import ArtifactError, AugmentOutput
from augft.core.errors import AugftError

REPO = Path(__file__).resolve().parents[1]
ENGINES_RESULT = REPO / "benchmarks" / "results" / "augment_engines.json"


@dataclass
class Measured:
    """One strategy as a finished run recorded it."""
    prompts: int
    completion_tokens: int
    candidates: int
    source: str
    kept_lengths: Optional[np.ndarray] = None
    """Tokens of each kept record (the training texts it adds), when the records were read."""

    @property
    def mean_out(self) -> float:
        """Output tokens per candidate."""
        return self.completion_tokens / max(1, self.prompts * self.candidates)


@dataclass
class MeasuredSet:
    strategies: Dict[str, Measured] = field(default_factory=dict)


def _manifest_dirs(folder: Path) -> List[Path]:
    if (folder / "manifest.json").is_file():
        return [folder]
    return sorted(p.parent for p in folder.glob("augment/*/manifest.json"))


def _from_folder(folder: Path, counter) -> MeasuredSet:
    """Every augment manifest in `folder` (a study's --out, or one augment output)."""
    if not folder.is_dir():
        raise AugftError(f"plan.measured: {folder} is not a folder")
    dirs = _manifest_dirs(folder)
    if not dirs:
        raise AugftError(f"plan.measured: {folder} holds no augment manifest.json (a study's --out or an "
                         "augment output folder)")
    out = MeasuredSet()
    for d in dirs:
        try:
            m = AugmentOutput(d).manifest()
        except ArtifactError as exc:
            raise AugftError(f"{exc} (named by plan.measured)") from None
        n = int(m.sampling.n) if m.sampling else 1
        for s, e in m.strategies.items():
            if e.writer != "model" or not e.prompts:
                continue
            texts = [r.text for r in _records(d, s)]
            out.strategies[s] = Measured(int(e.prompts), int(e.completion_tokens), n, str(d / "manifest.json"),
                                         np.asarray(counter.many(texts) if texts else [], dtype=np.int64))
    return out


def _records(folder: Path, strategy: str):
    from augft.core.records import Augmentation, read_records

    out = []
    for p in AugmentOutput(folder).shards(strategy):
        out += read_records(p, Augmentation)
    return out


def _from_benchmarks(cfg) -> MeasuredSet:
    """benchmarks/results/augment_engines.json: local augmentation of the embedded model at the
    quickstart settings on this machine; it speaks for a run with the same model and cap only."""
    from augft.core.config import load_config

    if not ENGINES_RESULT.is_file() or str(cfg.model.name) != "smollm2-135m-instruct" or cfg.augment.model:
        return MeasuredSet()
    quick = load_config(str(REPO / "configs" / "quickstart.yaml"), [])
    if int(quick.augment.max_new_tokens) != int(cfg.augment.max_new_tokens):
        return MeasuredSet()
    hf = json.loads(ENGINES_RESULT.read_text())["hf"]
    return MeasuredSet({"local": Measured(int(hf["prompts"]), int(hf["completion_tokens"]),
                                          int(quick.augment.num_candidates), str(ENGINES_RESULT.relative_to(REPO)))})


def measured(cfg, counter) -> MeasuredSet:
    """plan.measured's manifests, else this machine's benchmark results where they apply."""
    if str(cfg.plan.measured):
        return _from_folder(Path(str(cfg.plan.measured)), counter)
    return _from_benchmarks(cfg)


def text_lengths(path: Path, counter) -> np.ndarray:
    """Tokens of each record's `text` in a small JSONL file (a benchmark's oracle.jsonl)."""
    from augft.core.records import Augmentation, read_records

    texts = [r.text for r in read_records(path, Augmentation)]
    return np.asarray(counter.many(texts) if texts else [], dtype=np.int64)


@dataclass(frozen=True)
class QueryTokens:
    """What one eval query reads without context: the prompt, and the prompt plus every choice."""
    questions: int
    prompt: float
    scored: float


def query_tokens(data: Path, cfg, counter) -> QueryTokens:
    """Mean tokens per question of what eval scores: the test set with eval.splits and eval.limit
    applied, plus the retention split (eval's own selection)."""
    from augft.eval.api import _select_questions
    from augft.eval.request import EvalRequest

    qs = _select_questions(cfg, EvalRequest.from_config(cfg, data, ""))
    if not qs:
        return QueryTokens(0, 0.0, 0.0)
    prompts = counter.many([q.prompt for q in qs])
    choices = counter.many([_continuation(q.prompt, c, str(cfg.eval.target_delimiter)) for q in qs for c in q.choices])
    return QueryTokens(len(qs), sum(prompts) / len(qs), (sum(prompts) + sum(choices)) / len(qs))


def _continuation(prompt: str, choice: str, delimiter: str) -> str:
    """A choice as scoring reads it (eval/encoding.py: no delimiter after a space or before one)."""
    if not prompt or not delimiter or prompt[-1:].isspace() or choice[:1].isspace():
        return choice
    return delimiter + choice
