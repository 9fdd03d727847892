"""The conditions a study compares, as one typed value with one parser.

A label is written
    base | icl | <trained> | <trained>+icl
    <trained> := ft | aug_ft | aug_ft[<strategy>+<strategy>...] | <name>
`base` is the pretrained model alone, `icl` the same model with the corpus in its context,
`ft` a model fine-tuned on the corpus, `aug_ft[...]` one fine-tuned on the corpus plus those
strategies' augmentations (bare `aug_ft`: the configured strategies), `<name>` any other
fine-tuned model named in `eval.models`, and `+icl` puts the corpus in that model's context.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Tuple

from augft.core.config.augment import Strategy
from augft.core.config.checks import ConfigError, values

_AUG = re.compile(r"^aug_ft(?:\[([A-Za-z0-9_]+(?:\+[A-Za-z0-9_]+)*)\])?$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_RESERVED = ("base", "icl")


@dataclass(frozen=True)
class Condition:
    trained: Optional[str] = None
    """The fine-tuned model's label (`ft`, `aug_ft`, `aug_ft[local]`, a custom name); None for the
    pretrained model."""
    icl: bool = False
    """Whether the corpus is in the model's context at evaluation."""
    strategies: Tuple[str, ...] = ()
    """Augmentation strategies the trained model's mix draws from (empty for ft and custom models)."""

    @property
    def label(self) -> str:
        if self.trained is None:
            return "icl" if self.icl else "base"
        return f"{self.trained}+icl" if self.icl else self.trained

    @property
    def model_label(self) -> str:
        """Which model answers: `base` or the trained label."""
        return self.trained or "base"

    @classmethod
    def fine_tuned(cls, strategies: Sequence[str] = ()) -> "Condition":
        """`ft` without strategies, else `aug_ft[a+b]`."""
        strategies = tuple(strategies)
        return cls("aug_ft[" + "+".join(strategies) + "]" if strategies else "ft", False, strategies)

    @classmethod
    def parse(cls, label: str, default_strategies: Sequence[str] = (),
              known_strategies: Optional[Iterable[str]] = None, key: str = "conditions") -> "Condition":
        """Parse one label; errors name the config `key` and the label. Strategies must be
        augment's (`known_strategies` defaults to every one augment has)."""
        label = str(label).strip()
        if label in _RESERVED:
            return cls(None, label == "icl")
        icl = label.endswith("+icl")
        trained = label[: -len("+icl")] if icl else label
        m = _AUG.match(trained)
        if trained == "ft" or (m is None and _NAME.match(trained) and trained not in _RESERVED
                               and not trained.startswith("aug_ft")):
            return cls(trained, icl)
        if m is None:
            raise ConfigError(f"config key '{key}': unknown condition '{label}' (expected base, icl, ft, "
                              "aug_ft[<strategy>+...], a model named in eval.models, or one of "
                              "those followed by +icl)", key=key)
        strategies = tuple(m.group(1).split("+")) if m.group(1) else tuple(default_strategies)
        known = [str(s) for s in (values(Strategy) if known_strategies is None else known_strategies)]
        bad = [s for s in strategies if s not in known]
        if bad:
            raise ConfigError(f"config key '{key}': '{label}' names unknown strategies {bad}; "
                              f"known: {', '.join(known)}", key=key)
        return cls(trained, icl, strategies)


def parse_all(labels: Iterable[str], default_strategies: Sequence[str] = (),
              known_strategies: Optional[Iterable[str]] = None, key: str = "conditions") -> List[Condition]:
    """Parse a list of labels (each once, in order); an empty list is an error."""
    out: List[Condition] = []
    seen = set()
    for label in labels:
        cond = Condition.parse(label, default_strategies, known_strategies, key)
        if cond.label in seen:
            raise ConfigError(f"config key '{key}': '{cond.label}' is listed twice")
        seen.add(cond.label)
        out.append(cond)
    if not out:
        raise ConfigError(f"config key '{key}' is empty: name at least one condition (e.g. [base, icl])")
    return out


def trained_models(conditions: Sequence[Condition]) -> List[Condition]:
    """The distinct fine-tuned models the conditions evaluate (without context), first mention first."""
    seen, out = set(), []
    for c in conditions:
        if c.trained and c.trained not in seen:
            seen.add(c.trained)
            out.append(Condition(c.trained, False, c.strategies))
    return out


def needed_strategies(conditions: Sequence[Condition]) -> List[str]:
    """Every strategy any condition's model trains on, first mention first."""
    out: List[str] = []
    for c in conditions:
        out.extend(s for s in c.strategies if s not in out)
    return out
