"""Augment section (owned by augment/): allowed values as enums, ranges checked at load time."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from augft.core.config.checks import Choice, require
from augft.core.config.vllm import AugmentVLLMConfig


class Strategy(Choice):
    local = "local"
    vars()["global"] = "global"  # not a Python name; OmegaConf matches member names
    entity = "entity"
    oracle = "oracle"
    rephrase = "rephrase"
    qa = "qa"
    reverse = "reverse"
    compose = "compose"
    oracle2 = "oracle2"


class Engine(Choice):
    auto = "auto"
    hf = "hf"
    vllm = "vllm"
    openai = "openai"


class LocalUnit(Choice):
    document = "document"
    sentence = "sentence"


class LongDocuments(Choice):
    # The member must be named as its YAML value, so it shadows str.split on these members.
    split = "split"  # type: ignore[assignment]
    skip = "skip"


# The built-in prompt sets (augment.prompts.BUILTIN; a test keeps the two in step).
class PromptSet(Choice):
    vars()["fewshot-v1"] = "fewshot-v1"  # not a Python name; OmegaConf matches member names
    vars()["zeroshot-v1"] = "zeroshot-v1"  # not a Python name; OmegaConf matches member names


class VerifyMethod(Choice):
    pmi = "pmi"
    yes_no = "yes_no"


class GlobalContext(Choice):
    linked = "linked"
    window = "window"


class ComposeFocus(Choice):
    entities = "entities"
    individuals = "individuals"


@dataclass
class OpenAIEngineConfig:
    url: str = "http://127.0.0.1:8000"
    """Base URL of an OpenAI-compatible server (`vllm serve`, llama.cpp server); /v1/completions is appended."""
    model: str = ""
    """Model name sent in requests; empty sends model.name."""
    api_key_env: str = "OPENAI_API_KEY"
    """Environment variable holding the API key (sent as a Bearer token when set)."""
    concurrency: int = 8
    """Requests in flight at once (bounded)."""
    max_retries: int = 5
    """Retries per request on 429, 5xx, timeouts and connection errors (exponential backoff)."""
    backoff_s: float = 0.5
    """First backoff delay in seconds; doubles on each retry (with jitter)."""
    timeout_s: float = 60.0
    """Per-request timeout in seconds."""
    token_ids: Optional[bool] = None
    """Send prompts as token ids built as the hf and vllm engines build them (a shared prefix and
    its prompt tokenised apart), so a served model writes what the in-process engines write;
    text is tokenised by the server as one string. Unset: token ids when the server runs augft's
    own model (augment.openai.model empty) and its tokenizer is here."""

    def __post_init__(self):
        require(self.concurrency >= 1, "augment.openai.concurrency", "must be >= 1")
        require(self.max_retries >= 0, "augment.openai.max_retries", "must be >= 0")
        require(self.backoff_s >= 0, "augment.openai.backoff_s", "must be >= 0")
        require(self.timeout_s > 0, "augment.openai.timeout_s", "must be > 0")


@dataclass
class ComposeConfig:
    """The compose strategy (augment/compose/): one-step inferences from pairs of sentences that
    share an entity, fed back for several rounds."""
    rounds: int = 2
    """Rounds of composition. Round 1 pairs corpus sentences; round k pairs a statement kept in
    round k-1 with a corpus sentence or an earlier kept statement, so round k can state
    inferences of k+1 steps. A round that keeps nothing ends the run early."""
    max_pairs: int = 16
    """Pairs per shared entity per round (an entity named in many sentences gets no more than one
    named in two, so hubs do not dominate); pairs are spread over the entity's sentences."""
    max_candidates: int = 64
    """Distinct facts of one entity considered for its pairs per round (the newest first, then a
    seeded sample of the rest): bounds the work for an entity named in very many sentences."""
    max_new_tokens: int = 32
    """Tokens one inference may take (one short sentence; generation also stops at its line's end)."""
    temperature: float = 0.0
    """Sampling temperature of the compose prompts; 0 (the default) is greedy with one candidate,
    above 0 samples augment.num_candidates candidates with augment.top_p. One step has one right
    answer: on the embedded model, sampling at 0.8 stated no more of the benchmarks' inferences than
    greedy decoding and wrote more invented names (docs/augment.md, "Composition")."""
    single_parent: bool = True
    """Contradiction filter: a category has one chain of parents (a tree), so a statement making X
    a kind of Z, when the kept facts make X a kind of Y and neither of Y and Z is a kind of the
    other, contradicts them. false: only cycles (X a kind of its own kind) contradict, for
    hierarchies where a thing has several parents."""

    focus: ComposeFocus = ComposeFocus.entities
    """What a round pairs first. entities (the default, the mode the benchmarks measured so far):
    every shared entity alike, kinds and named individuals. individuals: pairs that say something
    about a named individual (augment/entities.py reads names in real text: capitalised, never
    written in lower case, not a plural subject) come first: its fact with the general statements
    about its kind, then its relations to other individuals, and general-with-general pairs last;
    each individual gets at most augment.compose.per_individual pairs a round (questions are
    mostly about individuals; docs/augment.md, "Chaining from named individuals"). Not the default
    until a study measures it."""
    per_individual: int = 8
    """With focus=individuals: pairs about one individual per round, over all the entities it
    shares (its kinds, the individuals it is related to), so a person named in many sentences gets
    no more than one named in a few; half of max_pairs by default, since an individual's pairs are
    planned from several shared entities at once."""
    min_new: int = 1
    """A round that keeps fewer new statements than this ends compose early (the manifest's
    `stopped_at` and `stop_reason` say which round and why). 1 (the default): only a round that
    keeps nothing stops, as before. Works on any corpus: it counts the kept statements, never
    a checker."""

    def __post_init__(self):
        for key in ("rounds", "max_pairs", "max_candidates", "max_new_tokens", "per_individual", "min_new"):
            require(getattr(self, key) >= 1, f"augment.compose.{key}", f"must be >= 1, got {getattr(self, key)}")
        require(self.temperature >= 0, "augment.compose.temperature", f"must be >= 0, got {self.temperature}")
        require(self.max_candidates >= 2, "augment.compose.max_candidates",
                f"must be >= 2 (a pair needs two), got {self.max_candidates}")


@dataclass
class AugmentConfig:
    strategies: List[Strategy] = field(default_factory=lambda: [Strategy.local])
    """Strategies to run: local, rephrase, qa, global, entity, compose, reverse, oracle, oracle2 (augment/registry.py
    declares each: what writes it, how it is planned, the keys that change it). One of them over another
    strategy's records (a chain): `augft augment --from DIR`, or `a<b` in pipeline.conditions."""
    model: str = ""
    """The teacher: the model that writes the augmentations (a name, local Hugging Face folder or
    cached id, as model.name; with engine=openai, the server's model unless augment.openai.model
    names it). Empty: model.name, the student that is fine-tuned. Provenance and the cost table
    record the teacher (its own parameter count)."""
    engine: Engine = Engine.hf
    """Generation engine: hf (transformers), vllm (vLLM in Ray actors or this process), openai
    (an OpenAI-compatible server), or auto: vllm when it is installed and the run has at least
    augment.auto_vllm_min_prompts prompts (its start-up pays), hf otherwise; the manifest says
    which ran and why."""
    auto_vllm_min_prompts: int = 25
    """engine=auto: the fewest prompts for which vLLM's start-up pays; 25 is the break-even
    benchmarks/augment_engines.py measured for local augmentation with the embedded model on a
    2-core CPU (about 42 s of start-up against 1.3 s saved per prompt)."""
    num_candidates: int = 4
    """Candidates sampled per prompt before filtering."""
    temperature: float = 0.8
    """Sampling temperature."""
    top_p: float = 0.95
    """Nucleus sampling threshold."""
    max_new_tokens: int = 96
    """Maximum new tokens per generation."""
    batch_size: int = 8
    """Prompts per engine batch."""
    limit: int = 0
    """Augment only the first N documents (0 = all); for quick runs."""
    prompt_set: PromptSet = PromptSet["fewshot-v1"]
    """Built-in prompt templates: fewshot-v1 (few-shot demonstrations with nonsense names) or zeroshot-v1."""
    templates: Dict[str, str] = field(default_factory=dict)
    """Override a template by name (local, global, entity_extract, entity_pair); the text's hash is its provenance."""
    local_unit: LocalUnit = LocalUnit.document
    """What one local prompt covers: document (a training item) or sentence."""
    window_tokens: int = 0
    """Token budget of one global window (the corpus in context); 0 = model context minus room for the prompt."""
    global_context: GlobalContext = GlobalContext.linked
    """What a global prompt shows besides its focal document: linked (the documents of its window
    that a chain of shared entities links to the focal one; the whole window when the focal
    document names no entity) or window (every document of the window)."""
    long_documents: LongDocuments = LongDocuments.split
    """Documents longer than the context: split (into sentence chunks) or skip; either is counted."""
    entity_max_pairs: int = 6
    """Entity strategy: cap on entity pairs per document."""
    entity_triples: bool = False
    """Entity strategy: also relate triples of entities (counted within the cap)."""
    compose: ComposeConfig = field(default_factory=ComposeConfig)
    """The compose strategy: rounds of one-step inferences from sentence pairs sharing an entity."""
    min_words: int = 3
    """Filter: statements with fewer words are dropped as too_short."""
    max_chars: int = 400
    """Filter: statements longer than this are dropped as too_long."""
    require_source_overlap: bool = True
    """Filter: drop statements sharing no content word with their source as unrelated (off only for random test models)."""
    global_consistency: bool = True
    """Filter (global): drop a statement naming entities of its window that no chain of the
    window's documents links (an invented connection, e.g. one person's deed stated of another)
    as inconsistent."""
    verify: Optional[bool] = None
    """Self-verification: the generating model judges each kept statement against its source and
    drops the ones it does not support (counted as unsupported). true, false, or null (the
    default): on for user data (no benchmark.json beside the corpus), off on built-in benchmarks,
    whose exact checker counts true and false statements instead."""
    verify_method: VerifyMethod = VerifyMethod.pmi
    """How the model judges support: pmi (how much more likely the statement is, per token, with
    its source in context than without; measured to separate supported statements from other
    documents' on the embedded model) or yes_no (P(Yes) to "does the text state or imply it?";
    the embedded model's answer leans No for every statement)."""
    verify_min_pmi: float = 2.0
    """pmi: lowest mean per-token log-probability gain (nats) a statement needs to be kept."""
    verify_threshold: float = 0.5
    """yes_no: lowest P(Yes) / (P(Yes) + P(No)) a statement needs to be kept (0 keeps all and
    records each score in meta.verify)."""
    near_duplicate_threshold: float = 0.8
    """Filter: Jaccard similarity (MinHash over word 3-grams) above which a statement is a near duplicate."""
    unit_size: int = 32
    """Prompts per work unit (one shard file); finished units are skipped on rerun."""
    max_failed_share: float = 0.05
    """Share of prompts whose generation may fail (after the engine's retries) without failing
    the run. Failed prompts are kept with their reason in `<strategy>/failed/` and counted; above
    this share the run stops naming the count and the first reasons, and the units with failures
    are left undone, so rerunning the same command retries them."""
    use_ray: bool = True
    """Run as a Ray Data pipeline (local Ray unless cluster.address); false runs a plain loop."""
    num_actors: int = 1
    """Engine actors in the Ray Data actor pool (hf/openai); vllm uses vllm.replicas."""
    actor_cpus: float = 1.0
    """CPUs reserved per engine actor."""
    actor_gpus: float = 0.0
    """GPUs reserved per engine actor (hf engine; vllm replicas use augment.vllm.device and
    tensor_parallel_size). Inside the actor model.device=auto loads on the GPU Ray assigned."""
    openai: OpenAIEngineConfig = field(default_factory=OpenAIEngineConfig)
    """The openai engine's server and retry policy."""
    vllm: AugmentVLLMConfig = field(default_factory=AugmentVLLMConfig)
    """The vllm engine's device, parallelism, memory and caching."""

    def __post_init__(self):
        require(len(self.strategies) > 0, "augment.strategies", "empty list; choose from "
                + ", ".join(m.value for m in Strategy))
        for key in ("num_candidates", "max_new_tokens", "batch_size", "unit_size", "num_actors"):
            require(getattr(self, key) >= 1, f"augment.{key}", f"must be >= 1, got {getattr(self, key)}")
        for key in ("limit", "window_tokens", "entity_max_pairs", "min_words", "auto_vllm_min_prompts"):
            require(getattr(self, key) >= 0, f"augment.{key}", f"must be >= 0, got {getattr(self, key)}")
        require(self.max_chars >= 1, "augment.max_chars", f"must be >= 1, got {self.max_chars}")
        require(self.temperature >= 0, "augment.temperature", f"must be >= 0, got {self.temperature}")
        require(0 < self.top_p <= 1, "augment.top_p", f"must be in (0, 1], got {self.top_p}")
        require(0 < self.near_duplicate_threshold <= 1, "augment.near_duplicate_threshold",
                f"must be in (0, 1], got {self.near_duplicate_threshold}")
        require(self.actor_cpus > 0, "augment.actor_cpus", f"must be > 0, got {self.actor_cpus}")
        require(self.actor_gpus >= 0, "augment.actor_gpus", f"must be >= 0, got {self.actor_gpus}")
        require(0 <= self.max_failed_share <= 1, "augment.max_failed_share",
                f"must be in [0, 1], got {self.max_failed_share}")
        require(0 <= self.verify_threshold <= 1, "augment.verify_threshold",
                f"must be in [0, 1], got {self.verify_threshold}")
