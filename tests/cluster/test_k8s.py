"""k8s/: every overlay renders with kustomize and passes schema and policy validation,
and every RayJob entrypoint is a real augft command (the `k8s` validation step)."""
import copy
import importlib.util
import subprocess
import sys

import pytest

from helpers import REPO

_spec = importlib.util.spec_from_file_location("k8s_validate", REPO / "k8s" / "validate.py")
V = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(V)

OVERLAYS = ["cpu-dev", "gpu"]


@pytest.fixture(scope="module")
def rendered():
    return {name: V.validate(REPO / "k8s" / "overlays" / name) for name in OVERLAYS}


def _find(docs, kind, name=None):
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert found, f"no {kind} {name or ''}"
    return found


def test_overlays_are_the_ones_shipped():
    assert [p.name for p in V.overlays()] == OVERLAYS


# ids not named plainly "gpu": that word is the GPU-only marker, which is skipped here.
@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda o: f"overlay-{o}")
def test_overlay_validates(rendered, overlay):
    docs, errors = rendered[overlay]
    assert errors == []
    assert len(_find(docs, "RayJob")) == 3
    _find(docs, "RayCluster", "augft-ray")
    _find(docs, "Deployment", "augft-mlflow")
    _find(docs, "StatefulSet", "augft-postgres")
    _find(docs, "PersistentVolumeClaim", "augft-shared")
    for job in _find(docs, "RayJob"):
        s = job["spec"]
        assert s["shutdownAfterJobFinishes"] is True and s["ttlSecondsAfterFinished"] > 0
        assert s["backoffLimit"] >= 0
    assert {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"} == \
        {"augft-dev" if overlay == "cpu-dev" else "augft"}


def _gpu_limits(docs):
    out = []
    for d in docs:
        for where, tmpl in V.pod_templates(d):
            for c in tmpl["spec"]["containers"]:
                gpus = c.get("resources", {}).get("limits", {}).get("nvidia.com/gpu")
                if gpus:
                    out.append((d["metadata"]["name"], where, gpus))
    return out


def test_gpu_overlay_has_gpu_worker_groups_and_cpu_dev_none(rendered):
    gpu = _gpu_limits(rendered["gpu"][0])
    assert {name for name, _, _ in gpu} == {"augft-ray", "augft-augment", "augft-train", "augft-sweep"}
    assert _gpu_limits(rendered["cpu-dev"][0]) == []
    train = _find(rendered["gpu"][0], "RayJob", "augft-train")[0]["spec"]["entrypoint"]
    assert "train.use_gpu=true" in train


def test_rayjob_entrypoints_are_real_cli_commands(rendered):
    from augft.cluster.jobs.entry import JOB_COMMANDS

    seen = set()
    for docs, _ in rendered.values():
        for job in _find(docs, "RayJob"):
            ep = job["spec"]["entrypoint"]
            assert V.entrypoint_errors(ep) == []
            seen |= {tok for tok in ep.split() if tok in JOB_COMMANDS}
    assert {"augment", "train", "sweep"} <= seen


@pytest.mark.parametrize("entrypoint,message", [
    ("python -m augft.cluster.jobs trian --data d", "not an augft job command"),
    ("python -m augft.cluster.jobs train --data d train.lr=fast", "train.lr"),
    ("python -m augft.cluster.jobs train --data d --bogus-flag", "rejects"),
    ("python train.py", "expected `python -m augft.cluster.jobs"),
    ("python -m augft.cluster.jobs eval --data d && python -m augft.cluster.jobs eval --config nope.yaml",
     "nope.yaml"),
    ("python -m augft.cluster.jobs eval --data d; rm -rf x", "shell operators"),
])
def test_bad_entrypoints_are_caught(entrypoint, message):
    errors = V.entrypoint_errors(entrypoint)
    assert errors and message in " ".join(errors)


def _errors_after(docs, kind, name, fn):
    """Policy errors of all resources plus schema errors of the changed one."""
    import json

    docs = copy.deepcopy(docs)
    target = _find(docs, kind, name)[0]
    fn(target)
    return V.policy_errors(docs) + V._schema_errors(target, json.loads(V.RAY_SCHEMA.read_text()))


def _mlflow_container(d):
    return d["spec"]["template"]["spec"]["containers"][0]


def _worker(d):
    return d["spec"]["workerGroupSpecs"][0]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize("kind,name,mutate,message", [
    ("Deployment", "augft-mlflow", lambda d: _mlflow_container(d)["securityContext"].update(privileged=True),
     "privileged"),
    ("Deployment", "augft-mlflow", lambda d: d["spec"]["template"]["spec"]["securityContext"].pop("runAsNonRoot"),
     "runAsNonRoot"),
    ("Deployment", "augft-mlflow", lambda d: _mlflow_container(d)["resources"].pop("limits"),
     "resources.limits.cpu"),
    ("Deployment", "augft-mlflow", lambda d: _mlflow_container(d)["env"].append(
        {"name": "DB_PASSWORD2", "value": "hunter2"}), "must come from a Secret"),
    ("Service", "augft-mlflow", lambda d: d["spec"].update(type="LoadBalancer"), "only ClusterIP"),
    ("RayCluster", "augft-ray", lambda d: d["spec"]["headGroupSpec"].update(serviceType="NodePort"),
     "ClusterIP"),
    ("RayCluster", "augft-ray", lambda d: d["spec"]["workerGroupSpecs"][0].update(replica=2),
     "Additional properties"),
    ("RayCluster", "augft-ray", lambda d: _worker(d).update(resource={}), "resource"),
    ("RayCluster", "augft-ray", lambda d: _worker(d)["resources"]["requests"].update({"nvidia.com/gpu": 1}),
     "nvidia.com/gpu"),
    ("RayJob", "augft-train", lambda d: d["spec"].update(shutdownAfterJobFinishes=False),
     "shutdownAfterJobFinishes"),
    ("RayJob", "augft-train", lambda d: d["spec"].update(ttlSecondAfterFinished=60), "ttlSecondAfterFinished"),
    ("StatefulSet", "augft-postgres", lambda d: d["spec"]["template"]["spec"].update(hostNetwork=True),
     "hostNetwork"),
    ("StatefulSet", "augft-postgres", lambda d: d["spec"].update(replicas="one"), "replicas"),
    ("Deployment", "augft-mlflow", lambda d: d["spec"]["template"]["spec"]["volumes"][0][
        "persistentVolumeClaim"].update(claimName="other"), "PersistentVolumeClaim other"),
])
def test_policy_and_schema_violations_are_caught(rendered, kind, name, mutate, message):
    docs = rendered["cpu-dev"][0]
    assert _errors_after(docs, kind, name, lambda d: None) == []
    errors = _errors_after(docs, kind, name, mutate)
    assert any(message in e for e in errors), errors


def test_validation_script_passes():
    res = subprocess.run([sys.executable, str(REPO / "k8s" / "validate.py")], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.count(": ok") == len(OVERLAYS)


# --- the gpu overlay: whole-node pods, S3 credentials from a Secret, the weight-staging Job ---

def _gpu_pods(docs):
    """(resource, where, pod spec, replicas) of every pod template that asks for GPUs."""
    out = []
    for d in docs:
        spec = d.get("spec") or {}
        cluster = spec if d["kind"] == "RayCluster" else spec.get("rayClusterSpec")
        groups = {g["groupName"]: g for g in (cluster or {}).get("workerGroupSpecs") or []}
        for where, tmpl in V.pod_templates(d):
            if any("nvidia.com/gpu" in c["resources"].get("limits", {}) for c in tmpl["spec"]["containers"]):
                group = next((g for name, g in groups.items() if f"({name})" in where), {})
                out.append((d, where, tmpl["spec"], group))
    return out


def _bytes(q: str) -> float:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
    return float(q[:-2]) * units[q[-2:]] if q[-2:] in units else float(q)


def _override(entrypoint: str, key: str) -> str:
    import re

    m = re.search(rf"\b{re.escape(key)}=(\S+)", entrypoint)
    assert m, f"{key} not in {entrypoint}"
    return m.group(1)


def test_gpu_worker_pods_are_whole_8_gpu_nodes_on_gpu_nodes(rendered):
    pods = _gpu_pods(rendered["gpu"][0])
    assert len(pods) == 4  # the interactive cluster and the three RayJobs
    for d, where, pod, group in pods:
        (c,) = pod["containers"]
        req, lim = c["resources"]["requests"], c["resources"]["limits"]
        assert lim["nvidia.com/gpu"] == 8, where
        assert req == lim, f"{where}: Guaranteed QoS, the whole node's share, not a burstable slice"
        assert int(lim["cpu"]) >= 64 and _bytes(lim["memory"]) >= 2**40, where
        assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true", "nvidia.com/gpu.count": "8"}
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
        shm = next(v for v in pod["volumes"] if v["name"] == "dshm")["emptyDir"]["sizeLimit"]
        assert int(group["rayStartParams"]["object-store-memory"]) < _bytes(shm), where
        assert group["replicas"] == group["maxReplicas"] == 4, where


def test_gpu_jobs_fit_the_whole_node_pods(rendered):
    """A TP replica fits one pod (one node); ZeRO-3 workers fill whole pods; the jobs wait suspended."""
    docs = rendered["gpu"][0]
    pods = {d["metadata"]["name"]: g["replicas"] for d, _, _, g in _gpu_pods(docs)}
    for job in _find(docs, "RayJob"):
        assert job["spec"]["suspend"] is True
    aug = _find(docs, "RayJob", "augft-augment")[0]["spec"]["entrypoint"]
    tp, replicas = int(_override(aug, "augment.vllm.tensor_parallel_size")), int(_override(aug, "augment.vllm.replicas"))
    assert tp <= 8 and 8 % tp == 0 and replicas * tp <= 8 * pods["augft-augment"]
    for name in ("augft-train", "augft-sweep"):
        ep = _find(docs, "RayJob", name)[0]["spec"]["entrypoint"]
        workers = int(_override(ep, "train.num_workers"))
        assert workers % 8 == 0 and workers <= 8 * pods[name], name
    assert int(_override(_find(docs, "RayJob", "augft-train")[0]["spec"]["entrypoint"], "train.num_workers")) == 32


def _env(container):
    return {e["name"]: e for e in container.get("env") or []}


def test_every_gpu_overlay_pod_that_reads_s3_gets_credentials_from_the_secret(rendered):
    docs = rendered["gpu"][0]
    checked = 0
    for d in docs:
        if d["kind"] not in ("RayCluster", "RayJob", "Job"):
            continue
        for where, tmpl in V.pod_templates(d):
            if "submitter" in where:
                continue
            env = _env(tmpl["spec"]["containers"][0])
            for name, key in (("AWS_ACCESS_KEY_ID", "access_key_id"), ("AWS_SECRET_ACCESS_KEY", "secret_access_key")):
                assert "value" not in env[name], where
                assert env[name]["valueFrom"]["secretKeyRef"] == {"name": "augft-s3", "key": key}, where
            checked += 1
    assert checked == 1 + 4 * 3  # staging Job; head, cpu and gpu workers of the cluster and 3 jobs
    assert not any("augft-s3" in str(d) for d in rendered["cpu-dev"][0])


def test_staging_job_stages_every_model_the_jobs_load(rendered):
    from augft.cluster.stage_weights import check_source

    docs = rendered["gpu"][0]
    job = _find(docs, "Job", "augft-stage-weights")[0]
    pod = job["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert c["command"] == ["python", "-m", "augft.cluster.stage_weights"]
    sources, dests = c["args"][::2], c["args"][1::2]
    for s in sources:
        assert s.startswith("s3://")
        check_source(s)  # not a hub
    assert {v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"]} == {"augft-shared"}
    assert c["volumeMounts"] == [{"name": "shared", "mountPath": "/mnt/augft"}]
    staged = {f"/mnt/augft/{d}" for d in dests}
    loaded = set()
    for rj in _find(docs, "RayJob"):
        ep = rj["spec"]["entrypoint"]
        loaded |= {tok.split("=", 1)[1] for tok in ep.split() if tok.startswith(("model.name=", "augment.model="))}
    assert loaded and loaded <= staged, (loaded, staged)


def test_gpu_shared_volume_holds_the_documented_formula(rendered):
    """docs/cluster.md's formula for its reference study fits the PVC the overlay asks for."""
    pt, ps, m, k, d, a = 70e9, 8e9, 4, 2, 10e6, 200e6
    need = 1.25 * (2 * (pt + ps) + m * (k * 14 + 2) * ps + 8 * a + 5 * m * (d + a))
    pvc = _find(rendered["gpu"][0], "PersistentVolumeClaim", "augft-shared")[0]
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    assert need <= _bytes(pvc["spec"]["resources"]["requests"]["storage"]) < 1.2 * need
    doc = (REPO / "docs" / "cluster.md").read_text()
    assert "2(P_teacher + P_student) + M(14K + 2)P_student + 8A + 5M(D + A)" in doc


def _gpu_pod(d):
    return d["spec"]["workerGroupSpecs"][1]["template"]["spec"]


@pytest.mark.parametrize("kind,name,mutate,message", [
    ("RayCluster", "augft-ray", lambda d: _gpu_pod(d).pop("nodeSelector"), "selects no GPU nodes"),
    ("RayCluster", "augft-ray", lambda d: _gpu_pod(d).pop("tolerations"), "taint"),
    ("RayCluster", "augft-ray", lambda d: _gpu_pod(d)["containers"][0]["env"][1].update(
        value="plain", valueFrom=None), "must come from a Secret"),
    ("Job", "augft-stage-weights", lambda d: d["spec"].pop("ttlSecondsAfterFinished"), "ttlSecondsAfterFinished"),
    ("Job", "augft-stage-weights", lambda d: d["spec"]["template"]["spec"]["containers"][0]["env"][0][
        "valueFrom"]["secretKeyRef"].update(name="other"), "Secret other is not defined"),
])
def test_gpu_overlay_violations_are_caught(rendered, kind, name, mutate, message):
    docs = rendered["gpu"][0]
    assert _errors_after(docs, kind, name, lambda d: None) == []
    errors = _errors_after(docs, kind, name, mutate)
    assert any(message in e for e in errors), errors


def test_the_documented_gpu_study_fits_the_interactive_gpu_cluster(rendered):
    """configs/cluster-gpu.yaml (docs/cluster.md's walk) on augft-ray's whole-node GPU workers."""
    from augft.core.config import load_config

    cfg = load_config(REPO / "configs" / "cluster-gpu.yaml")
    docs = rendered["gpu"][0]
    (_, _, pod, group), = [p for p in _gpu_pods(docs) if p[0]["kind"] == "RayCluster"]
    gpus, cpus = 8 * group["replicas"], int(pod["containers"][0]["resources"]["limits"]["cpu"])
    v, t, c = cfg.augment.vllm, cfg.train, cfg.cluster
    assert v.tensor_parallel_size <= 8 and v.replicas * v.tensor_parallel_size <= gpus
    assert v.cpus_per_replica * (8 // v.tensor_parallel_size) <= cpus
    assert t.use_gpu and t.num_workers * c.train_gpus_per_worker <= gpus and t.num_workers % 8 == 0
    assert c.train_cpus_per_worker * 8 <= cpus
    args = _find(docs, "Job", "augft-stage-weights")[0]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert {cfg.model.name, cfg.augment.model} == {f"/mnt/augft/{d}" for d in args[1::2]}
