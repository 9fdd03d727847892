"""Is an augmentation worth training on? Per strategy, what its manifest says was kept,
filtered (by reason) and failed, and a flag when it kept nothing or less than
`pipeline.min_kept_share` of what the model wrote: then `aug_ft[...]` trains on (almost) the
corpus alone, i.e. what `ft` trains on, and the comparison would read as a method's result."""
from __future__ import annotations

from typing import Dict, List, Mapping, Optional

from augft.core.artifacts import AugmentationCounts, Manifest
from augft.core.tables import render_markdown


def counts(manifest: Manifest) -> Dict[str, AugmentationCounts]:
    """{strategy: counts} from an augment manifest (its entries call the kept records `ok`)."""
    return {s: AugmentationCounts(st.ok, dict(st.filtered), st.failed) for s, st in manifest.strategies.items()}


def flag(c: AugmentationCounts, min_share: float) -> Optional[str]:
    """Why a strategy's augmentation is degenerate, or None."""
    if c.kept == 0:
        return f"kept nothing of {c.written} statements written"
    if c.share is not None and c.share < min_share:
        return f"kept {c.kept} of {c.written} statements ({c.share:.1%}, below pipeline.min_kept_share={min_share:g})"
    return None


def describe(strategy: str, c: AugmentationCounts, why: str, conditions: List[str]) -> str:
    """The console and report line for a flagged strategy."""
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(c.filtered.items(), key=lambda kv: -kv[1])) or "none"
    using = f"; {', '.join(conditions)} trains on little more than the corpus ft trains on" if conditions else ""
    return (f"augmentation '{strategy}' {why} (filtered: {reasons}; failed: {c.failed}){using}")


def markdown(all_counts: Mapping[str, AugmentationCounts], flags: Mapping[str, str]) -> str:
    """Per strategy: kept, filtered by reason, failed, and the flag."""
    rows = [[s, str(c.kept),
             ", ".join(f"{k} {v}" for k, v in sorted(c.filtered.items(), key=lambda kv: -kv[1])) or "0",
             str(c.failed), "-" if c.share is None else f"{c.share:.2f}", "**degenerate**" if s in flags else ""]
            for s, c in all_counts.items()]
    return render_markdown(["strategy", "kept", "filtered (by reason)", "failed", "kept share", "flag"], rows)
