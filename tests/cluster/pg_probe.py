"""Run by test_jobs_ray in a subprocess (it needs the head's auth token in its env): check a
sweep trial's placement group from the config against a real Ray cluster and print the result."""
import json
import sys

import ray

from augft.cluster.jobs import resources
from augft.core.config import load_config
from augft.core.errors import AugftError

ray.init(address=sys.argv[1], logging_level="ERROR", log_to_driver=False)
out = {}
try:
    fits = load_config(None, ["train.num_workers=2", "cluster.train_cpus_per_worker=0.5",
                              "cluster.trial_cpus=0.5", "cluster.train_placement_strategy=STRICT_PACK"])
    spec = resources.trial(fits)
    resources.check_fits(spec, resources.cluster_nodes())
    pg = ray.util.placement_group(spec.bundles, strategy=spec.strategy)
    ray.get(pg.ready(), timeout=60)
    table = ray.util.placement_group_table(pg)
    out["trial"] = {"bundles": len(table["bundles"]), "strategy": table["strategy"], "state": table["state"]}
    ray.util.remove_placement_group(pg)
    too_big = load_config(None, ["train.num_workers=4", "cluster.train_cpus_per_worker=1"])
    try:
        resources.check_fits(resources.trial(too_big), resources.cluster_nodes())
        out["error"] = None
    except AugftError as exc:
        out["error"] = str(exc)
finally:
    ray.shutdown()
print("PROBE " + json.dumps(out))
