"""Augment section (owned by augment/)."""
from dataclasses import dataclass, field
from typing import List


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
