"""`augft plan [--config FILE] [--data DIR] [--cluster FILE | --address ADDR] [--check] [key=value ...]`:
a study's prompts, tokens, FLOPs, resources, wall time, GPU-hours and money before it runs
(docs/plan.md). It loads no model and writes nothing."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import List, Optional

from augft.core.errors import AugftError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise AugftError(f"{message} (see 'augft plan --help')")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="augft plan", description=
                "price a study before running it: per stage prompts, tokens, FLOPs, resources, wall "
                "time, GPU-hours and money, on a cluster file or a running Ray cluster",
                epilog="example:\n  augft plan --config configs/paper.yaml --cluster configs/clusters/h100-4x8.yaml "
                       "--price-per-gpu-hour 2.5", formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", help="YAML config file (default: the embedded-default config)")
    p.add_argument("--data", help="folder with corpus.jsonl and questions.jsonl (default: the config's benchmark, "
                   "generated into a temporary folder)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--cluster", help="cluster YAML: nodes, gpus_per_node, gpu, cpus_per_node, memory_gb")
    where.add_argument("--address", help="a running Ray cluster (its resources; 'auto' joins the local one)")
    p.add_argument("--gpu", help="GPU type when the cluster does not name one (same as plan.gpu=...)")
    p.add_argument("--price-per-gpu-hour", type=float, help="money per GPU-hour (same as plan.price_per_gpu_hour=...)")
    p.add_argument("--check", action="store_true", help="on the Ray cluster (--address): reserve each stage's "
                   "placement in the study's order and release it; exit 1 when a stage does not fit")
    p.add_argument("--check-timeout", type=float, default=10.0, help="seconds to wait for each reservation")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides")
    return p


def _overrides(ns) -> List[str]:
    bad = [o for o in ns.overrides if "=" not in o]
    if bad:
        raise AugftError(f"unexpected argument(s) {bad}: overrides must look like key=value")
    extra = [f"plan.gpu={ns.gpu}"] if ns.gpu else []
    if ns.price_per_gpu_hour is not None:
        extra.append(f"plan.price_per_gpu_hour={ns.price_per_gpu_hour}")
    return list(ns.overrides) + extra


def _cluster(ns, cfg):
    from augft.cluster.plan_cluster import read_cluster_file, read_ray_cluster

    if ns.cluster:
        return read_cluster_file(ns.cluster)
    if ns.address or ns.check:
        return read_ray_cluster(ns.address or str(cfg.cluster.address), str(cfg.plan.gpu))
    raise AugftError("augft plan needs a cluster: --cluster FILE (nodes, gpus_per_node, gpu, cpus_per_node, "
                     "memory_gb; e.g. configs/clusters/h100-4x8.yaml) or --address of a running Ray cluster")


def run_plan(ns) -> int:
    from augft.cluster.plan import plan_study
    from augft.cluster.plan_check import check_on_ray, describe, fits
    from augft.cluster.plan_table import render
    from augft.core.config import load_config

    cfg = load_config(ns.config, _overrides(ns))
    if ns.check and ns.cluster:
        raise AugftError("--check reserves on a running Ray cluster: give --address, not --cluster")
    data = Path(ns.data) if ns.data else None
    if data is not None and not data.is_dir():
        raise AugftError(f"--data {data}: not a folder")
    cluster = _cluster(ns, cfg)
    plan = plan_study(cfg, data, cluster)
    print(render(plan))
    results = check_on_ray(plan, ns.check_timeout) if ns.check else fits(plan)
    print(f"\n{'check on the running cluster (reserved and released)' if ns.check else 'fits the cluster'}:")
    print(describe(results))
    return 0 if all(f.ok for f in results) else 1


def main(argv: Optional[List[str]] = None) -> int:
    import sys

    return run_plan(build_parser().parse_args(sys.argv[1:] if argv is None else argv))
