"""Whether each stage's reservation fits: against the cluster's totals (`check_fits`, always), and
with `augft plan --check` on the running Ray cluster itself: each stage's placement groups are
reserved in the study's order, waited for a short while (`ready()`), and released."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional

from augft.cluster.jobs.resources import check_fits
from augft.cluster.plan import StudyPlan
from augft.cluster.plan_placement import StagePlacement
from augft.core.errors import AugftError


@dataclass(frozen=True)
class Fit:
    stage: str
    ok: bool
    message: str = ""


def _static(pl: StagePlacement, nodes: List[Dict[str, float]]) -> Optional[str]:
    try:
        check_fits(pl.spec, nodes, pl.copies)
        return None
    except AugftError as exc:
        return str(exc)


def _placed(stages: StudyPlan) -> List:
    return [s for s in stages.stages if s.placement is not None]


def fits(plan: StudyPlan) -> List[Fit]:
    """Each stage against the cluster's nodes (necessary, not sufficient: see `check_fits`)."""
    out = []
    for s in _placed(plan):
        why = _static(s.placement, plan.cluster.nodes)
        out.append(Fit(s.name, why is None, why or ""))
    return out


def _reserve(pl: StagePlacement, timeout_s: float) -> bool:
    """Reserve the stage's placement groups at once, wait for them, release them."""
    import ray
    from ray.util.placement_group import placement_group, remove_placement_group

    groups = [placement_group([dict(b) for b in pl.spec.bundles], strategy=pl.spec.strategy)
              for _ in range(pl.copies)]
    try:
        ready, pending = ray.wait([g.ready() for g in groups], num_returns=len(groups), timeout=timeout_s)
        return not pending
    finally:
        for g in groups:
            remove_placement_group(g)
        _wait_removed(groups)


def _wait_removed(groups, timeout_s: float = 30.0) -> None:
    """Removal is asynchronous: the next stage's reservation must not wait behind this one's."""
    import time

    from ray.util.placement_group import placement_group_table

    end = time.monotonic() + timeout_s
    while time.monotonic() < end and any(placement_group_table(g).get("state") != "REMOVED" for g in groups):
        time.sleep(0.1)


def check_on_ray(plan: StudyPlan, timeout_s: float = 10.0) -> List[Fit]:
    """Every stage reserved in the study's order on the connected Ray cluster. A stage that does
    not fit names the keys of its spec; stages of one kind share a spec, so each kind is reserved once."""
    done: Dict[str, Fit] = {}
    out = []
    for s in _placed(plan):
        pl = s.placement
        if s.kind not in done:
            why = _static(pl, plan.cluster.nodes)
            if why is None and not _reserve(pl, timeout_s):
                why = (f"{s.name}: {pl.copies} placement group(s) of {pl.spec.bundles} ({pl.spec.strategy}) "
                       f"not ready after {timeout_s:g} s on this cluster (its free resources); lower "
                       f"{pl.spec.keys}, or free or add nodes")
            done[s.kind] = Fit(s.name, why is None, why or "")
        f = done[s.kind]
        out.append(Fit(s.name, f.ok, f.message))
    return out


def describe(results: List[Fit]) -> str:
    lines = [f"  {f.stage}: {'fits' if f.ok else 'DOES NOT FIT: ' + f.message}" for f in results]
    return "\n".join(lines)
