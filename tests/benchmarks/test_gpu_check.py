"""`make gpu-check`'s CPU path (benchmarks/gpu_check.py --device cpu: tiny sizes, gloo, two
processes under torchrun) runs here as it would on a bare GPU machine: every import outside what
that machine has (torch, transformers, accelerate, peft, pyarrow and their dependencies) plus
what `make gpu-wheels` carries is refused, so the check cannot rot and cannot grow a dependency
the GPU machine lacks."""
import importlib.metadata as md
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from helpers import REPO

# What the GPU machine has, besides Python's standard library.
GPU_MACHINE = ("torch", "transformers", "accelerate", "peft", "pyarrow")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(roots) -> set:
    """Distributions `roots` need, through their (unconditional) requirements, as installed here."""
    seen, todo = set(), [_norm(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            reqs = md.requires(name) or []
        except md.PackageNotFoundError:
            continue
        for r in map(Requirement, reqs):
            if r.marker is None or r.marker.evaluate({"extra": ""}):
                todo.append(_norm(r.name))
    return seen


def wheel_packages() -> list:
    text = (REPO / "Makefile").read_text().replace("\\\n", " ")
    m = re.search(r"^GPU_WHEEL_PKGS := (.+)$", text, re.M)
    assert m, "Makefile: no GPU_WHEEL_PKGS"
    return m.group(1).split()


def test_wheels_carry_what_deepspeed_and_omegaconf_need_beyond_the_gpu_machine():
    machine = closure(GPU_MACHINE)
    needed = closure(["deepspeed", "omegaconf"]) - machine
    assert needed <= {_norm(p) for p in wheel_packages()}, needed - {_norm(p) for p in wheel_packages()}
    # The machine's own packages never travel (its CUDA torch, and what is built against it,
    # must win). pydantic may be there too (through transformers' CLI, typer) or not: it travels
    # with the one pydantic-core its version needs.
    assert not {_norm(p) for p in wheel_packages()} & {*GPU_MACHINE, "numpy", "typing-extensions", "triton"}


def test_make_gpu_check_installs_offline_from_the_wheel_folder_and_runs_the_check():
    res = subprocess.run(["make", "-n", "gpu-check"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "--no-index" in res.stdout and "gpu-wheels/*.whl" in res.stdout
    assert "benchmarks/gpu_check.py --device cuda" in res.stdout and "timeout 600" in res.stdout


BLOCKER = """
import importlib.machinery as im, importlib.metadata as md, os, re, sys
ALLOWED = set({allowed!r})
_dists = md.packages_distributions()
def _norm(n):
    return re.sub(r"[-_.]+", "-", n).lower()
class _Bare:
    # Stands in for the path finder: a module of a refused distribution is simply not found,
    # so availability probes (importlib.util.find_spec) answer as on the GPU machine.
    @staticmethod
    def find_spec(name, path=None, target=None):
        spec = im.PathFinder.find_spec(name, path, target)
        owners = _dists.get(name.split(".")[0])
        if spec is None or "." in name or not owners or any(_norm(d) in ALLOWED for d in owners):
            return spec
        # Only an installed top-level package is refused; a copy vendored inside an allowed
        # one (setuptools/_vendor/more_itertools) is part of that package.
        if spec.origin and spec.origin.endswith("__init__.py"):
            home = os.path.dirname(os.path.dirname(spec.origin))
        else:  # a module file, or a namespace package (no origin)
            home = os.path.dirname(spec.origin or next(iter(spec.submodule_search_locations or []), ""))
        inside = os.path.basename(home)
        if inside not in ("site-packages", "dist-packages"):
            return spec
        rest = [p for p in (path or sys.path) if os.path.basename(p) not in ("site-packages", "dist-packages")]
        return im.PathFinder.find_spec(name, rest, target)
    @staticmethod
    def invalidate_caches():
        im.PathFinder.invalidate_caches()
    @staticmethod
    def find_distributions(*args, **kwargs):
        return im.PathFinder.find_distributions(*args, **kwargs)
sys.meta_path[sys.meta_path.index(im.PathFinder)] = _Bare
"""


@pytest.fixture(scope="module")
def cpu_run(tmp_path_factory):
    """One CPU run of the check with a sitecustomize that refuses what the GPU machine lacks
    (inherited by the torchrun workers through PYTHONPATH)."""
    tmp = tmp_path_factory.mktemp("gpu-check")
    allowed = closure(GPU_MACHINE) | {_norm(p) for p in wheel_packages()} | {"augft"}
    site = tmp / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(textwrap.dedent(BLOCKER.format(allowed=sorted(allowed))))
    out = tmp / "results" / "gpu_check.json"
    results = REPO / "benchmarks" / "results" / "gpu_check.json"
    before = results.stat().st_mtime if results.exists() else None
    env = {**__import__("os").environ, "PYTHONPATH": str(site)}
    res = subprocess.run([sys.executable, str(REPO / "benchmarks" / "gpu_check.py"), "--device", "cpu",
                          "--nproc", "2", "--out", str(out)], cwd=tmp, env=env, capture_output=True, text=True,
                         timeout=400)
    after = results.stat().st_mtime if results.exists() else None
    return res, out, allowed, (before, after)


@pytest.mark.slow
def test_cpu_path_passes_every_check_on_two_gloo_ranks(cpu_run):
    res, out, _, _ = cpu_run
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-5000:]
    r = json.loads(out.read_text())
    assert r["ok"] and all(r["checks"].values()), r["checks"]
    assert (r["backend"], r["nproc"], r["size"]) == ("gloo", 2, "tiny")
    t = r["train"]
    assert t["steps"] == 3 and t["zero_stage"] == 3 and t["tokens_per_s"] > 0 and t["final_loss"] > 0
    assert t["mfu"] is None  # no bf16 peak for a CPU: MFU is only claimed against a known GPU
    assert r["export"]["max_abs_logit_diff"] == 0.0  # fp32 on CPU: exactly the checkpoint's weights
    assert r["scoring"]["icl"]["same_predictions"] == r["scoring"]["icl"]["questions"] > 0
    assert r["scoring"]["base"]["same_predictions"] == r["scoring"]["base"]["questions"]
    assert [g["batch"] for g in r["generation"]] == [1, 8, 64]
    assert all(g["tokens"] > 0 and g["tokens_per_s"] > 0 for g in r["generation"])


def _top(dist: str) -> str:
    """A top-level module of an installed distribution."""
    files = md.files(dist) or []
    return next((f.parts[0] for f in files if f.suffix == ".py" or f.name == "__init__.py"), dist)


@pytest.mark.slow
def test_cpu_path_imports_only_what_the_gpu_machine_and_the_wheels_hold(cpu_run):
    res, out, allowed, _ = cpu_run
    assert res.returncode == 0, res.stderr[-3000:]
    imported = {_norm(d) for d in json.loads(out.read_text())["imported_distributions"]}
    assert imported and "deepspeed" in imported and "augft" in imported
    refused = imported - allowed - {"augft"}
    owners = md.packages_distributions()
    # a namespace package (google.*) names several distributions; it counts when one is allowed
    assert all(any(_norm(d) in allowed for d in owners.get(_top(d), [d])) for d in refused), refused


@pytest.mark.slow
def test_cpu_run_leaves_benchmarks_results_alone(cpu_run):
    before, after = cpu_run[3]
    assert before == after
