"""`augft augment` as a command: the augment stage, then (on a built-in benchmark) the exact
checker's verdicts on what it wrote, kept beside the manifest as quality.json.

Augment never imports eval; the orchestrator puts the two together here and in the study.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from augft.core.artifacts import AugmentOutput, Quality
from augft.core.errors import AugftError, CapReached


def record_quality(data_dir: Path, aug_dir: Path) -> Quality:
    """Score an augment output against `data_dir`'s benchmark checker; empty for user data."""
    from augft.eval.datasets.quality import augmentation_quality

    q = augmentation_quality(Path(data_dir), Path(aug_dir))
    if q.strategies:
        AugmentOutput(Path(aug_dir)).write_quality(q)
    return q


def chained_label(cfg, upstream: Path) -> str:
    """`--from DIR`: the configured strategy over the one strategy DIR holds (`reverse<compose`)."""
    strategies = [str(s) for s in cfg.augment.strategies]
    if not AugmentOutput(upstream).finished():
        raise AugftError(f"--from {upstream}: no manifest.json (give a finished augft augment --out folder)")
    held = list(AugmentOutput(upstream).manifest().strategies)
    if len(strategies) != 1 or len(held) != 1:
        raise AugftError(f"--from {upstream}: a chain runs one strategy (augment.strategies={strategies}) over "
                         f"the one strategy of an augment output (it holds {held}); run one per chain")
    return f"{strategies[0]}<{held[0]}"


def _request(cfg, data, out, upstream: Optional[Path]):
    """The run's request; pipeline.budget.tokens caps what this output folder generates in all
    (earlier runs into it count), as the study's augment stages are capped."""
    from augft.augment.request import AugmentRequest

    cap = int(cfg.pipeline.budget.tokens or 0)
    if upstream is None:
        return AugmentRequest(str(data), str(out), tuple(str(s) for s in cfg.augment.strategies), cap)
    return AugmentRequest(str(data), str(out), (chained_label(cfg, Path(upstream)),), cap, upstream=str(upstream))


def run_augment(cfg, data: Optional[Path] = None, out: Path = Path("out/augment"),
                upstream: Optional[Path] = None) -> int:
    """CLI entry point; `upstream` (--from): chain the configured strategy onto that output's records."""
    from augft.augment.api import augment_request
    from augft.augment.report import summary_table
    from augft.core.config.settings import AugmentSettings

    if data is None:
        raise AugftError("augft augment needs --data DIR")
    req = _request(cfg, data, out, upstream)  # folders or URIs (s3://...)
    try:
        manifest = augment_request(req, AugmentSettings.of(cfg))
    except CapReached as exc:
        raise AugftError(f"config key 'pipeline.budget.tokens': augment stopped at the cap ({exc}); the units "
                         f"done are kept in {out} without a manifest: rerun with a larger pipeline.budget.tokens "
                         "(or 0: no cap) to continue") from None
    local = "://" not in f"{data}{out}"
    print(summary_table(manifest, record_quality(Path(data), Path(out)) if local else None), end="")
    print(f"wrote {out}/manifest.json")
    from augft.cluster import augment_health as health

    for s, c in health.counts(manifest).items():
        why = health.flag(c, float(cfg.pipeline.min_kept_share))
        if why:
            print(f"WARNING: {health.describe(s, c, why, [])}")
    return 0
