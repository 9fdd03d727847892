"""Model section."""
from dataclasses import dataclass

from augft.core.config.checks import Choice, require


class DType(Choice):
    auto = "auto"
    float32 = "float32"
    fp32 = "fp32"
    bfloat16 = "bfloat16"
    bf16 = "bf16"
    float16 = "float16"
    fp16 = "fp16"


@dataclass
class ModelConfig:
    name: str = "smollm2-135m-instruct"
    """Model to load: `smollm2-135m-instruct` (embedded, no download), `tiny-random-llama`
    (a tiny random model for tests), a local folder in Hugging Face format, or a Hugging
    Face id already in the local cache."""
    cache_dir: str = ""
    """Where converted models are cached; empty means $AUGFT_CACHE or ~/.cache/augft."""
    dtype: DType = DType.auto
    """Weights dtype: auto (bf16 on GPU, fp32 on CPU), float32, bfloat16 or float16."""
    device: str = "auto"
    """Device: auto (cuda if available, else cpu), cpu or cuda."""
    trust_remote_code: bool = False
    """Allow model repositories to run their own code. Off unless you trust the source."""
    max_context: int = 0
    """Context window in tokens; 0 takes it from the model's config."""

    def __post_init__(self):
        dev = str(self.device)
        require(dev in ("auto", "cpu") or dev == "cuda" or dev.startswith("cuda:"), "model.device",
                f"must be auto, cpu, cuda or cuda:N, got '{dev}'")
        require(self.max_context >= 0, "model.max_context", "must be >= 0 (0 takes it from the model)")
