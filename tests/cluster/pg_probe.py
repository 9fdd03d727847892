"""Run by test_jobs_ray in a subprocess (it needs the head's auth token in its env):
reserve placement groups from the cluster config on a real Ray and print what happened."""
import json
import sys

import ray

from augft.cluster.jobs import resources
from augft.core.config import load_config
from augft.core.errors import AugftError

ray.init(address=sys.argv[1], logging_level="ERROR", log_to_driver=False)
out = {}
try:
    cfg = load_config(None, ["train.num_workers=2", "cluster.train_cpus_per_worker=0.5",
                             "cluster.train_placement_strategy=STRICT_PACK"])
    pg = resources.reserve(resources.train_workers(cfg), timeout_s=60)
    table = ray.util.placement_group_table(pg)
    out["train"] = {"bundles": len(table["bundles"]), "strategy": table["strategy"],
                    "state": table["state"]}
    ray.util.remove_placement_group(pg)
    gpu = load_config(None, ["augment.engine=vllm", "augment.vllm.tensor_parallel_size=2"])
    try:
        resources.reserve(resources.augment_replica(gpu), timeout_s=5)
        out["gpu_error"] = None
    except AugftError as exc:
        out["gpu_error"] = str(exc)
finally:
    ray.shutdown()
print("PROBE " + json.dumps(out))
