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
