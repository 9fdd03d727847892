"""The cost model: what each condition costs per query and once, and when fine-tuning pays off.

- per query: the tokens the model reads (ICL context + prompt + every choice, since all choices
  are scored) and FLOPs = 2 x params x tokens (the forward-pass estimate);
- one-off: training FLOPs from a train summary.json (`train_flops`) and augmentation FLOPs from an
  augment manifest.json (2 x the generating model's params x the token counts it reports), both
  optional;
- break-even: a fine-tuned condition F beats an ICL condition I after
  one_off(F) / (per_query(I) - per_query(F)) queries (never, when F is not cheaper per query).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Dict, Optional

from augft.core.artifacts import ArtifactError, AugmentOutput, TrainOutput, summary_train_flops
from augft.core.errors import AugftError


def _output(cls, path: str, key: str):
    p = Path(path)
    if not p.is_file():
        raise AugftError(f"{key}: {p} does not exist")
    return cls(p.parent)


def train_flops(path: str, key: str) -> float:
    """The one-off training cost recorded in a train output's summary.json (named by `key`)."""
    try:
        _output(TrainOutput, path, key)
        return summary_train_flops(Path(path))
    except ArtifactError as exc:
        raise AugftError(f"{exc} (named by {key})") from None


def augment_flops(path: str, key: str, n_params: int) -> float:
    """2 x params x the tokens an augmentation run read and wrote, from its manifest. The
    params are the generating model's when the manifest records them (a teacher), else `n_params`."""
    try:
        out = _output(AugmentOutput, path, key)
        tokens = out.token_count()
        params = out.generator_params() or n_params
    except ArtifactError as exc:
        raise AugftError(f"{exc} (named by {key})") from None
    entries = out.manifest()["strategies"].values()
    if not tokens and not all(e.get("model_free") or e.get("oracle") for e in entries):
        raise AugftError(f"{path}: the augment manifest has no token counts (named by {key})")
    return 2.0 * params * tokens


def cost_table(per_condition: Dict[str, dict], one_off: Dict[str, Dict[str, float]]) -> dict:
    """per_condition: {cond: {n_params, prompt_tokens_per_query, tokens_per_query, icl, finetuned}}.

    Break-even rows pair every fine-tuned condition without context with every ICL condition.
    """
    costs: Dict[str, dict] = {}
    for cond, c in per_condition.items():
        entry = dict(c)
        # A retriever's own compute (a dense query's embedding) is paid on every query too.
        entry["flops_per_query"] = 2.0 * c["n_params"] * c["tokens_per_query"] + \
            float(c.get("retrieval_flops_per_query") or 0.0)
        extra = one_off.get(cond, {})
        entry["train_flops"] = extra.get("train_flops")
        entry["augment_flops"] = extra.get("augment_flops")
        for name, v in extra.items():  # index_flops, teacher_flops: one-off costs of newer stages
            entry.setdefault(name, v)
        entry["one_off_flops"] = sum(v for v in extra.values() if v is not None)
        costs[cond] = entry
    break_even = {}
    for f, fc in costs.items():
        if fc["icl"] or not fc.get("finetuned"):
            continue
        for i, ic in costs.items():
            if not ic["icl"]:
                continue
            saving = ic["flops_per_query"] - fc["flops_per_query"]
            queries: Optional[float]
            if saving <= 0:
                queries = None  # never cheaper
            else:
                queries = float(math.ceil(fc["one_off_flops"] / saving)) if fc["one_off_flops"] else 0.0
            break_even[f"{f} vs {i}"] = {"queries": queries, "one_off_flops": fc["one_off_flops"],
                                        "saving_per_query_flops": saving,
                                        "one_off_known": bool(fc["one_off_flops"])}
    return {"conditions": costs, "break_even": break_even}
