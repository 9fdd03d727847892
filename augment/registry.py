"""Every augmentation strategy, declared once: what it reads, what writes it, which config keys
change its records, and where it is planned.

Everything that asks "which strategies prompt per document", "does this one need a model",
"which keys key this one's stage" asks here (the augment run, its resume fingerprint, the
study's stage cache, the docs); tests check the table covers every `Strategy` member.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, Optional, Tuple

from augft.core.config.augment import Strategy
from augft.core.errors import AugftError


@dataclass(frozen=True)
class StrategySpec:
    name: str
    summary: str
    writer: str
    """Who writes the records: `model` (prompted), `rule` (no model), `benchmark` (ground truth)."""
    planner: str
    """How its work is planned, always per shard where the shards are (augment/passes.py): `local`
    (one prompt per document or sentence), `global` (windows of linked documents), `entity`
    (extraction, then pairs), `compose` (rounds of sentence pairs grouped by entity), `reverse` (a
    rule over each shard), `copy` (a file the benchmark wrote)."""
    templates: Tuple[str, ...] = ()
    """Prompt templates it renders (`augment.templates.<name>`)."""
    own_keys: Tuple[str, ...] = ()
    """`augment.*` keys that change this strategy's records and those of no strategy without them:
    other strategies' stage keys and resume fingerprints leave them out."""
    ignores: Tuple[str, ...] = ()
    """Shared `augment.*` keys that never change its records (it has its own): left out of the
    identity of a run or stage whose every strategy ignores them, so a sweep over the shared
    sampling keys does not redo it."""
    data_file: Optional[str] = None
    """A file of the data folder it needs (a benchmark's ground truth)."""
    prompts_per_doc: int = 0
    """Model prompts per corpus document, for `augment.engine=auto`'s estimate (entity: the
    extraction, then its pairs; local with sentence units prompts more)."""

    @property
    def needs_model(self) -> bool:
        return self.writer == "model"


_LOCAL_KEYS = ("local_unit",)
REGISTRY: Dict[str, StrategySpec] = {s.name: s for s in (
    StrategySpec("local", "statements implied by one document (the paper's local augmentation)",
                 "model", "local", ("local",), _LOCAL_KEYS, prompts_per_doc=1),
    StrategySpec("rephrase", "paraphrases of one document", "model", "local", ("rephrase",), _LOCAL_KEYS,
                 prompts_per_doc=1),
    StrategySpec("qa", "questions and answers about one document", "model", "local", ("qa",), _LOCAL_KEYS,
                 prompts_per_doc=1),
    StrategySpec("global", "inferences linking a focal document to its linked documents",
                 "model", "global", ("global",), ("window_tokens", "global_context", "global_consistency"),
                 prompts_per_doc=1),
    StrategySpec("entity", "relations between entity pairs a document names (EntiGraph-style)",
                 "model", "entity", ("entity_extract", "entity_pair"), ("entity_max_pairs", "entity_triples"),
                 prompts_per_doc=2),
    StrategySpec("compose", "one-step inferences from pairs of sentences sharing an entity, in rounds",
                 "model", "compose", ("compose",), ("compose",), ignores=("temperature", "max_new_tokens"),
                 prompts_per_doc=2),
    StrategySpec("reverse", "each 'A is B' fact restated as 'B is A', no model", "rule", "reverse"),
    StrategySpec("oracle", "a built-in benchmark's ground-truth augmentations (an upper bound)",
                 "benchmark", "copy", data_file="oracle.jsonl"),
    StrategySpec("oracle2", "the oracle's facts in both directions ('A grandparent of Y is X.' beside 'X is a "
                 "grandparent of Y.'; family), the ceiling that says whether direction is the obstacle",
                 "benchmark", "copy", data_file="oracle2.jsonl"),
)}


def spec(name) -> StrategySpec:
    """The declaration of strategy `name` (a `Strategy` or its string)."""
    try:
        return REGISTRY[str(name)]
    except KeyError:
        raise AugftError(f"augment.strategies: unknown strategy '{name}'; choose from "
                         f"{', '.join(REGISTRY)}") from None


def with_planner(planner: str) -> Tuple[str, ...]:
    """The strategies planned by `planner`, in registry order."""
    return tuple(s.name for s in REGISTRY.values() if s.planner == planner)


def not_in_identity(active: Iterable) -> Tuple[str, ...]:
    """`augment.*` keys of augment's allow-list (augment/identity.py) left out of the identity of a
    run (or a study stage) of the strategies `active`: the keys of strategies not among them, and
    the shared keys every one of them ignores. The study's stage key and augment's resume
    fingerprint both use this, so one folder has one identity."""
    active = [str(a) for a in active]
    ignored = set.intersection(*(set(spec(a).ignores) for a in active)) if active else set()
    return (*keys_outside(active), *sorted(ignored))


def keys_outside(active: Iterable) -> Tuple[str, ...]:
    """`augment.*` keys that change only strategies not in `active`: left out of the identity of
    a run (or stage) of `active`, so tuning one strategy does not redo the others."""
    mine = {k for s in active for k in spec(s).own_keys}
    return tuple(sorted({k for s in REGISTRY.values() for k in s.own_keys} - mine))


def covers_every_member() -> bool:
    return set(REGISTRY) == {str(m) for m in Strategy}
