"""Every script in benchmarks/ still runs on the current code.

Each is imported and run with `--help` (one process for all: the imports are the slow part), so a
script whose imports or argument parsing no longer match the code fails `make test`; the real-model
runs are not repeated here. augment_quality.py also runs at its smallest size on the tiny random
model, which reaches the typed manifest it once read by string key.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO

# A script runs as `__main__`; a module beside the scripts that only they import (gpu_check_lib.py)
# has no usage to print and is checked through its script.
SCRIPTS = sorted(p for p in (REPO / "benchmarks").glob("*.py") if 'if __name__ == "__main__"' in p.read_text())
RUNNER = """
import runpy, sys, io, contextlib, json
out = {}
for path in sys.argv[1:]:
    sys.argv = [path, "--help"]
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            runpy.run_path(path, run_name="__main__")
        out[path] = "returned without printing usage"
    except SystemExit as e:
        out[path] = "ok" if e.code in (0, None) and "usage:" in buf.getvalue() else f"exit {e.code}"
    except BaseException as e:  # noqa: BLE001 - reported per script
        out[path] = f"{type(e).__name__}: {e}"
print(json.dumps(out))
"""


def test_there_are_scripts_to_check():
    assert len(SCRIPTS) >= 20 and REPO / "benchmarks" / "write_results.py" in SCRIPTS


def test_every_benchmark_script_imports_and_prints_its_usage():
    r = subprocess.run([sys.executable, "-c", RUNNER, *map(str, SCRIPTS)], capture_output=True, text=True,
                       timeout=600, cwd=REPO)
    assert r.returncode == 0, r.stderr[-3000:]
    results = json.loads(r.stdout.strip().splitlines()[-1])
    failed = {Path(p).name: why for p, why in results.items() if why != "ok"}
    assert not failed and len(results) == len(SCRIPTS), failed


@pytest.mark.slow
def test_augment_quality_runs_at_its_smallest_size(tmp_path, tiny_model):
    r = subprocess.run([sys.executable, str(REPO / "benchmarks" / "augment_quality.py"), "--model", tiny_model,
                        "--statements", "4", "--candidates", "1", "--max-new-tokens", "8", "--out", str(tmp_path),
                        "augment.require_source_overlap=false"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / "augment_quality.json").read_text())
    for half in ("zero_shot", "few_shot"):
        assert res[half]["inputs"] == 4 and res[half]["completion_tokens"] > 0
    assert res["few_shot"]["kept"] + sum(res["few_shot"]["filtered"].values()) == res["few_shot"]["inputs"]


@pytest.mark.slow
def test_questions_rules_runs_at_its_smallest_size(tmp_path, tiny_model):
    """Both keep rules on one corpus, base/icl/rag scored on each set (seconds on the tiny model)."""
    out = tmp_path / "questions_rules.json"
    r = subprocess.run([sys.executable, str(REPO / "benchmarks" / "questions_rules.py"), "--people", "4",
                        "--per-split", "5", "--model", tiny_model, "--config", "configs/tiny.yaml",
                        "--work", str(tmp_path / "work"), "--json", str(out)],
                       capture_output=True, text=True, timeout=600, cwd=REPO)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(out.read_text())
    assert set(res["rules"]) == {"icl_checked", "fair"} and set(res["rag_by_rule"]) == {"icl_checked", "fair"}
    fair = res["rules"]["fair"]
    assert sum(fair["kept"].values()) > 0 and set(fair["accuracy"]) == {"base", "icl", "rag"}
    # The fair rule never asked ICL: none of its outcomes is an ICL verdict.
    assert "icl_wrong" not in {r for o in fair["outcomes"].values() for r in o}
