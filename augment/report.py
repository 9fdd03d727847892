"""Augmentation quality against a benchmark's exact reasoner, and the summary table."""
from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Dict, List

log = logging.getLogger(__name__)


def load_checker(data_dir: Path):
    """The benchmark's checker, or None for user data (no benchmark.json)."""
    from augft.eval.benchmarks.api import load_checker as _load

    return _load(Path(data_dir))


def quality(checker, texts_by_strategy: Dict[str, List[str]]) -> Dict[str, Dict]:
    """Per strategy: shares of statements the reasoner finds true/false/uncheckable, and
    how many test-relevant inferences (checker.targets()) the statements cover."""
    if checker is None:
        return {}
    targets = checker.targets()
    out = {}
    for strat, texts in texts_by_strategy.items():
        verdicts = {"true": 0, "false": 0, "uncheckable": 0}
        for t in texts:
            v = checker.check(t)
            verdicts[v if v in verdicts else "uncheckable"] += 1
        n = len(texts)
        covered = checker.covered(texts) & set(targets)
        out[strat] = {
            "n": n, **verdicts,
            **{f"{k}_share": (verdicts[k] / n if n else 0.0) for k in verdicts},
            "targets": len(targets), "covered": len(covered),
            "coverage": len(covered) / len(targets) if targets else 0.0,
        }
    return out


def summary_table(manifest: Dict) -> str:
    """A fixed-width table: one row per strategy (also what the CLI prints)."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title="augft augment")
    for col in ("strategy", "prompts", "inputs", "ok", "filtered", "failed", "tokens out",
                "gen s", "true/false/unch.", "coverage"):
        t.add_column(col, justify="left" if col in ("strategy", "filtered") else "right")
    q = manifest.get("quality", {})
    for name, s in manifest["strategies"].items():
        filt = ", ".join(f"{k} {v}" for k, v in sorted(s["filtered"].items(), key=lambda x: -x[1]))
        qs = q.get(name)
        tfu = f"{qs['true']}/{qs['false']}/{qs['uncheckable']}" if qs else "-"
        cov = f"{qs['covered']}/{qs['targets']} ({qs['coverage']:.0%})" if qs else "-"
        t.add_row(name, str(s.get("prompts", 0)), str(s["inputs"]), str(s["ok"]), filt or "-",
                  str(s["failed"]), str(s.get("completion_tokens", 0)),
                  f"{s.get('gen_s', 0.0):.1f}", tfu, cov)
    buf = io.StringIO()
    Console(width=160, file=buf).print(t)
    return buf.getvalue()
