"""Pipeline section (owned by cluster/ and tracking/): the end-to-end study and sweeps."""
from dataclasses import dataclass, field
from typing import List


@dataclass
class SweepConfig:
    num_samples: int = 8
    """Trials the search algorithm proposes."""
    search: str = "optuna"
    """Search algorithm: optuna (TPE, Bayesian) or random."""
    max_epochs: int = 3
    """Epochs per trial; the trial reports validation accuracy after each (ASHA's time axis)."""
    grace_period: int = 1
    """ASHA: epochs every trial runs before it can be stopped early."""
    reduction_factor: int = 2
    """ASHA: keep the top 1/reduction_factor of trials at each rung."""
    max_failures: int = 1
    """Retries of a failed trial before it is recorded as failed (it is never dropped)."""
    weight_choices: List[float] = field(default_factory=lambda: [0.0, 0.5, 1.0, 2.0])
    """Candidate mix weights for each searched strategy (0 leaves it out)."""
    strategies: List[str] = field(default_factory=lambda: ["local", "global", "entity"])
    """Strategies whose mix weights are searched."""
    candidates_choices: List[int] = field(default_factory=lambda: [1, 2, 4])
    """Candidate values for augment.num_candidates (augmentations sampled per prompt)."""
    temperature_min: float = 0.3
    """Lower bound of the searched sampling temperature."""
    temperature_max: float = 1.2
    """Upper bound of the searched sampling temperature."""
    split_choices: List[str] = field(default_factory=lambda: ["independent", "cumulative"])
    """Candidate sentence-splitting modes (train.split)."""
    validation_split: str = ""
    """Split the objective is measured on; empty picks `rephrase`, else `forward` (people)."""
    test_eval: bool = True
    """Evaluate the best configuration once on the test splits after the search."""


@dataclass
class PipelineConfig:
    cache: bool = True
    """Skip stages whose config and inputs are unchanged since a finished run."""
    conditions: List[str] = field(default_factory=lambda: [
        "base", "icl", "ft", "aug_ft[local]", "aug_ft[global]", "aug_ft[entity]",
        "aug_ft[local+global]", "aug_ft[oracle]", "ft+icl"])
    """Conditions of the study: base, icl, ft, aug_ft[<strategy>+<strategy>...] (one model
    trained on the corpus plus those strategies' augmentations), and <trained>+icl."""
    aug_weight: float = 1.0
    """Mix weight of each strategy's augmentations in an aug_ft condition (corpus weight 1)."""
    print_report: bool = True
    """Print the comparison table at the end of `augft run`."""
    sweep: SweepConfig = field(default_factory=SweepConfig)
    """`augft sweep`: the search over the augmentation mix."""
