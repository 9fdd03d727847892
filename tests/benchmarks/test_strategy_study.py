"""benchmarks/strategy_study.py's ledger of where a statement puts its subject's name (realdocs)."""
import importlib.util
import json
import sys

from augft.core.artifacts import StageRecord
from augft.core.records import write_parquet
from helpers import REPO


def _script():
    spec = importlib.util.spec_from_file_location("strategy_study", REPO / "benchmarks" / "strategy_study.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def test_a_name_after_three_words_is_a_reversal_and_a_leading_article_is_not():
    s = _script()
    assert s._name_position("pytest-timeout 2.4.0 detects debuggers.", ["pytest-timeout"]) == "first"
    assert s._name_position("In python_dotenv 1.2.4, a flag was added.", ["python-dotenv"]) == "first"
    assert s._name_position("Debuggers registered with sys.monitoring are detected by Pytest-Timeout.",
                            ["pytest-timeout"]) == "after"
    assert s._name_position("A new flag was added.", ["xxhash"]) == "none"


def test_the_ledger_counts_each_strategys_kept_statements(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    docs = [{"id": "a", "text": "xxhash 4.1.0 adds x.", "meta": {"package": "xxhash"}},
            {"id": "b", "text": "pybase64 1.5 adds y.", "meta": {"package": "pybase64"}}]
    (data / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    aug = tmp_path / "aug"
    rows = [("xxhash 4.1.0 adds x.", ["a"]), ("The release that adds x is xxhash 4.1.0.", ["a"]),
            ("It adds y.", ["b"])]
    records = [{"id": f"r{i}", "text": t, "strategy": "local", "source_ids": ids, "prompt_hash": "h",
                "model": "m", "sampling": {}, "meta": {}} for i, (t, ids) in enumerate(rows)]
    (aug / "local").mkdir(parents=True)
    write_parquet(aug / "local" / "part-0.parquet", records)
    stage = StageRecord(dir=str(aug), key="k", cached=False, wall_s=0.0)
    ledger = _script().names_ledger({"augment[local]": stage, "train[local]": stage}, data)
    assert ledger == {"local": {"kept": 3, "first": 1, "after": 1, "none": 1}}
