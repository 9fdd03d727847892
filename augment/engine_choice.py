"""`augment.engine=auto`: vLLM when it is installed and the run is large enough for its start-up
to pay, hf otherwise. The choice is made once per run, before anything is planned, from the
corpus's record count (no texts read), and written into the manifest with its reason."""
from __future__ import annotations

from typing import Sequence, Tuple

from augft.augment.registry import spec
from augft.core.artifacts import EngineChoice
from augft.core.config.settings import AugmentSettings


def estimated_prompts(cfg, documents: int, strategies: Sequence[str]) -> int:
    a = cfg.augment
    docs = min(documents, int(a.limit)) if int(a.limit) else documents
    return docs * sum(spec(s).prompts_per_doc for s in strategies)


def resolve_engine(cfg: AugmentSettings, data, strategies: Sequence[str],
                   engine_factory=None) -> Tuple[AugmentSettings, EngineChoice]:
    """(settings with augment.engine resolved, the choice and its reason) for this run."""
    from augft.core import vllm as core_vllm
    from augft.core.corpus import count_records, discover

    a = cfg.augment
    if str(a.engine) != "auto":
        return cfg, EngineChoice(str(a.engine), "configured")
    if engine_factory is not None:
        engine, why = "hf", "a caller-supplied engine runs"
    elif not core_vllm.installed():
        engine, why = "hf", "vLLM is not installed"
    else:
        n = estimated_prompts(cfg, count_records(discover(str(data))), strategies)
        floor = int(a.auto_vllm_min_prompts)
        engine = "vllm" if n >= floor else "hf"
        why = f"about {n} prompts, {'at least' if engine == 'vllm' else 'fewer than'} " \
              f"augment.auto_vllm_min_prompts={floor}"
    return cfg.with_augment(engine=engine), EngineChoice(engine, why)
