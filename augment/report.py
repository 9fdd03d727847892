"""The augment summary table (also what the CLI prints)."""
from __future__ import annotations

import io
from typing import List, Optional, Union

from augft.core.artifacts import Manifest, Quality, RoundEntry, RoundQuality, StrategyEntry, StrategyQuality


def _row(name: str, s: Union[StrategyEntry, RoundEntry],
         qs: Optional[Union[StrategyQuality, RoundQuality]]) -> List[str]:
    filt = ", ".join(f"{k} {v}" for k, v in sorted(s.filtered.items(), key=lambda x: -x[1]))
    tfu = f"{qs.true}/{qs.false}/{qs.uncheckable}" if qs else "-"
    cov = f"{qs.covered}/{qs.targets} ({qs.covered / qs.targets if qs.targets else 0.0:.0%})" if qs else "-"
    if qs and qs.multi_step.targets:
        cov += f", {qs.multi_step.covered}/{qs.multi_step.targets} multi-step"
    return [name, str(s.prompts), str(s.inputs), str(s.ok), filt or "-", str(s.failed),
            str(s.completion_tokens), f"{s.gen_s:.1f}", tfu, cov]


def summary_table(manifest: Manifest, quality: Optional[Quality] = None) -> str:
    """A fixed-width table: one row per strategy (and per round, for compose); `quality` adds
    the exact checker's columns."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    t = Table(title="augft augment")
    for col in ("strategy", "prompts", "inputs", "ok", "filtered", "failed", "tokens out",
                "gen s", "true/false/unch.", "coverage"):
        t.add_column(col, justify="left" if col in ("strategy", "filtered") else "right")
    q = quality.strategies if quality else {}
    for name, s in manifest.strategies.items():
        qs = q.get(name)
        t.add_row(*(Text(c) for c in _row(name, s, qs)))  # plain text, never rich markup
        by_round = {r.round: r for r in (qs.rounds if qs else [])}
        for r in s.rounds:
            t.add_row(*(Text(c) for c in _row(f"  round {r.round}", r, by_round.get(r.round))))
    buf = io.StringIO()
    Console(width=180, file=buf).print(t)
    return buf.getvalue() + "".join(line + "\n" for line in coverage_lines(manifest))


def coverage_lines(manifest: Manifest) -> List[str]:
    """What entity detection found, per strategy: documents naming an entity, global prompts
    that fell back to the whole window, compose pairs per round (on real text, the first signs
    that names went unread)."""
    out = []
    for name, s in manifest.strategies.items():
        e, parts = s.entities, []
        if e.get("documents_with_entities") is not None and s.documents:
            n = e["documents_with_entities"]
            parts.append(f"{n}/{s.documents} documents name an entity ({n / s.documents:.0%})")
        shown = e.get("whole_window", 0) + e.get("linked", 0)
        if shown:
            parts.append(f"{e.get('whole_window', 0)}/{shown} prompts fell back to the whole window "
                         f"({e.get('whole_window', 0) / shown:.0%})")
        if s.rounds:
            parts.append("pairs per round " + ", ".join(f"r{r.round} {r.prompts}" for r in s.rounds))
        if s.stopped_at:
            parts.append(f"stopped after round {s.stopped_at} of {s.rounds_asked}: {s.stop_reason}")
        if parts:
            out.append(f"{name}: " + "; ".join(parts))
    return out
