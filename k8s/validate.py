"""Validate every overlay under k8s/overlays: render, schema-check, policy-check.

    python k8s/validate.py [OVERLAY_DIR ...]      (exit 1 on any error)

1. Render with the real kustomize (`kustomize build`, else `kubectl kustomize`).
2. Kubernetes kinds: the Kubernetes JSON schema of K8S_VERSION (kubernetes-validate,
   strict: unknown fields are errors). KubeRay kinds: the pinned schema in
   k8s/schemas/, and each pod template inside them as a core/v1 PodTemplate.
3. Policy: non-root, unprivileged containers with requests and limits; ClusterIP
   services only; credentials only from Secrets; RayJobs and Jobs that clean up after
   themselves; GPU limits where GPUs are requested, and GPU pods that select GPU nodes
   and tolerate their taint.
4. Every RayJob entrypoint is a real augft command: `python -m augft.cluster.jobs <cmd> ...`
   (chained with &&) that the CLI parses and whose overrides the config accepts.
"""
from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import yaml

K8S = Path(__file__).resolve().parent
REPO = K8S.parent
K8S_VERSION = "1.33.0"
RAY_SCHEMA = K8S / "schemas" / "kuberay-ray.io-v1.schema.json"
# Secrets an overlay may reference without defining (the operator creates them: the MLflow
# database credentials, the object-store credentials of the gpu overlay).
EXTERNAL_SECRETS = {"augft-mlflow-db", "augft-s3"}
SECRET_WORDS = ("PASSWORD", "TOKEN", "SECRET", "ACCESS_KEY", "CREDENTIAL")


class RenderError(RuntimeError):
    pass


def kustomize_command() -> List[str]:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    raise RenderError("neither `kustomize` nor `kubectl` is on PATH; install kubectl (it embeds "
                      "kustomize v5) to render the k8s overlays")


def render(overlay: Path) -> List[dict]:
    cmd = kustomize_command() + [str(overlay)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        raise RenderError(f"{' '.join(cmd)} failed:\n{res.stderr.strip()}")
    return [d for d in yaml.safe_load_all(res.stdout) if d]


def _name(doc: dict) -> str:
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def pod_templates(doc: dict) -> Iterator[Tuple[str, dict]]:
    """(where, PodTemplateSpec) for every pod a resource creates."""
    kind, spec = doc.get("kind"), doc.get("spec") or {}
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"):
        yield "spec.template", spec.get("template") or {}
    elif kind == "CronJob":
        yield "spec.jobTemplate.spec.template", spec["jobTemplate"]["spec"]["template"]
    elif kind == "Pod":
        yield "", {"spec": spec}
    elif kind in ("RayCluster", "RayJob"):
        cluster, prefix = (spec, "spec") if kind == "RayCluster" else (spec.get("rayClusterSpec"), "spec.rayClusterSpec")
        if kind == "RayJob" and spec.get("submitterPodTemplate"):
            yield "spec.submitterPodTemplate", spec["submitterPodTemplate"]
        if cluster:
            yield f"{prefix}.headGroupSpec.template", cluster["headGroupSpec"]["template"]
            for i, g in enumerate(cluster.get("workerGroupSpecs") or []):
                yield f"{prefix}.workerGroupSpecs[{i}]({g.get('groupName')}).template", g["template"]


def _schema_errors(doc: dict, ray_schema: dict) -> List[str]:
    import jsonschema
    import kubernetes_validate

    errors = []
    if doc.get("apiVersion", "").startswith("ray.io/"):
        schema = {"$ref": f"#/$defs/{doc.get('kind')}", "$defs": ray_schema["$defs"]}
        if doc.get("kind") not in ray_schema["$defs"]:
            return [f"{_name(doc)}: no pinned schema for {doc.get('apiVersion')} {doc.get('kind')}"]
        validator = jsonschema.Draft202012Validator(schema)
        for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
            path = ".".join(map(str, e.absolute_path)) or "(root)"
            errors.append(f"{_name(doc)}: {path}: {e.message}")
        for where, tmpl in pod_templates(doc):
            wrapped = {"apiVersion": "v1", "kind": "PodTemplate",
                       "metadata": {"name": "check"}, "template": tmpl}
            try:
                kubernetes_validate.validate(wrapped, K8S_VERSION, strict=True)
            except kubernetes_validate.ValidationError as e:
                path = ".".join(map(str, list(e.path)[1:]))
                errors.append(f"{_name(doc)}: {where}.{path}: {e.message}")
        return errors
    try:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as e:
        errors.append(f"{_name(doc)}: {'.'.join(map(str, e.path))}: {e.message}")
    except kubernetes_validate.SchemaNotFoundError:
        errors.append(f"{_name(doc)}: no Kubernetes {K8S_VERSION} schema for {doc.get('apiVersion')}")
    return errors


def _container_errors(where: str, pod: dict, c: dict) -> List[str]:
    errors = []
    psc = pod.get("securityContext") or {}
    csc = c.get("securityContext") or {}
    name = f"{where} container {c.get('name')}"
    if not (csc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True):
        errors.append(f"{name}: runAsNonRoot must be true")
    if (csc.get("runAsUser", psc.get("runAsUser")) or 1) == 0:
        errors.append(f"{name}: runs as uid 0")
    if csc.get("privileged"):
        errors.append(f"{name}: privileged")
    if csc.get("allowPrivilegeEscalation") is not False:
        errors.append(f"{name}: allowPrivilegeEscalation must be false")
    if "ALL" not in ((csc.get("capabilities") or {}).get("drop") or []):
        errors.append(f"{name}: must drop ALL capabilities")
    res = c.get("resources") or {}
    for part in ("requests", "limits"):
        for r in ("cpu", "memory"):
            if r not in (res.get(part) or {}):
                errors.append(f"{name}: no resources.{part}.{r}")
    gpu_req = (res.get("requests") or {}).get("nvidia.com/gpu")
    gpu_lim = (res.get("limits") or {}).get("nvidia.com/gpu")
    if gpu_req is not None and gpu_lim != gpu_req:
        errors.append(f"{name}: nvidia.com/gpu requests need equal limits")
    for env in c.get("env") or []:
        if any(w in env.get("name", "").upper() for w in SECRET_WORDS) and "value" in env:
            errors.append(f"{name}: env {env['name']} must come from a Secret (valueFrom.secretKeyRef)")
    return errors


def _asks_for_gpus(pod: dict) -> bool:
    return any("nvidia.com/gpu" in ((c.get("resources") or {}).get("limits") or {})
               for c in pod.get("containers") or [])


def _gpu_node_errors(where: str, pod: dict) -> List[str]:
    """A GPU pod must select GPU nodes and tolerate their taint, or it pends or lands elsewhere."""
    errors = []
    affinity = ((pod.get("affinity") or {}).get("nodeAffinity") or {})
    if not pod.get("nodeSelector") and not affinity:
        errors.append(f"{where}: asks for nvidia.com/gpu but selects no GPU nodes (nodeSelector or nodeAffinity)")
    if not any(t.get("key") == "nvidia.com/gpu" for t in pod.get("tolerations") or []):
        errors.append(f"{where}: asks for nvidia.com/gpu but does not tolerate the nvidia.com/gpu taint")
    return errors


def _pod_errors(where: str, tmpl: dict) -> List[str]:
    pod = tmpl.get("spec") or {}
    errors = _gpu_node_errors(where, pod) if _asks_for_gpus(pod) else []
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(flag):
            errors.append(f"{where}: {flag}")
    for v in pod.get("volumes") or []:
        if "hostPath" in v:
            errors.append(f"{where}: hostPath volume {v.get('name')}")
    containers = (pod.get("containers") or []) + (pod.get("initContainers") or [])
    if not containers:
        errors.append(f"{where}: no containers")
    for c in containers:
        errors += _container_errors(where, pod, c)
    return errors


def _refs(tmpl: dict) -> Iterator[Tuple[str, str]]:
    """(kind, name) of the Secrets, ConfigMaps and PVCs a pod uses."""
    pod = tmpl.get("spec") or {}
    for c in (pod.get("containers") or []) + (pod.get("initContainers") or []):
        for env in c.get("env") or []:
            ref = (env.get("valueFrom") or {})
            if "secretKeyRef" in ref:
                yield "Secret", ref["secretKeyRef"]["name"]
            if "configMapKeyRef" in ref:
                yield "ConfigMap", ref["configMapKeyRef"]["name"]
        for src in c.get("envFrom") or []:
            if "secretRef" in src:
                yield "Secret", src["secretRef"]["name"]
            if "configMapRef" in src:
                yield "ConfigMap", src["configMapRef"]["name"]
    for v in pod.get("volumes") or []:
        if "persistentVolumeClaim" in v:
            yield "PersistentVolumeClaim", v["persistentVolumeClaim"]["claimName"]
        if "secret" in v:
            yield "Secret", v["secret"]["secretName"]
        if "configMap" in v:
            yield "ConfigMap", v["configMap"]["name"]


def policy_errors(docs: List[dict]) -> List[str]:
    errors = []
    defined = {(d.get("kind"), d["metadata"]["name"]) for d in docs}
    for d in docs:
        kind, spec = d.get("kind"), d.get("spec") or {}
        if kind == "Service" and spec.get("type", "ClusterIP") != "ClusterIP":
            errors.append(f"{_name(d)}: type {spec['type']}; only ClusterIP services are allowed")
        if kind == "Ingress":
            errors.append(f"{_name(d)}: no Ingress; reach services with kubectl port-forward")
        cluster = spec if kind == "RayCluster" else spec.get("rayClusterSpec") if kind == "RayJob" else None
        if cluster:
            head = cluster.get("headGroupSpec") or {}
            if head.get("serviceType", "ClusterIP") != "ClusterIP":
                errors.append(f"{_name(d)}: head serviceType must be ClusterIP (the Ray dashboard)")
            if head.get("enableIngress"):
                errors.append(f"{_name(d)}: head enableIngress exposes the Ray dashboard")
        if kind == "RayJob":
            if spec.get("shutdownAfterJobFinishes") is not True:
                errors.append(f"{_name(d)}: shutdownAfterJobFinishes must be true")
        if kind in ("RayJob", "Job"):
            for key in ("ttlSecondsAfterFinished", "backoffLimit", "activeDeadlineSeconds"):
                if key not in spec:
                    errors.append(f"{_name(d)}: set spec.{key}")
        for where, tmpl in pod_templates(d):
            errors += _pod_errors(f"{_name(d)} {where}", tmpl)
            for ref_kind, ref in _refs(tmpl):
                if (ref_kind, ref) not in defined and not (ref_kind == "Secret" and ref in EXTERNAL_SECRETS):
                    errors.append(f"{_name(d)} {where}: {ref_kind} {ref} is not defined")
    return errors


def entrypoint_errors(entrypoint: str) -> List[str]:
    """Errors for a RayJob entrypoint: each `&&` step must be a real augft job command."""
    from augft.cluster.cli import parse_stage_args
    from augft.cluster.jobs.entry import JOB_COMMANDS, STAGE_COMMANDS
    from augft.core.config import load_config
    from augft.core.errors import AugftError

    errors = []
    try:
        tokens = shlex.split(entrypoint)
    except ValueError as e:
        return [f"entrypoint is not valid shell: {e}"]
    steps, cur = [], []
    for t in tokens:
        if t == "&&":
            steps.append(cur)
            cur = []
        else:
            cur.append(t)
    steps.append(cur)
    for step in steps:
        text = shlex.join(step)
        if step[:3] != ["python", "-m", "augft.cluster.jobs"] or len(step) < 4:
            errors.append(f"'{text}': expected `python -m augft.cluster.jobs <command> ...`")
            continue
        if any(ch in t for t in step for ch in ";|`$><"):
            errors.append(f"'{text}': shell operators other than && are not allowed")
            continue
        command, args = step[3], step[4:]
        if command not in JOB_COMMANDS:
            errors.append(f"'{text}': '{command}' is not an augft job command ({', '.join(JOB_COMMANDS)})")
            continue
        if command not in STAGE_COMMANDS:
            continue
        try:
            parsed = parse_stage_args(command, args)
        except AugftError as e:
            errors.append(f"'{text}': the augft CLI rejects these arguments ({e})")
            continue
        cfg_path = parsed.config
        if cfg_path and not (REPO / cfg_path).is_file():
            errors.append(f"'{text}': --config {cfg_path} is not a file in the repository")
            continue
        try:
            load_config(REPO / cfg_path if cfg_path else None, parsed.overrides)
        except AugftError as e:
            errors.append(f"'{text}': {e}")
    return errors


def validate(overlay: Path, ray_schema: Optional[dict] = None) -> Tuple[List[dict], List[str]]:
    """Render one overlay and return (resources, errors)."""
    ray_schema = ray_schema or json.loads(RAY_SCHEMA.read_text())
    docs = render(overlay)
    errors = []
    for d in docs:
        errors += _schema_errors(d, ray_schema)
    errors += policy_errors(docs)
    for d in docs:
        if d.get("kind") == "RayJob":
            errors += [f"{_name(d)}: {e}" for e in entrypoint_errors(d["spec"].get("entrypoint", ""))]
    return docs, errors


def overlays() -> List[Path]:
    return sorted(p for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").is_file())


def main(argv: Optional[List[str]] = None) -> int:
    sys.path.insert(0, str(REPO))  # run as a script: import augft from this checkout
    argv = sys.argv[1:] if argv is None else argv
    targets = [Path(a) for a in argv] or overlays()
    failed = False
    for overlay in targets:
        try:
            docs, errors = validate(overlay)
        except RenderError as e:
            print(f"{overlay}: {e}")
            failed = True
            continue
        kinds: Dict[str, int] = {}
        for d in docs:
            kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
        status = "ok" if not errors else f"{len(errors)} error(s)"
        print(f"{overlay.relative_to(REPO) if overlay.is_absolute() else overlay}: {len(docs)} resources "
              f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}): {status}")
        for e in errors:
            print(f"  - {e}")
        failed |= bool(errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
