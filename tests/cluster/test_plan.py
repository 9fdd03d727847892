"""`augft plan`: its counts against a real tiny study, its FLOPs against the cost functions, the
cluster file's errors, and `--check` on a local Ray cluster with logical GPUs."""
from __future__ import annotations

from pathlib import Path

import pytest

from augft.cluster.plan import StageEstimate, StudyPlan
from augft.cluster.plan_cluster import ClusterSpec, read_cluster_file, read_ray_cluster
from augft.cluster.plan_placement import stage_placements
from augft.core.artifacts import AugmentOutput, StudyResults, read_train_summary, read_typed
from augft.core.config import load_config
from augft.core.errors import AugftError
from augft.core.flops import training_flops
from augft.core.gpus import GPUS
from helpers import REPO

TINY = REPO / "configs" / "tiny.yaml"
# Two trained conditions, less eval (no retention bank), shorter generations than tiny.yaml.
STUDY = ["pipeline.conditions=[ft,'aug_ft[local]']", "eval.retention=false", "augment.max_new_tokens=8",
         "benchmark.people.n_train_templates=2"]


def _cluster_file(tmp_path: Path, **over) -> Path:
    body = {"nodes": 2, "gpus_per_node": 4, "gpu": "H100", "cpus_per_node": 32, "memory_gb": 256, **over}
    p = tmp_path / "cluster.yaml"
    p.write_text("".join(f"{k}: {v}\n" for k, v in body.items() if v is not None))
    return p


def _rows(plan: StudyPlan) -> dict:
    return {s.name: s for s in plan.stages}


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory, tiny_model):
    """One real tiny study (about a minute here): its folder."""
    from helpers import augft_cli

    out = tmp_path_factory.mktemp("study") / "out"
    proc = augft_cli("run", "--config", TINY, "--out", out, "tracking.enabled=false", *STUDY, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def _plan(tmp_path, out: Path, *extra):
    from augft.cluster.plan import plan_study

    cfg = load_config(TINY, [*STUDY, *extra])
    data = next((out / "benchmark").iterdir())
    return plan_study(cfg, data, read_cluster_file(_cluster_file(tmp_path))), cfg


@pytest.mark.slow
def test_plan_predicts_what_the_tiny_run_records(tiny_study, tmp_path):
    plan, _ = _plan(tmp_path, tiny_study)
    rows = _rows(plan)
    aug = AugmentOutput(next((tiny_study / "augment").glob("local-*"))).manifest()
    local = aug.strategies["local"]
    row = rows["augment[local]"]
    assert row.prompts == pytest.approx(local.prompts, rel=0.1)
    assert row.tokens_in == pytest.approx(local.prompt_tokens, rel=0.1)
    assert row.out_bound >= local.completion_tokens  # an upper bound, and a tight one for this model
    assert row.out_bound == pytest.approx(local.completion_tokens, rel=0.1)
    ft = read_train_summary(next((tiny_study / "train").glob("ft-*")) / "summary.json")
    assert rows["train[ft]"].train_tokens == pytest.approx(ft.tokens, rel=0.1)
    # With the run's own manifests, the measured mean output and the kept training text are used.
    measured, _ = _plan(tmp_path, tiny_study, f"plan.measured={tiny_study}")
    m = _rows(measured)
    assert m["augment[local]"].out_measured == pytest.approx(local.completion_tokens, rel=0.1)
    aug_ft = read_train_summary(next((tiny_study / "train").glob("aug_ft_local-*")) / "summary.json")
    assert m["train[aug_ft[local]]"].train_tokens == pytest.approx(aug_ft.tokens, rel=0.1)


@pytest.mark.slow
def test_plan_flops_equal_the_cost_functions(tiny_study, tmp_path):
    from augft.eval.costs import augment_flops

    plan, _ = _plan(tmp_path, tiny_study)
    rows = _rows(plan)
    row = rows["augment[local]"]
    # The cost table's augmentation FLOPs of a manifest holding the planned counts.
    folder = next((tiny_study / "augment").glob("local-*"))
    m = AugmentOutput(folder).manifest()
    assert (m.strategies["local"].prompt_tokens, m.strategies["local"].completion_tokens) == (row.tokens_in,
                                                                                              row.out_bound)
    assert row.flops == augment_flops(str(folder / "manifest.json"), "k", plan.n_params)
    for label in ("ft", "aug_ft[local]"):
        r = rows[f"train[{label}]"]
        assert r.flops == training_flops(plan.n_params, r.train_tokens)  # what train_flops records
    # The report's cost table at the planned counts: one-off = augmentation + training.
    cost = plan.costs.conditions["aug_ft[local]"]
    assert cost.one_off_flops == row.flops + rows["train[aug_ft[local]]"].flops
    assert rows["eval[ft]"].flops == pytest.approx(cost.flops_per_query * rows["eval[ft]"].prompts)
    report = read_typed(tiny_study / "report" / "results.json", StudyResults, "study results").costs.conditions
    assert report["aug_ft[local]"].augment_flops == row.flops  # the same counts, the same number


def test_cluster_file_errors_name_the_file_and_key(tmp_path):
    spec = read_cluster_file(_cluster_file(tmp_path))
    assert spec.gpus == 8 and spec.gpu == GPUS["H100"] and len(spec.nodes) == 2
    cases = [({"gpus_per_node": None}, "missing key 'gpus_per_node'"), ({"racks": 3}, "unknown key(s) racks"),
             ({"nodes": "four"}, "key 'nodes' must be a number"), ({"nodes": 0}, "key 'nodes' must be >= 1"),
             ({"gpus_per_node": 2.5}, "key 'gpus_per_node' must be a number (whole)"),
             ({"gpu": "B300"}, "key 'gpu': unknown GPU type 'B300'")]
    for over, words in cases:
        p = _cluster_file(tmp_path, **over)
        with pytest.raises(AugftError) as exc:
            read_cluster_file(p)
        assert str(p) in str(exc.value) and words in str(exc.value), str(exc.value)
    with pytest.raises(AugftError, match="no such file"):
        read_cluster_file(tmp_path / "none.yaml")


def test_plan_command_needs_a_cluster_and_check_needs_ray(tmp_path, cli):
    proc = cli("plan", "--config", TINY, cwd=tmp_path)
    assert proc.returncode == 2 and "--cluster FILE" in proc.stderr
    proc = cli("plan", "--config", TINY, "--cluster", _cluster_file(tmp_path), "--check", cwd=tmp_path)
    assert proc.returncode == 2 and "give --address" in proc.stderr


# -- --check on a local Ray cluster with logical GPUs ------------------------------------------

@pytest.fixture
def ray8():
    import ray

    # address="local": a new Ray of its own, never one another process started on this machine.
    ray.init(address="local", num_cpus=4, num_gpus=8, resources={"accelerator_type:H100": 1},
             include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def _placed(cfg, cluster: ClusterSpec) -> StudyPlan:
    """The plan's stages with their placements only (counts play no part in --check)."""
    pl = stage_placements(cfg, cluster.gpus > 0)
    plan = StudyPlan("m", 1, "m", 1, 1, 1, cluster, cluster.gpu, {})
    plan.stages = [StageEstimate("augment[local]", "augment", placement=pl["augment"]),
                   StageEstimate("train[ft]", "train", placement=pl["train"]),
                   StageEstimate("eval[ft]", "eval", placement=pl["eval"])]
    return plan


def _free_gpus(ray, wait_s: float = 10.0) -> float:
    """Ray's available GPUs once its resource view has caught up (it lags a removal)."""
    import time

    end = time.monotonic() + wait_s
    while ray.available_resources().get("GPU", 0) < 8 and time.monotonic() < end:
        time.sleep(0.2)
    return ray.available_resources().get("GPU", 0)


def _gpu_cfg(*over):
    return load_config(REPO / "configs" / "paper.yaml", ["train.num_workers=4", "augment.vllm.replicas=2",
                                                         "cluster.train_cpus_per_worker=0.5",
                                                         "augment.vllm.cpus_per_replica=0.5", *over])


@pytest.mark.slow
def test_check_reserves_each_stage_and_names_the_key(ray8):
    from augft.cluster.plan_check import check_on_ray

    cluster = read_ray_cluster("", "L4")
    assert cluster.gpus == 8 and cluster.gpu.name == "H100"  # from accelerator_type:H100
    ok = check_on_ray(_placed(_gpu_cfg(), cluster), timeout_s=5)
    assert [f.ok for f in ok] == [True, True, True], ok
    assert _free_gpus(ray8) == 8  # every reservation released
    too_many = check_on_ray(_placed(_gpu_cfg("train.num_workers=12", "train.batch_size=24"), cluster), timeout_s=5)
    assert [f.ok for f in too_many] == [True, False, True]
    assert "train.num_workers" in too_many[1].message
    # Totals that fit, on a cluster whose GPUs are held by other work: the reservation itself fails.
    from ray.util.placement_group import placement_group, remove_placement_group

    held = placement_group([{"GPU": 1}] * 6)
    ray8.get(held.ready(), timeout=30)
    try:
        # Two free GPUs: augment (2 replicas) and eval (2 actors of eval.actor_gpus=1) fit, training's 4 do not.
        busy = check_on_ray(_placed(_gpu_cfg("eval.num_actors=2"), cluster), timeout_s=3)
    finally:
        remove_placement_group(held)
    assert [f.ok for f in busy] == [True, False, True]
    assert "not ready" in busy[1].message and "train.num_workers" in busy[1].message


@pytest.mark.slow
def test_plan_check_command_on_a_running_cluster(tmp_path, cli, tiny_model):
    """`augft plan --address ADDR --check` on a real head with 8 logical GPUs: a study whose
    training fits exits 0; one with more training workers than GPUs exits 1 naming the key."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from ray_head import start_head, stop_head

    head = start_head(num_cpus=4, num_gpus=8, resources='{"accelerator_type:H100": 1}')
    try:
        base = ["plan", "--config", TINY, "--address", head.gcs_address, "--check", "--check-timeout", "5",
                "train.use_gpu=true", "pipeline.conditions=[ft]", "eval.retention=false"]
        ok = cli(*base, "train.num_workers=4", cwd=tmp_path, env=head.env)
        assert ok.returncode == 0, ok.stderr[-3000:]
        assert "32 H100" not in ok.stdout and "8 H100 in all" in ok.stdout and "train[ft]: fits" in ok.stdout
        bad = cli(*base, "train.num_workers=12", "train.batch_size=12", cwd=tmp_path, env=head.env)
        assert bad.returncode == 1, bad.stderr[-3000:]
        assert "train[ft]: DOES NOT FIT" in bad.stdout and "train.num_workers" in bad.stdout
    finally:
        stop_head(head)
