"""The augment summary table (also what the CLI prints)."""
from __future__ import annotations

import io
from typing import Dict, List, Optional


def _row(name: str, s: Dict, qs: Optional[Dict]) -> List[str]:
    filt = ", ".join(f"{k} {v}" for k, v in sorted(s["filtered"].items(), key=lambda x: -x[1]))
    tfu = f"{qs['true']}/{qs['false']}/{qs['uncheckable']}" if qs else "-"
    cov = f"{qs['covered']}/{qs['targets']} ({qs['coverage']:.0%})" if qs else "-"
    multi = qs.get("multi_step") if qs else None
    if multi and multi.get("targets"):
        cov += f", {multi['covered']}/{multi['targets']} multi-step"
    return [name, str(s.get("prompts", 0)), str(s["inputs"]), str(s["ok"]), filt or "-", str(s["failed"]),
            str(s.get("completion_tokens", 0)), f"{s.get('gen_s', 0.0):.1f}", tfu, cov]


def summary_table(manifest: Dict, quality: Optional[Dict] = None) -> str:
    """A fixed-width table: one row per strategy (and per round, for compose); `quality` adds
    the exact checker's columns."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title="augft augment")
    for col in ("strategy", "prompts", "inputs", "ok", "filtered", "failed", "tokens out",
                "gen s", "true/false/unch.", "coverage"):
        t.add_column(col, justify="left" if col in ("strategy", "filtered") else "right")
    q = quality or {}
    for name, s in manifest["strategies"].items():
        t.add_row(*_row(name, s, q.get(name)))
        by_round = {r["round"]: r for r in (q.get(name) or {}).get("rounds", [])}
        for r in s.get("rounds", []):
            t.add_row(*_row(f"  round {r['round']}", r, by_round.get(r["round"])))
    buf = io.StringIO()
    Console(width=180, file=buf).print(t)
    return buf.getvalue()
