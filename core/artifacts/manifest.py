"""The augment manifest (`manifest.json`): what one augment run wrote and what it cost.

Written by augment when every unit is done; read by train (the shard list), eval's cost model
(token counts, the generating model's size), the study (kept/filtered counts) and tracking.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Dict, List, Optional


@dataclass
class PhaseCounts:
    """Model work of a phase that writes no records itself (entity extraction)."""
    prompts: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    gen_s: float = 0.0


@dataclass
class RoundEntry:
    """One round of a strategy that runs in rounds (compose: augment.compose.rounds): its units'
    counts, less the statements settling dropped (counted in `filtered` by reason)."""
    round: int
    ok: int = 0
    filtered: Dict[str, int] = field(default_factory=dict)
    failed: int = 0
    failed_prompts: int = 0
    inputs: int = 0
    prompts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    gen_s: float = 0.0
    units: int = 0


@dataclass
class StrategyEntry:
    """One strategy's outcome. `ok + sum(filtered) + failed == inputs` (statements written)."""
    writer: str = "model"
    """Who wrote the records: `model` (prompted), `rule` (no model), `benchmark` (ground truth)."""
    ok: int = 0
    """Records kept (in the shards)."""
    filtered: Dict[str, int] = field(default_factory=dict)
    """Statements dropped, by the filter that dropped them."""
    failed: int = 0
    """Candidates of prompts whose generation failed (their reasons: `errors`, the first few)."""
    failed_prompts: int = 0
    """Prompts whose generation failed after the engine's retries."""
    failed_shards: List[str] = field(default_factory=list)
    """Files of the failed prompts with their reasons, relative to the strategy's folder."""
    inputs: int = 0
    prompts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    gen_s: float = 0.0
    errors: List[str] = field(default_factory=list)
    shards: List[str] = field(default_factory=list)
    """Record shards, relative to the strategy's folder."""
    units: int = 0
    documents: int = 0
    long_documents: Dict[str, int] = field(default_factory=dict)
    """Documents split or skipped for length (and entity documents without pairs)."""
    template: str = ""
    unsupported_rate: Optional[float] = None
    """Share of verified statements dropped as unsupported (when verification was on)."""
    extract: Optional[PhaseCounts] = None
    """The entity strategy's extraction phase."""
    rounds: List[RoundEntry] = field(default_factory=list)
    """A strategy that runs in rounds (compose): each round's counts; the entry's own counts are
    their sums (the cost model prices the sums, never the rounds again)."""
    rounds_asked: int = 0
    """Rounds asked for (augment.compose.rounds); fewer ran when a round kept too little."""
    stopped_at: int = 0
    """The round after which compose stopped early (0: it ran every round asked for)."""
    stop_reason: str = ""
    """Why it stopped early: the round kept no new statement, or fewer than augment.compose.min_new."""
    chain: List[str] = field(default_factory=list)
    """A chained strategy (`reverse<compose`, core/chains.py): the strategies in the order they ran
    (["compose", "reverse"]); empty for a strategy over the corpus."""
    folder: str = ""
    """The folder its shards are in, relative to the output, when not its name (a chain's records
    are written by its last strategy, into that strategy's folder)."""
    entities: Dict[str, int] = field(default_factory=dict)
    """What entity detection (augment.entities) found in the documents the strategy planned:
    `documents_with_entities`; for global also `whole_window` (prompts that showed the whole
    window: the focal document names no entity, its linked group is the whole window, or
    augment.global_context=window) and `linked` (prompts shown only linked documents)."""

    @property
    def model_free(self) -> bool:
        return self.writer != "model"

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens of every phase."""
        ex = self.extract or PhaseCounts()
        return self.prompt_tokens + self.completion_tokens + ex.prompt_tokens + ex.completion_tokens


@dataclass
class SamplingParams:
    temperature: float = 0.0
    top_p: float = 1.0
    max_new_tokens: int = 0
    n: int = 1
    stop: List[str] = field(default_factory=list)


@dataclass
class Timings:
    gen_s: float = 0.0
    tokens_per_s: float = 0.0
    total_s: float = 0.0


@dataclass
class VerifyInfo:
    on: bool = False
    method: str = ""
    threshold: Optional[float] = None


@dataclass
class EngineChoice:
    engine: str
    reason: str


@dataclass
class EngineResources:
    """What generated the records, so GPU-hours follow from wall time: engine instances, the
    tensor parallelism of each, the GPUs they held together and of which type."""
    replicas: int = 1
    """Engine instances: vLLM replicas (Ray), engine actors (Ray, other engines), else 1 in-process
    (0 for an OpenAI-compatible server, whose hardware is not known here)."""
    tensor_parallel: int = 1
    """GPUs per instance that split one model (vLLM's tensor_parallel_size; 1 otherwise)."""
    gpus: float = 0.0
    """GPUs the engines held in all (replicas x their GPUs); 0 on CPUs or a remote server."""
    gpu_type: str = "cpu"
    """torch.cuda's device name, else Ray's accelerator_type:<X> resource, else `cpu`; `unknown`
    for a remote server (a known type is written as core.gpus spells it, e.g. H100)."""


@dataclass
class Manifest:
    """An augment run. `schema` changes when a field changes meaning or goes."""
    SCHEMA: ClassVar[int] = 1
    strategies: Dict[str, StrategyEntry]
    model: str
    """The model that wrote the records (`oracle` for a benchmark's ground truth)."""
    model_params: Optional[int] = None
    """Its parameter count (None for a remote model); the cost model prices tokens with it."""
    student: str = ""
    engine: str = "none"
    engine_choice: Optional[EngineChoice] = None
    sampling: Optional[SamplingParams] = None
    prompt_set: str = ""
    prompt_hashes: Dict[str, str] = field(default_factory=dict)
    timings: Timings = field(default_factory=Timings)
    verify: VerifyInfo = field(default_factory=VerifyInfo)
    heldout_statements: int = 0
    seed: int = 0
    resources: Optional[EngineResources] = None
    """The engines' replicas, tensor parallelism, GPU count and type (None in older manifests)."""
    summary_table: str = ""
    schema: int = 1

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens the run read and wrote, every strategy and phase."""
        return sum(e.tokens for e in self.strategies.values())

    @property
    def model_free(self) -> bool:
        """No model wrote anything (rule or ground-truth strategies only): no generation cost."""
        return all(e.model_free for e in self.strategies.values())
