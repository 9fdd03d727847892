"""Benchmark section: sizes of the controlled synthetic datasets."""
from dataclasses import dataclass, field, fields

from augft.core.config.checks import Choice, require


class BenchmarkName(Choice):
    reversal = "reversal"
    syllogism = "syllogism"
    semantic = "semantic"
    people = "people"
    family = "family"
    all = "all"


def _sizes(obj, section: str, zero_ok=()) -> None:
    """Every size at least 1 (0 where `zero_ok` names it), choices at least 2: a negative size
    made an empty or truncated benchmark (Python's range(-1) is empty) instead of an error."""
    for f in fields(obj):
        v = getattr(obj, f.name)
        low = 2 if f.name == "n_choices" else 0 if f.name in zero_ok else 1
        require(v >= low, f"benchmark.{section}.{f.name}", f"must be >= {low}, got {v}")


@dataclass
class ReversalSizes:
    n_facts: int = 100
    """Number of comparison facts ("femp are more dangerous than glon")."""
    n_dimensions: int = 28
    """Number of comparison dimensions the facts are spread over."""
    items_per_fact: int = 10
    """Training items per fact, each with a different lead-in."""

    def __post_init__(self):
        _sizes(self, "reversal")


@dataclass
class SyllogismSizes:
    n_items: int = 69
    """Number of syllogism items (context line plus two premises)."""

    def __post_init__(self):
        _sizes(self, "syllogism")


@dataclass
class SemanticSizes:
    n_categories: int = 110
    """Approximate number of categories in the hierarchy."""
    n_holdout: int = 8
    """Categories held out: only their parent relation is trained."""
    max_questions_per_split: int = 400
    """Cap on test questions per split (deterministic subsample)."""
    docs_per_category: int = 5
    """Training documents per (non-held-out) category, each in a different style."""
    n_choices: int = 4
    """Choices per question (the answer plus distractors)."""

    def __post_init__(self):
        _sizes(self, "semantic", zero_ok=("n_holdout",))


@dataclass
class PeopleSizes:
    n_people: int = 30
    """Number of fictional people, each with a unique invented description."""
    n_train_templates: int = 30
    """Name -> description templates used for training statements."""
    n_test_templates: int = 5
    """Held-out name -> description templates used for the control questions."""
    n_choices: int = 4
    """Choices per question (the answer plus distractors)."""
    n_reversal_templates: int = 1
    """Description-first phrasings per person for the `reversal` questions (1-3)."""

    def __post_init__(self):
        _sizes(self, "people")


@dataclass
class FamilySizes:
    n_families: int = 8
    """Number of fictional family trees."""
    generations: int = 3
    """Generations per family tree."""
    children_per_parent: int = 2
    """Children per couple."""
    items_per_fact: int = 3
    """Training statements per parent fact, each in a different phrasing (1-8)."""
    n_choices: int = 4
    """Choices per question (the answer plus distractors)."""

    def __post_init__(self):
        _sizes(self, "family")


@dataclass
class BenchmarkConfig:
    name: BenchmarkName = BenchmarkName.people
    """Which benchmark `augft benchmark` generates: reversal, syllogism, semantic, people,
    family, or all (one subfolder each)."""
    seed: int = 0
    """Seed for the generator; the same seed and sizes give byte-identical files (0..2**32-1)."""
    reversal: ReversalSizes = field(default_factory=ReversalSizes)
    """Sizes for `reversal`."""
    syllogism: SyllogismSizes = field(default_factory=SyllogismSizes)
    """Sizes for `syllogism`."""
    semantic: SemanticSizes = field(default_factory=SemanticSizes)
    """Sizes for `semantic`."""
    people: PeopleSizes = field(default_factory=PeopleSizes)
    """Sizes for `people`."""
    family: FamilySizes = field(default_factory=FamilySizes)
    """Sizes for `family`."""

    def __post_init__(self):
        require(0 <= self.seed < 2 ** 32, "benchmark.seed", f"must be in 0..{2 ** 32 - 1}, got {self.seed}")
