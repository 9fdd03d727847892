"""`augft augment` as a command: the augment stage, then (on a built-in benchmark) the exact
checker's verdicts on what it wrote, kept beside the manifest as quality.json.

Augment never imports eval; the orchestrator puts the two together here and in the study.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from augft.core.artifacts import AugmentOutput, Quality
from augft.core.errors import AugftError


def record_quality(data_dir: Path, aug_dir: Path) -> Quality:
    """Score an augment output against `data_dir`'s benchmark checker; empty for user data."""
    from augft.eval.datasets.quality import augmentation_quality

    q = augmentation_quality(Path(data_dir), Path(aug_dir))
    if q.strategies:
        AugmentOutput(Path(aug_dir)).write_quality(q)
    return q


def run_augment(cfg, data: Optional[Path] = None, out: Path = Path("out/augment")) -> int:
    """CLI entry point."""
    from augft.augment.api import augment
    from augft.augment.report import summary_table

    if data is None:
        raise AugftError("augft augment needs --data DIR")
    manifest = augment(cfg, data, out)  # folders or URIs (s3://...)
    local = "://" not in f"{data}{out}"
    print(summary_table(manifest, record_quality(Path(data), Path(out)) if local else None), end="")
    print(f"wrote {out}/manifest.json")
    from augft.cluster import augment_health as health

    for s, c in health.counts(manifest).items():
        why = health.flag(c, float(cfg.pipeline.min_kept_share))
        if why:
            print(f"WARNING: {health.describe(s, c, why, [])}")
    return 0
