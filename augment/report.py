"""The augment summary table (also what the CLI prints)."""
from __future__ import annotations

import io
from typing import Optional

from augft.core.artifacts import Manifest, Quality


def summary_table(manifest: Manifest, quality: Optional[Quality] = None) -> str:
    """A fixed-width table: one row per strategy; `quality` adds the exact checker's columns."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title="augft augment")
    for col in ("strategy", "prompts", "inputs", "ok", "filtered", "failed", "tokens out",
                "gen s", "true/false/unch.", "coverage"):
        t.add_column(col, justify="left" if col in ("strategy", "filtered") else "right")
    q = quality.strategies if quality else {}
    for name, s in manifest.strategies.items():
        filt = ", ".join(f"{k} {v}" for k, v in sorted(s.filtered.items(), key=lambda x: -x[1]))
        qs = q.get(name)
        tfu = f"{qs.true}/{qs.false}/{qs.uncheckable}" if qs else "-"
        cov = f"{qs.covered}/{qs.targets} ({qs.coverage:.0%})" if qs else "-"
        t.add_row(name, str(s.prompts), str(s.inputs), str(s.ok), filt or "-", str(s.failed),
                  str(s.completion_tokens), f"{s.gen_s:.1f}", tfu, cov)
    buf = io.StringIO()
    Console(width=160, file=buf).print(t)
    return buf.getvalue()
