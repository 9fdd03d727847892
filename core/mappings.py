"""Nested-mapping helpers shared by config flattening, tracking and the cost model."""
from __future__ import annotations

from typing import Dict


def flatten(obj, prefix: str = "") -> Dict[str, object]:
    """Nested dicts to dotted keys ({"a": {"b": 1}} -> {"a.b": 1}); other values are leaves."""
    out: Dict[str, object] = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(flatten(v, f"{prefix}{k}."))
    elif prefix:
        out[prefix[:-1]] = obj
    return out
