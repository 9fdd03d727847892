"""Train section (owned by train/): allowed values and ranges are checked here, at load
time, so every command (and `augft submit`, before upload) refuses a bad value naming its key.
Checks that depend on the machine (is there a CUDA GPU) or on files stay in train/."""
from dataclasses import dataclass, field
from typing import Any, Dict, List

from augft.core.config.checks import Choice, require


class Split(Choice):
    independent = "independent"
    cumulative = "cumulative"
    none = "none"


class Schedule(Choice):
    cosine = "cosine"
    linear = "linear"
    constant = "constant"


class Precision(Choice):
    auto = "auto"
    fp32 = "fp32"
    bf16 = "bf16"
    fp16 = "fp16"


class Launcher(Choice):
    ray = "ray"
    torchrun = "torchrun"


class AttnImplementation(Choice):
    sdpa = "sdpa"
    eager = "eager"
    flash_attention_2 = "flash_attention_2"


# DeepSpeed keys augft derives from other train.* keys: the loop's batch order, checkpoints and
# precision follow those, so train.deepspeed may not set them (the message names the key to use).
DERIVED_DS_KEYS = {"train_batch_size": "train.batch_size", "train_micro_batch_size_per_gpu": "train.micro_batch_size",
                   "gradient_accumulation_steps": "train.batch_size and train.micro_batch_size",
                   "zero_optimization.stage": "train.zero_stage", "bf16.enabled": "train.precision",
                   "fp16.enabled": "train.precision"}


class DistillContext(Choice):
    auto = "auto"
    linked = "linked"
    corpus = "corpus"


class TargetEngine(Choice):
    hf = "hf"
    vllm = "vllm"


@dataclass
class DistillConfig:
    """Context distillation (`distill[...]` conditions): the teacher is the model with the relevant
    documents in context, the student the same model without them."""
    alpha: float = 0.0
    """Weight of the usual cross-entropy in the loss: (1 - alpha) x KL(teacher || student) +
    alpha x cross-entropy. 0 is pure distillation."""
    top_k: int = 20
    """Teacher log-probabilities kept per token (the rest of the distribution is one bucket)."""
    context: DistillContext = DistillContext.auto
    """What the teacher reads: corpus (every document, subsampled like ICL's context when it does
    not fit), linked (the training text's source documents and the documents that share its
    entities, as global augmentation's linked context), or auto (corpus when the whole corpus fits
    the budget, else linked)."""
    context_tokens: int = 0
    """Token budget of the teacher's context; 0 = the model's window minus the longest text."""
    engine: TargetEngine = TargetEngine.hf
    """Engine of the teacher-target stage: hf (the shared context's KV cache computed once per
    group of texts) or vllm (prompt log-probabilities, prefix caching)."""
    batch_size: int = 16
    """Training texts scored per forward (hf)."""
    unit_size: int = 256
    """Training texts per work unit (one shard file); finished units are skipped on rerun."""
    use_ray: bool = False
    """Run the teacher-target units on a Ray Data actor pool (local Ray unless cluster.address):
    each actor loads the teacher once and writes its units' files."""
    num_actors: int = 1
    """use_ray: teacher actors (one model each)."""
    actor_cpus: float = 1.0
    """use_ray: CPUs reserved per teacher actor."""
    actor_gpus: float = 0.0
    """use_ray: GPUs reserved per teacher actor; inside it model.device=auto loads the teacher on
    the GPU Ray assigned (CPU when 0)."""

    def __post_init__(self):
        require(0 <= self.alpha <= 1, "train.distill.alpha", f"must be in [0, 1], got {self.alpha}")
        require(self.top_k >= 1, "train.distill.top_k", f"must be >= 1, got {self.top_k}")
        require(self.actor_cpus > 0, "train.distill.actor_cpus", "must be > 0")
        require(self.actor_gpus >= 0, "train.distill.actor_gpus", "must be >= 0")
        for key in ("batch_size", "unit_size", "num_actors"):
            require(getattr(self, key) >= 1, f"train.distill.{key}", "must be >= 1")
        require(self.context_tokens >= 0, "train.distill.context_tokens", "must be >= 0")


@dataclass
class TrainConfig:
    augmentations: List[str] = field(default_factory=list)
    """Augmentation output folders (each with manifest.json and <strategy>/part-*.parquet) to draw
    the mix's strategies from."""
    targets: List[str] = field(default_factory=list)
    """Teacher-target folders (`augft targets`): when given, the model is trained by context
    distillation on their rows (train.distill's loss) instead of on the corpus texts."""
    mix: Dict[str, float] = field(default_factory=lambda: {"corpus": 1.0})
    """Sources of the training set: `corpus`, a strategy name, or `replay` -> weight. A weight w
    takes round(w x n) of that source's examples (w<1 subsamples, w>1 repeats), deterministic by
    seed; with `mix_counts` the values are absolute example counts instead. `replay` is general
    text that ships with Python (the half eval's retention perplexity does not measure), mixed
    in to limit what fine-tuning forgets."""
    mix_counts: bool = False
    """Read `mix` values as absolute example counts rather than multiples of each source's size."""
    split: Split = Split.independent
    """Sentence splitting of multi-sentence texts: independent (one example per sentence),
    cumulative (each sentence with the preceding ones as unscored context) or none."""
    packing: bool = True
    """Pack short examples into `block_size` blocks with attention kept inside each example
    (position ids restart per example); off pads each micro-batch to its longest example."""
    epochs: float = 3.0
    """Passes over the training set (ignored when max_steps > 0)."""
    max_steps: int = 0
    """Optimizer steps to run; 0 derives them from `epochs`."""
    lr: float = 5e-5
    """Peak learning rate (AdamW)."""
    schedule: Schedule = Schedule.cosine
    """Learning-rate decay after warmup: cosine, linear or constant."""
    warmup_ratio: float = 0.05
    """Fraction of the optimizer steps spent warming the learning rate up linearly from 0."""
    min_lr_ratio: float = 0.1
    """Final learning rate as a fraction of `lr` (cosine and linear schedules)."""
    weight_decay: float = 0.0
    """AdamW weight decay."""
    max_grad_norm: float = 1.0
    """Gradient clipping threshold on the global norm (0 = no clipping)."""
    batch_size: int = 16
    """Global batch size in examples (in blocks when packing) per optimizer step."""
    micro_batch_size: int = 0
    """Examples per worker per forward pass; 0 = batch_size / num_workers (no accumulation).
    Gradient accumulation steps = batch_size / (micro_batch_size x num_workers)."""
    block_size: int = 128
    """Tokens per training block (the longest example; longer ones are truncated)."""
    zero_stage: int = 3
    """DeepSpeed ZeRO stage, 0-3."""
    offload_optimizer: bool = False
    """Keep optimizer states in CPU memory (ZeRO stage >= 1)."""
    offload_params: bool = False
    """Keep parameters in CPU memory (ZeRO stage 3)."""
    precision: Precision = Precision.auto
    """Training precision: auto (bf16 on GPU, fp32 on CPU), fp32, bf16 or fp16."""
    num_workers: int = 2
    """Training workers (processes); one per GPU on a GPU cluster."""
    use_gpu: bool = False
    """Train on GPUs (one per worker, NCCL); off trains on CPU over gloo."""
    launcher: Launcher = Launcher.ray
    """How workers start: ray (Ray Train TorchTrainer) or torchrun (local processes, no Ray)."""
    max_failures: int = 2
    """Ray launcher: how many times Ray Train restarts the worker group after a worker dies
    (a lost node, an evicted pod); each restart resumes from the latest complete checkpoint
    under OUT/checkpoints. 0 fails the run on the first lost worker. Ignored by torchrun."""
    data_workers: int = 0
    """Processes that split and tokenize the training set (0 = one per CPU). On a Ray cluster
    (cluster.address or $RAY_ADDRESS with the ray launcher) Ray Data tasks do it instead."""
    data_chunk_examples: int = 20000
    """Examples per parallel tokenization task (one token shard each)."""
    eval_fraction: float = 0.02
    """Fraction of the examples held out for the evaluation loss (0 = no evaluation)."""
    eval_every: int = 0
    """Evaluate every N optimizer steps (0 = only at the end)."""
    checkpoint_every: int = 0
    """Save a checkpoint every N optimizer steps (0 = only at the end)."""
    keep_checkpoints: int = 2
    """Checkpoints kept on disk (older ones are deleted); 0 keeps all."""
    resume: str = ""
    """Resume from a checkpoint: a checkpoint folder, `auto` (the latest complete one under
    OUT/checkpoints), or empty to start fresh."""
    log_every: int = 1
    """Write a metrics row every N optimizer steps."""
    lora: bool = False
    """Train LoRA adapters (peft) instead of all weights; the export merges them."""
    lora_r: int = 16
    """LoRA rank."""
    lora_alpha: int = 32
    """LoRA scaling numerator (scale = alpha / r)."""
    lora_dropout: float = 0.05
    """Dropout on the LoRA branch."""
    lora_targets: List[str] = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])
    """Module names that get LoRA adapters."""
    peak_flops: float = 0.0
    """Peak FLOP/s per GPU for MFU; 0 looks the GPU up in a table (H100/H200/A100/L4...)."""
    export: bool = True
    """Write the consolidated Hugging Face model to OUT/model at the end."""
    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass instead of keeping them (Hugging Face gradient
    checkpointing, non-reentrant): ~1/3 more compute for far less activation memory (8B models,
    long blocks)."""
    attn_implementation: AttnImplementation = AttnImplementation.sdpa
    """Attention kernel of the trained model: sdpa (torch's fused attention), eager, or
    flash_attention_2 (needs train.use_gpu=true and the flash-attn package on the workers)."""
    deepspeed: Dict[str, Any] = field(default_factory=dict)
    """Extra DeepSpeed config, deep-merged into the one augft generates (the user's values win),
    e.g. {zero_optimization: {reduce_bucket_size: 5e8}}. augft sets train_batch_size,
    train_micro_batch_size_per_gpu, gradient_accumulation_steps, zero_optimization (stage,
    offload_optimizer, offload_param, stage3_gather_16bit_weights_on_model_save), bf16, fp16,
    gradient_clipping, zero_allow_untested_optimizer, zero_force_ds_cpu_optimizer,
    steps_per_print and wall_clock_breakdown; the batch sizes, the ZeRO stage and bf16/fp16
    enabled follow other train.* keys and cannot be set here."""
    distill: DistillConfig = field(default_factory=DistillConfig)
    """Context distillation: the teacher's targets and the loss (`distill[...]` conditions)."""

    def __post_init__(self):
        self._check_ranges()
        self._check_combinations()

    def _check_ranges(self):
        require(self.zero_stage in (0, 1, 2, 3), "train.zero_stage",
                f"must be 0, 1, 2 or 3, got {self.zero_stage}")
        require(self.num_workers >= 1, "train.num_workers", f"must be >= 1, got {self.num_workers}")
        require(self.batch_size >= 1, "train.batch_size", f"must be >= 1, got {self.batch_size}")
        require(self.micro_batch_size >= 0, "train.micro_batch_size",
                f"must be >= 0 (0 = batch_size / num_workers), got {self.micro_batch_size}")
        require(self.block_size >= 2, "train.block_size", f"must be >= 2, got {self.block_size}")
        require(0 <= self.eval_fraction < 1, "train.eval_fraction", f"must be in [0, 1), got {self.eval_fraction}")
        require(self.max_steps >= 0, "train.max_steps", f"must be >= 0, got {self.max_steps}")
        require(self.epochs > 0 or self.max_steps > 0, "train.epochs",
                f"must be > 0 (or set train.max_steps > 0), got {self.epochs}")
        require(self.lr > 0, "train.lr", f"must be > 0, got {self.lr}")
        require(0 <= self.warmup_ratio <= 1, "train.warmup_ratio", f"must be in [0, 1], got {self.warmup_ratio}")
        require(0 <= self.min_lr_ratio <= 1, "train.min_lr_ratio", f"must be in [0, 1], got {self.min_lr_ratio}")
        for key in ("weight_decay", "max_grad_norm", "eval_every", "checkpoint_every", "keep_checkpoints",
                    "max_failures", "data_workers", "peak_flops"):
            require(getattr(self, key) >= 0, f"train.{key}", f"must be >= 0, got {getattr(self, key)}")
        require(self.data_chunk_examples >= 1, "train.data_chunk_examples",
                f"must be >= 1, got {self.data_chunk_examples}")
        for name, w in dict(self.mix).items():
            require(w >= 0, f"train.mix.{name}", f"is {w}; weights and counts must be >= 0")

    def _check_combinations(self):
        micro = self.micro_batch_size or max(1, self.batch_size // self.num_workers)
        require(self.batch_size % (micro * self.num_workers) == 0, "train.batch_size",
                f"{self.batch_size} is not a multiple of train.micro_batch_size ({micro}) x "
                f"train.num_workers ({self.num_workers})")
        require(not self.offload_params or self.zero_stage == 3, "train.offload_params",
                "needs train.zero_stage=3")
        require(not self.offload_optimizer or self.zero_stage >= 1, "train.offload_optimizer",
                "needs train.zero_stage >= 1")
        require(self.precision != Precision.fp16 or self.use_gpu, "train.precision",
                "fp16 needs train.use_gpu=true")
        require(self.log_every >= 1, "train.log_every", f"must be >= 1, got {self.log_every}")
        require(self.attn_implementation != AttnImplementation.flash_attention_2 or self.use_gpu,
                "train.attn_implementation", "flash_attention_2 runs on CUDA GPUs only: set train.use_gpu=true, "
                "or use sdpa or eager on CPU")
        self._check_deepspeed()
        require(not self.lora or (self.lora_r >= 1 and self.lora_alpha > 0 and 0 <= self.lora_dropout < 1),
                "train.lora_r", "LoRA needs lora_r >= 1, lora_alpha > 0 and lora_dropout in [0, 1)")

    def _check_deepspeed(self):
        ds = self.deepspeed
        require(hasattr(ds, "items") and hasattr(ds, "get"), "train.deepspeed",
                f"must be a mapping of DeepSpeed config keys, got {ds!r}")
        for dotted, use in DERIVED_DS_KEYS.items():
            node: Any = ds
            for part in dotted.split("."):
                node = node.get(part) if hasattr(node, "get") else None
            require(node is None, f"train.deepspeed.{dotted}", f"is set by augft from {use}; set that instead")
