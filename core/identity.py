"""What changes a stage's output, declared once per stage: its `Contract`.

A stage's identity is built from an allow-list: the config keys that change what it writes
(`output`). Every other key of the sections the stage reads is listed once, either with the
reason it changes nothing the stage writes (`neutral`: placement, speed, logging) or with the
request field that carries it (`request`). The study's cache key (cluster/stages.py) and the
stage's own resume guard both start from the identity, so they cannot disagree; the tests walk
the schema and fail naming any key nobody classified, and check each classification by changing
the key.

Keys are dotted config paths (`augment.temperature`, `train.distill.top_k`, `seed`). An entry
may name a whole subsection (`cluster`, `augment.vllm`): every key under it is classified so.
"""
from __future__ import annotations

import dataclasses
import enum
import typing
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple


@dataclass(frozen=True)
class Contract:
    stage: str
    sections: Tuple[str, ...]
    """The config sections (dotted paths) the stage reads."""
    output: Tuple[str, ...]
    """The allow-list: keys (or subsections) whose value changes the stage's output."""
    neutral: Mapping[str, str]
    """Key (or subsection) -> why changing it never changes the output."""
    request: Mapping[str, str] = field(default_factory=dict)
    """Key -> the request field that carries it (the identity reads the request's value)."""

    def pick(self, values: Mapping[str, Any], leave_out: Iterable[str] = ()) -> Dict[str, Any]:
        """The allow-listed keys' values, nested by their dotted names. `values` maps each section
        the stage reads to its object in the settings (`{"train.distill": settings.distill}`);
        `leave_out` drops allow-listed keys that do not apply to this piece of work (another
        strategy's keys, the distillation keys of a model trained without a teacher)."""
        skip = tuple(leave_out)
        out: Dict[str, Any] = {}
        for key in self.output:
            if any(_under(key, s) for s in skip):
                continue
            root = max((s for s in values if _under(key, s)), key=len, default=None)
            if root is None:
                raise KeyError(f"{self.stage} identity: no settings value for the section of '{key}'")
            value = values[root]
            for part in key[len(root):].split(".")[1:]:
                value = value[part] if isinstance(value, Mapping) else getattr(value, part)
            _put(out, key.split("."), plain(value))
        return out


def _under(key: str, entry: str) -> bool:
    return key == entry or key.startswith(entry + ".")


def _put(out: Dict[str, Any], parts: List[str], value: Any) -> None:
    for p in parts[:-1]:
        out = out.setdefault(p, {})
    out[parts[-1]] = value


def plain(value: Any) -> Any:
    """A JSON value: OmegaConf containers and dataclasses as dicts and lists, enums by name."""
    if isinstance(value, enum.Enum):
        return value.name
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    try:
        from omegaconf import DictConfig, ListConfig, OmegaConf
    except ImportError:  # pragma: no cover - omegaconf is a dependency
        DictConfig = ListConfig = ()  # type: ignore[assignment,misc]
    if isinstance(value, (DictConfig, ListConfig)):
        return OmegaConf.to_container(value, resolve=True, enum_to_str=True)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def leaves(schema: type, section: str) -> List[str]:
    """Every key under `section` (a dotted path) of the config schema `schema`, as dotted names:
    a dataclass-typed field is walked into, any other field is one key."""
    cls: Optional[type] = schema
    for part in section.split("."):
        hints = typing.get_type_hints(cls)
        if part not in hints:
            raise KeyError(f"no config key '{section}'")
        cls = hints[part]
    return _walk(cls, section)


def _walk(cls: Any, prefix: str) -> List[str]:
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        return [prefix]
    hints = typing.get_type_hints(cls)
    return [k for f in dataclasses.fields(cls) for k in _walk(hints[f.name], f"{prefix}.{f.name}")]


def unclassified(contract: Contract, schema: type) -> Dict[str, List[str]]:
    """Keys of the contract's sections not classified exactly once -> the entries that classify
    them (none, or several); empty when every key has one home."""
    bad: Dict[str, List[str]] = {}
    for section in contract.sections:
        for key in leaves(schema, section):
            found = [e for e in (*contract.output, *contract.neutral, *contract.request) if _under(key, e)]
            if len(found) != 1:
                bad[key] = found
    return bad


_VLLM_NEUTRAL = {
    "device": "placement", "tensor_parallel_size": "placement", "cpus_per_replica": "placement",
    "replicas": "speed: requests are seeded per prompt, whichever replica runs them",
    "kv_cache_gb": "memory", "gpu_memory_utilization": "memory",
    "enable_prefix_caching": "speed: a cached prefix is the same prefix",
    "block_size": "memory layout of the KV cache", "enforce_eager": "speed (graph capture)",
}
_AUGMENT_VLLM_NEUTRAL = {
    "prompts_in_flight": "speed: requests are seeded per prompt, however many share a call",
    "calls_in_flight": "speed: calls outstanding per replica",
}


def vllm_neutral(section: str) -> Dict[str, str]:
    """The keys of a vLLM section (core/config/vllm.py: `augment.vllm`, `eval.vllm`) that decide
    where and how fast the engine runs, never what it writes, with why (max_model_len is not
    among them: it bounds what a sequence may hold)."""
    keys = {**_VLLM_NEUTRAL, **(_AUGMENT_VLLM_NEUTRAL if section == "augment.vllm" else {})}
    return {f"{section}.{k}": why for k, why in keys.items()}

