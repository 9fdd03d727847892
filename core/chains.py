"""Strategies that feed each other: `a<b` is strategy `a` run over the records strategy `b` kept.

One notation everywhere (conditions, the study's augment stages, manifests, the training mix):
`reverse<compose` reads "reverse over compose"; chains nest to the left, `local<reverse<compose`
is local over (reverse over compose). A chained strategy's records name their chain in run order
(`meta.chain = ["compose", "reverse"]`) and the upstream record they came from (`meta.upstream`).

Only the per-document strategies can read another strategy's output (`CHAINABLE`): they prompt
(or rewrite) one statement at a time, so an upstream record stands in for a document. `global`
and `compose` read the corpus as a whole and `oracle` reads a benchmark's file, so none of them
can be the downstream of a chain; any strategy can be an upstream.
"""
from __future__ import annotations

from typing import Iterable, List, Optional, Sequence, Tuple

from augft.core.config.checks import ConfigError

SEP = "<"
CHAINABLE = ("local", "rephrase", "qa", "reverse")
"""Strategies that can run over another strategy's kept records (the downstream of a chain)."""


def parts(label: str) -> Tuple[str, ...]:
    """`a<b<c` -> ("a", "b", "c"): the strategy, then what it reads, outermost first."""
    return tuple(str(label).split(SEP))


def is_chain(label: str) -> bool:
    return SEP in str(label)


def base(label: str) -> str:
    """The strategy that writes a chained label's records (`reverse` of `reverse<compose`)."""
    return parts(label)[0]


def upstream(label: str) -> Optional[str]:
    """What a chained label reads (`compose` of `reverse<compose`); None when not chained."""
    p = parts(label)
    return SEP.join(p[1:]) if len(p) > 1 else None


def run_order(label: str) -> List[str]:
    """The strategies in the order they run: `reverse<compose` -> ["compose", "reverse"]."""
    return list(reversed(parts(label)))


def members(labels: Iterable[str]) -> List[str]:
    """Every strategy any label runs (chains unrolled), first mention first."""
    out: List[str] = []
    for label in labels:
        out.extend(s for s in run_order(label) if s not in out)
    return out


def with_upstreams(labels: Sequence[str]) -> List[str]:
    """The labels plus every upstream they read (recursively), each once, an upstream before the
    chains that read it: the augment stages a study runs, in order."""
    out: List[str] = []

    def add(label: str) -> None:
        up = upstream(label)
        if up is not None:
            add(up)
        if label not in out:
            out.append(label)

    for label in labels:
        add(str(label))
    return out


def check(label: str, known: Sequence[str], key: str, where: str = "") -> None:
    """Refuse a chain that cannot run, naming the config `key` and the condition `where`."""
    p, at = parts(label), f"'{where or label}'"
    if not is_chain(label):
        return
    bad = [s for s in p if s not in known]
    if bad:
        raise ConfigError(f"config key '{key}': {at} chains unknown strategies {bad}; known: "
                          f"{', '.join(known)}", key=key)
    if len(p) == 2 and p[0] == p[1]:
        raise ConfigError(f"config key '{key}': {at} chains '{p[0]}' onto itself; a strategy reads the corpus "
                          f"and, after '{SEP}', another strategy's records", key=key)
    repeated = sorted({s for s in p if p.count(s) > 1})
    if repeated:
        raise ConfigError(f"config key '{key}': {at} is a cycle: {repeated} appear twice in the chain "
                          f"{' -> '.join(run_order(label))}", key=key)
    for s in p[:-1]:
        if s not in CHAINABLE:
            raise ConfigError(f"config key '{key}': {at} runs '{s}' over another strategy's records, which "
                              f"it cannot ({_why(s)}); the downstream of a chain is one of "
                              f"{', '.join(CHAINABLE)}, e.g. 'reverse{SEP}{p[-1]}'", key=key)


def _why(strategy: str) -> str:
    if strategy in ("oracle", "oracle2"):
        return f"{strategy} copies a benchmark's ground truth and reads no records"
    if strategy in ("global", "compose"):
        return f"{strategy} reads the corpus as a whole, not one statement at a time"
    return "it plans its own pairs from the corpus"
