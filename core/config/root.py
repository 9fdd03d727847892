"""The root of the config tree."""
from dataclasses import dataclass, field

from augft.core.config.augment import AugmentConfig
from augft.core.config.checks import require
from augft.core.config.benchmark import BenchmarkConfig
from augft.core.config.cluster import ClusterConfig
from augft.core.config.eval import EvalConfig
from augft.core.config.ingest import IngestConfig, QuestionsConfig
from augft.core.config.model import ModelConfig
from augft.core.config.pipeline import PipelineConfig
from augft.core.config.plan import PlanConfig
from augft.core.config.report import ReportConfig
from augft.core.config.tracking import TrackingConfig
from augft.core.config.train import TrainConfig


@dataclass
class AugftConfig:
    seed: int = 0
    """Global seed; stages derive their own seeds from it deterministically (0..2**32-1)."""
    max_document_tokens: int = 4096
    """Longest corpus document a stage accepts (augment, questions), in tokens counted as ingest
    counts them (words and punctuation marks): a longer one is rejected naming its file:line
    when the stage reads it, so no prompt or worker holds it whole (0: no limit). `augft ingest` splits
    documents to ingest.max_tokens."""
    benchmark: BenchmarkConfig = field(default_factory=BenchmarkConfig)
    """Controlled synthetic benchmark generation (`augft benchmark`)."""
    ingest: IngestConfig = field(default_factory=IngestConfig)
    """Turning user files into corpus.jsonl (`augft ingest`)."""
    questions: QuestionsConfig = field(default_factory=QuestionsConfig)
    """Building a held-out test set from a corpus (`augft questions`)."""
    model: ModelConfig = field(default_factory=ModelConfig)
    """The model that augments, is fine-tuned and is evaluated."""
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    """Corpus augmentation (`augft augment`)."""
    train: TrainConfig = field(default_factory=TrainConfig)
    """Fine-tuning (`augft train`)."""
    eval: EvalConfig = field(default_factory=EvalConfig)
    """Evaluation conditions and scoring (`augft eval`)."""
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    """MLflow tracking."""
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    """Ray cluster address and resources."""
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    """The end-to-end study (`augft run`) and sweeps (`augft sweep`)."""
    report: ReportConfig = field(default_factory=ReportConfig)
    """The "Which to use" recommendation: the query volume it prices the conditions at."""
    plan: PlanConfig = field(default_factory=PlanConfig)
    """What `augft plan` assumes when it prices a study (GPU type, utilisation, price)."""

    def __post_init__(self):
        # numpy's generators (bootstrap intervals, samplers) take 0..2**32-1 only
        require(0 <= self.seed < 2 ** 32, "seed", f"must be in 0..{2 ** 32 - 1}, got {self.seed}")
        require(self.max_document_tokens >= 0, "max_document_tokens",
                f"must be 0 (no limit) or more, got {self.max_document_tokens}")
        # money is GPU-hours at a price: a money cap without a price could never be checked
        require(not self.pipeline.budget.money or self.plan.price_per_gpu_hour > 0, "pipeline.budget.money",
                "needs plan.price_per_gpu_hour (the price per GPU-hour it is counted at; "
                "augft plan --price-per-gpu-hour sets the same key)")
