"""Augment section (owned by augment/)."""
from dataclasses import dataclass, field
from typing import Dict, List


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


@dataclass
class VLLMEngineConfig:
    tensor_parallel_size: int = 1
    """GPUs per replica (tensor parallel); the replica's GPUs come from one placement group."""
    replicas: int = 1
    """Engine replicas (Ray actors); prompts sharing a window go to the same replica."""
    gpu_memory_utilization: float = 0.9
    """Fraction of each GPU's memory vLLM may use."""
    max_model_len: int = 0
    """Maximum sequence length (0 = the model's)."""
    enable_prefix_caching: bool = True
    """Reuse the KV cache of shared prompt prefixes (the shared global window)."""
    enforce_eager: bool = False
    """Disable CUDA graphs (slower, faster start-up)."""


@dataclass
class AugmentConfig:
    strategies: List[str] = field(default_factory=lambda: ["local"])
    """Strategies to run: local, global, entity, oracle."""
    engine: str = "hf"
    """Generation engine: hf (transformers), vllm (vLLM in Ray actors) or openai (HTTP server)."""
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
    prompt_set: str = "fewshot-v1"
    """Built-in prompt templates: fewshot-v1 (few-shot demonstrations with nonsense names) or zeroshot-v1."""
    templates: Dict[str, str] = field(default_factory=dict)
    """Override a template by name (local, global, entity_extract, entity_pair); the text's hash is its provenance."""
    local_unit: str = "document"
    """What one local prompt covers: document (a training item) or sentence."""
    window_tokens: int = 0
    """Token budget of one global window (the corpus in context); 0 = model context minus room for the prompt."""
    long_documents: str = "split"
    """Documents longer than the context: split (into sentence chunks) or skip; either is counted."""
    entity_max_pairs: int = 6
    """Entity strategy: cap on entity pairs per document."""
    entity_triples: bool = False
    """Entity strategy: also relate triples of entities (counted within the cap)."""
    min_words: int = 3
    """Filter: statements with fewer words are dropped as too_short."""
    max_chars: int = 400
    """Filter: statements longer than this are dropped as too_long."""
    require_source_overlap: bool = True
    """Filter: drop statements sharing no content word with their source as unrelated (off only for random test models)."""
    near_duplicate_threshold: float = 0.8
    """Filter: Jaccard similarity (MinHash over word 3-grams) above which a statement is a near duplicate."""
    unit_size: int = 32
    """Prompts per work unit (one shard file); finished units are skipped on rerun."""
    use_ray: bool = True
    """Run as a Ray Data pipeline (local Ray unless cluster.address); false runs a plain loop."""
    num_actors: int = 1
    """Engine actors in the Ray Data actor pool (hf/openai); vllm uses vllm.replicas."""
    actor_cpus: float = 1.0
    """CPUs reserved per engine actor."""
    openai: OpenAIEngineConfig = field(default_factory=OpenAIEngineConfig)
    """The openai engine's server and retry policy."""
    vllm: VLLMEngineConfig = field(default_factory=VLLMEngineConfig)
    """The vllm engine's parallelism and caching."""
