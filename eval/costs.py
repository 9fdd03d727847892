"""The cost model: what each condition costs per query and once, and when fine-tuning pays off.

- per query: the tokens the model reads (ICL context + prompt + every choice, since all choices
  are scored) and FLOPs = 2 x params x tokens (the forward-pass estimate);
- one-off: training FLOPs from a train summary.json (`train_flops`) and augmentation FLOPs from an
  augment manifest.json (its own FLOPs field if it has one, else 2 x params x the token counts it
  reports), both optional;
- break-even: a fine-tuned condition F beats an ICL condition I after
  one_off(F) / (per_query(I) - per_query(F)) queries (never, when F is not cheaper per query).
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Dict, Optional

from core.errors import AugftError


def _load_json(path: str, key: str) -> dict:
    p = Path(path)
    if not p.is_file():
        raise AugftError(f"{key}: {p} does not exist")
    try:
        return json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise AugftError(f"{p}:{exc.lineno}: not valid JSON ({exc.msg}), named by {key}") from None


def train_flops(path: str, key: str) -> float:
    summary = _load_json(path, key)
    if not isinstance(summary.get("train_flops"), (int, float)):
        raise AugftError(f"{path}: no numeric 'train_flops' in this train summary (named by {key})")
    return float(summary["train_flops"])


def _walk_numbers(node, prefix=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk_numbers(v, f"{prefix}{k}.")
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield prefix[:-1], float(node)


def augment_flops(path: str, key: str, n_params: int) -> float:
    """FLOPs of an augmentation run, from its manifest."""
    manifest = _load_json(path, key)
    flops = [v for k, v in _walk_numbers(manifest) if k.split(".")[-1].endswith("flops")]
    if flops:
        return float(sum(flops))
    # Token counts as augment writes them: strategies.<name>[.<phase>].{prompt,completion}_tokens
    # (a settings leaf such as sampling.max_new_tokens is no count).
    tokens = [v for k, v in _walk_numbers(manifest.get("strategies", {}))
              if k.split(".")[-1] in ("prompt_tokens", "completion_tokens")]
    if not tokens:
        raise AugftError(f"{path}: the augment manifest has no token counts or FLOPs (named by {key})")
    return 2.0 * n_params * sum(tokens)


def cost_table(per_condition: Dict[str, dict], one_off: Dict[str, Dict[str, float]]) -> dict:
    """per_condition: {cond: {n_params, prompt_tokens_per_query, tokens_per_query, icl, finetuned}}.

    Break-even rows pair every fine-tuned condition without context with every ICL condition.
    """
    costs: Dict[str, dict] = {}
    for cond, c in per_condition.items():
        entry = dict(c)
        entry["flops_per_query"] = 2.0 * c["n_params"] * c["tokens_per_query"]
        extra = one_off.get(cond, {})
        entry["train_flops"] = extra.get("train_flops")
        entry["augment_flops"] = extra.get("augment_flops")
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
                                        "one_off_known": bool(fc["train_flops"] or fc["augment_flops"])}
    return {"conditions": costs, "break_even": break_even}
