"""Run by test_sweep_gpu in a subprocess (a trial that cannot be placed waits forever; the test
bounds it with a timeout): one Ray Tune trial on a local Ray with 2 logical GPUs, reserved as
`augft sweep` reserves it, whose trainable starts Ray Train workers with the ScalingConfig a real
trial's training uses. Prints each worker's GPU ids."""
import json
import sys

import ray
from ray import tune

from augft.cluster.jobs.resources import tune_settings
from augft.core.config import load_config
from augft.train.resources import train_resources

CFG = load_config(None, ["train.use_gpu=true", "train.num_workers=2", "train.batch_size=2",
                         "cluster.train_gpus_per_worker=1", "cluster.train_cpus_per_worker=0.5",
                         "cluster.trial_cpus=0.5", "train.launcher=ray"])


def _worker(config):
    import ray.train

    rank = ray.train.get_context().get_world_rank()
    with open(f"{config['storage']}/gpus-{rank}.json", "w") as f:
        json.dump([str(g) for g in ray.get_gpu_ids()], f)


def trainable(params):
    from ray.train import RunConfig
    from ray.train.v2.api.data_parallel_trainer import DataParallelTrainer

    trainer = DataParallelTrainer(_worker, train_loop_config=params, scaling_config=train_resources(CFG).scaling_config(),
                                  run_config=RunConfig(storage_path=params["storage"], name="train"))
    trainer.fit()
    tune.report({"gpus": json.dumps([json.load(open(f"{params['storage']}/gpus-{r}.json")) for r in range(2)])})


if __name__ == "__main__":
    ray.init(address="local", num_cpus=2, num_gpus=2, include_dashboard=False, logging_level="ERROR",
             log_to_driver=False)
    settings = tune_settings(CFG)
    tuner = tune.Tuner(tune.with_resources(trainable, settings["resources"]),
                       param_space={"storage": sys.argv[1]},
                       tune_config=tune.TuneConfig(num_samples=1, max_concurrent_trials=1),
                       run_config=tune.RunConfig(storage_path=sys.argv[1], name="tune", verbose=0))
    grid = tuner.fit()
    print("PROBE " + json.dumps({"gpus": grid[0].metrics.get("gpus"), "error": str(grid[0].error or "")}))
    ray.shutdown()
