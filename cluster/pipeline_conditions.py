"""The study's conditions: which models to train and which evaluations to run."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from augft.core.errors import AugftError

_AUG = re.compile(r"^aug_ft(?:\[([A-Za-z0-9_+]+)\])?$")
STRATEGIES = ("local", "global", "entity", "oracle")


@dataclass(frozen=True)
class Condition:
    label: str
    """As written in pipeline.conditions, e.g. aug_ft[local+global] or ft+icl."""
    trained: Optional[str]
    """Label of the fine-tuned model it evaluates (ft, aug_ft[...]); None for base and icl."""
    strategies: Tuple[str, ...] = ()
    """Augmentation strategies the trained model's mix draws from."""
    icl: bool = False
    """Whether the corpus is put in context at evaluation."""


def parse_trained(label: str, default_strategies: Sequence[str]) -> Tuple[str, ...]:
    """Strategies of a trained label: ft -> (); aug_ft[a+b] -> (a, b); bare aug_ft -> defaults."""
    if label == "ft":
        return ()
    m = _AUG.match(label)
    if not m:
        raise AugftError(f"pipeline.conditions: unknown condition '{label}' (expected base, icl, ft, "
                         "aug_ft[<strategy>+...], or one of those trained labels followed by +icl)")
    strategies = tuple(m.group(1).split("+")) if m.group(1) else tuple(default_strategies)
    bad = [s for s in strategies if s not in STRATEGIES]
    if bad or not strategies:
        raise AugftError(f"pipeline.conditions: '{label}' names unknown strategies {bad}; "
                         f"known: {', '.join(STRATEGIES)}")
    return strategies


def parse_conditions(labels: Sequence[str], default_strategies: Sequence[str] = ("local",)) -> List[Condition]:
    out, seen = [], set()
    for label in labels:
        label = str(label).strip()
        if label in seen:
            continue
        seen.add(label)
        if label in ("base", "icl"):
            out.append(Condition(label, None, (), label == "icl"))
        elif label.endswith("+icl"):
            trained = label[: -len("+icl")]
            out.append(Condition(label, trained, parse_trained(trained, default_strategies), True))
        else:
            out.append(Condition(label, label, parse_trained(label, default_strategies), False))
    if not out:
        raise AugftError("pipeline.conditions is empty: name at least one condition (e.g. [base, ft])")
    return out


def trained_models(conditions: Sequence[Condition]) -> List[Tuple[str, Tuple[str, ...]]]:
    """Unique (trained label, strategies) in first-mention order."""
    seen, out = set(), []
    for c in conditions:
        if c.trained and c.trained not in seen:
            seen.add(c.trained)
            out.append((c.trained, c.strategies))
    return out


def needed_strategies(conditions: Sequence[Condition]) -> List[str]:
    seen: List[str] = []
    for c in conditions:
        for s in c.strategies:
            if s not in seen:
                seen.append(s)
    return seen
