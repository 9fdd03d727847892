"""Benchmark section: sizes of the controlled synthetic datasets."""
from dataclasses import dataclass, field

from augft.core.config.checks import choices

BenchmarkName = choices("BenchmarkName", ["reversal", "syllogism", "semantic", "people", "family", "all"],
                        __name__)


@dataclass
class ReversalSizes:
    n_facts: int = 100
    """Number of comparison facts ("femp are more dangerous than glon")."""
    n_dimensions: int = 28
    """Number of comparison dimensions the facts are spread over."""
    items_per_fact: int = 10
    """Training items per fact, each with a different lead-in."""


@dataclass
class SyllogismSizes:
    n_items: int = 69
    """Number of syllogism items (context line plus two premises)."""


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


@dataclass
class BenchmarkConfig:
    name: BenchmarkName = BenchmarkName.people
    """Which benchmark `augft benchmark` generates: reversal, syllogism, semantic, people,
    family, or all (one subfolder each)."""
    seed: int = 0
    """Seed for the generator; the same seed and sizes give byte-identical files."""
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
