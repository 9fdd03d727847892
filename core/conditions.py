"""The conditions a study compares, as one typed value with one parser.

A label is written
    base | icl | rag[<retriever>] | <trained> | <trained>+icl | <trained>+rag[<retriever>]
    <trained> := ft | aug_ft | aug_ft[<strategy>+...] | distill | distill[<strategy>+...] | <name>
    <strategy> := <name of a strategy> | <strategy><<strategy>   (a chain: `reverse<compose`)
`base` is the pretrained model alone, `icl` the same model with the corpus in its context,
`rag` the same model with the documents a retriever finds for each question in its context
(`rag[bm25]`, `rag[dense]`; bare `rag`: eval.rag.retriever), `ft` a model fine-tuned on the
corpus, `aug_ft[...]` one fine-tuned on the corpus plus those strategies' augmentations (bare
`aug_ft`: the configured strategies), `distill[...]` one trained by context distillation on the
corpus sentences plus those strategies' augmentations (bare `distill`: the corpus alone), `<name>`
any other fine-tuned model named in `eval.models`, and `+icl` / `+rag` give that model the
corpus / the retrieved documents in its context. `a<b` inside the brackets is strategy `a` run over
the records strategy `b` kept (core/chains.py): `aug_ft[local+reverse<compose]` trains on local's
and on reverse-over-compose's augmentations. Built-in names are lower case; a `<name>` must be
a key of `eval.models` (a study, which trains its own models, takes none), so a mistyped label
(`ICL`, `ft_icl`) is an error naming the nearest known one, never a model of its own.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from augft.core import chains
from augft.core.config.augment import Strategy
from augft.core.config.checks import ConfigError, values

_STRAT = r"[A-Za-z0-9_]+(?:<[A-Za-z0-9_]+)*"
_AUG = re.compile(rf"^(aug_ft|distill)(?:\[({_STRAT}(?:\+{_STRAT})*)\])?$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_RAG = re.compile(r"^(?:(.+)\+)?rag(?:\[([A-Za-z0-9_]+)\])?$")
_RESERVED = ("base", "icl", "rag")


@dataclass(frozen=True)
class Family:
    """What kind of model a condition evaluates (its context, none, icl or rag, is apart)."""
    name: str
    summary: str
    takes_strategies: bool = False
    """Whether its label names strategies in brackets (`aug_ft[local+global]`)."""


FAMILIES: Dict[str, Family] = {f.name: f for f in (
    Family("base", "the pretrained model (base, icl, rag)"),
    Family("ft", "fine-tuned on the corpus"),
    Family("aug_ft", "fine-tuned on the corpus plus strategies' augmentations", True),
    Family("distill", "trained by context distillation on the corpus plus strategies' augmentations", True),
    Family("custom", "a fine-tuned model named in eval.models"),
)}
"""The one table every "which kind of condition is this" asks (family_of)."""
_FAMILIES = tuple(n for n, f in FAMILIES.items() if f.takes_strategies)
RETRIEVERS = ("bm25", "dense")
CONTROL_STRATEGIES = ("oracle", "oracle2")
"""Strategies whose data no user has (a benchmark's ground truth): a condition trained on them
is a control, shown beside the others and never recommended."""


@dataclass(frozen=True)
class Condition:
    trained: Optional[str] = None
    """The fine-tuned model's label (`ft`, `aug_ft`, `aug_ft[local]`, a custom name); None for the
    pretrained model."""
    icl: bool = False
    """Whether the corpus is in the model's context at evaluation."""
    strategies: Tuple[str, ...] = ()
    """Augmentation strategies the trained model's mix draws from (empty for ft and custom models)."""
    rag: Optional[str] = None
    """Retrieval at evaluation: None (none), "" (eval.rag.retriever) or a retriever's name."""

    @property
    def label(self) -> str:
        if self.rag is not None:
            rag = f"rag[{self.rag}]" if self.rag else "rag"
            return f"{self.trained}+{rag}" if self.trained else rag
        if self.trained is None:
            return "icl" if self.icl else "base"
        return f"{self.trained}+icl" if self.icl else self.trained

    @property
    def family(self) -> str:
        """The kind of model it evaluates (a key of FAMILIES)."""
        return family_of(self.trained)

    @property
    def distill(self) -> bool:
        """Whether the trained model learns by context distillation (`distill[...]`)."""
        return self.family == "distill"

    @property
    def context(self) -> str:
        """What the model reads before a question: none, icl or rag."""
        return "rag" if self.rag is not None else "icl" if self.icl else "none"

    def retriever(self, default: str) -> Optional[str]:
        """The retriever this condition uses (None without retrieval)."""
        return None if self.rag is None else (self.rag or str(default))

    @property
    def trained_label(self) -> str:
        """The trained model's label, for a condition that trains one (ValueError otherwise)."""
        if self.trained is None:
            raise ValueError(f"condition {self.label} trains no model")
        return self.trained

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
              known_strategies: Optional[Iterable[str]] = None, key: str = "conditions",
              names: Optional[Iterable[str]] = None) -> "Condition":
        """Parse one label; errors name the config `key` and the label. Strategies must be
        augment's (`known_strategies` defaults to every one augment has). `names`: the custom
        model names the label may use (eval.models' keys; () in a study, which trains only ft,
        aug_ft and distill); None accepts any name."""
        label = str(label).strip()
        _check_names(label, key, names, known_strategies)
        if label in ("base", "icl"):
            return cls(None, label == "icl")
        rag = _RAG.match(label)
        if rag is not None:
            return _with_rag(label, rag, default_strategies, known_strategies, key)
        icl = label.endswith("+icl")
        trained = label[: -len("+icl")] if icl else label
        name, strategies = _trained(label, trained, default_strategies, known_strategies, key)
        return cls(name, icl, strategies)


def known_labels(known_strategies: Optional[Iterable[str]] = None, names: Iterable[str] = ()) -> List[str]:
    """Labels the grammar accepts, one per shape (for suggesting the nearest to a mistyped one)."""
    strategies = [str(s) for s in (values(Strategy) if known_strategies is None else known_strategies)]
    trained = ["ft", "aug_ft", "distill", *(f"aug_ft[{s}]" for s in strategies),
               *(f"distill[{s}]" for s in strategies), *map(str, names)]
    rag = ["rag", *(f"rag[{r}]" for r in RETRIEVERS)]
    return ["base", "icl", *rag, *trained, *(f"{t}+icl" for t in trained), *(f"{t}+rag" for t in trained)]


def _nearest(label: str, known: Sequence[str]) -> str:
    """' (did you mean 'x'?)' for the known label closest to `label`, case ignored, else ''."""
    lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(label.lower(), list(lower), n=1, cutoff=0.3)
    return f" (did you mean '{lower[close[0]]}'?)" if close else ""


def _check_names(label: str, key: str, names: Optional[Iterable[str]], known_strategies) -> None:
    """A custom model name is accepted only where it names a model (eval.models), and never when it
    is a built-in label in other letters (`ICL`, `Base`): either would silently evaluate a model
    other than the one the label says (a study trains an unknown name as a corpus-only model)."""
    rag = _RAG.match(label)
    trained = (rag.group(1) or "") if rag else label
    trained = trained[: -len("+icl")] if trained.endswith("+icl") else trained
    if not trained or trained == "ft" or trained in _RESERVED or _AUG.match(trained) or not _NAME.match(trained):
        return
    names = None if names is None else [str(n) for n in names]
    builtin = trained.lower() in ("ft", *_RESERVED, *_FAMILIES) or trained.lower().startswith(_FAMILIES)
    if not builtin and (names is None or trained in names):
        return
    where = ("built-in names are lower case" if builtin and trained != trained.lower() else
             "no such built-in condition" if builtin else
             "a study trains only ft, aug_ft[...] and distill[...]" if key.startswith("pipeline") else
             f"eval.models has no '{trained}' entry")
    raise ConfigError(f"config key '{key}': unknown condition '{label}': {where}"
                      f"{_nearest(label, known_labels(known_strategies, names or ()))}", key=key)


def _unknown(label: str, key: str) -> ConfigError:
    return ConfigError(f"config key '{key}': unknown condition '{label}'{_nearest(label, known_labels())} "
                       "(expected base, icl, rag, ft, "
                       "aug_ft[<strategy>+...], distill[<strategy>+...] (a strategy may read another's "
                       "records: aug_ft[reverse<compose]), a model named in eval.models, or "
                       "one of those followed by +icl or +rag; rag takes a retriever: rag[bm25], rag[dense])",
                       key=key)


def _trained(label: str, trained: str, default_strategies: Sequence[str],
             known_strategies: Optional[Iterable[str]], key: str) -> Tuple[str, Tuple[str, ...]]:
    """(trained label, strategies) of the part of `label` that names a fine-tuned model."""
    m = _AUG.match(trained)
    if trained == "ft" or (m is None and _NAME.match(trained) and trained not in _RESERVED
                           and not trained.startswith(_FAMILIES)):
        return trained, ()
    if m is None:
        raise _unknown(label, key)
    # Bare aug_ft trains on the configured strategies; bare distill on the corpus alone.
    default = tuple(default_strategies) if m.group(1) == "aug_ft" else ()
    strategies = tuple(m.group(2).split("+")) if m.group(2) else default
    known = [str(s) for s in (values(Strategy) if known_strategies is None else known_strategies)]
    bad = [s for s in strategies if s not in known and not chains.is_chain(s)]
    for s in strategies:
        chains.check(s, known, key, label)
    if bad:
        raise ConfigError(f"config key '{key}': '{label}' names unknown strategies {bad}; "
                          f"known: {', '.join(known)}", key=key)
    return trained, strategies


def _with_rag(label: str, m, default_strategies, known_strategies, key: str) -> Condition:
    """`rag`, `rag[dense]`, `<trained>+rag[...]`: retrieval in front of a model."""
    retriever = m.group(2) or ""
    if retriever and retriever not in RETRIEVERS:
        raise ConfigError(f"config key '{key}': '{label}' names unknown retriever '{retriever}'; "
                          f"known: {', '.join(RETRIEVERS)}", key=key)
    if m.group(1) is None:
        return Condition(None, False, (), retriever)
    if m.group(1).endswith("+icl") or m.group(1) in ("base", "icl"):
        raise _unknown(label, key)
    trained, strategies = _trained(label, m.group(1), default_strategies, known_strategies, key)
    return Condition(trained, False, strategies, retriever)


def parse_all(labels: Iterable[str], default_strategies: Sequence[str] = (),
              known_strategies: Optional[Iterable[str]] = None, key: str = "conditions",
              names: Optional[Iterable[str]] = None) -> List[Condition]:
    """Parse a list of labels (each once, in order); an empty list is an error. `names`: as in
    `Condition.parse`."""
    out: List[Condition] = []
    seen = set()
    names = None if names is None else list(names)
    for label in labels:
        cond = Condition.parse(label, default_strategies, known_strategies, key, names)
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


def retrievers(conditions: Sequence[Condition], default: str) -> List[str]:
    """Every retriever the conditions use (an index each), first mention first."""
    out: List[str] = []
    for c in conditions:
        r = c.retriever(default)
        if r is not None and r not in out:
            out.append(r)
    return out


def needed_strategies(conditions: Sequence[Condition]) -> List[str]:
    """Every strategy any condition's model trains on, first mention first."""
    out: List[str] = []
    for c in conditions:
        out.extend(s for s in c.strategies if s not in out)
    return out


def augment_strategies(conditions: Sequence[Condition]) -> List[str]:
    """Every augment stage the conditions need: their strategies plus the upstreams chained ones
    read (core/chains.py), each upstream before the chains that read it."""
    return chains.with_upstreams(needed_strategies(conditions))


def is_control(label: str) -> bool:
    """Whether the condition `label` is a control: trained on a control strategy's data
    (`aug_ft[oracle]`, `distill[local+oracle]`, `aug_ft[oracle]+rag`)."""
    try:
        strategies = Condition.parse(label).strategies
    except ConfigError:  # a label from another run's records: read its strategy list as written
        strategies = tuple(w for m in re.findall(r"\[([^\]]*)\]", label) for w in m.split("+"))
    return any(s in CONTROL_STRATEGIES for s in chains.members(strategies))


def retrieves(label: str) -> bool:
    """Whether the condition `label` puts retrieved documents in context (`rag`, `ft+rag[dense]`)."""
    return bool(_RAG.match(str(label)))


def family_of(label: Optional[str]) -> str:
    """The family (a key of FAMILIES) of the model a condition label, or a trained model's label,
    evaluates: `aug_ft[local+global]+icl` is aug_ft, `rag[dense]` base, an eval.models name custom."""
    if not label:
        return "base"
    head = str(label).split("[")[0].split("+")[0]
    if head in _RESERVED:
        return "base"
    return head if head in FAMILIES else "custom"
