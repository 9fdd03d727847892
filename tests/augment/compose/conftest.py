"""A model-free engine that composes like a careful model, and a small hierarchy corpus."""
import json
from pathlib import Path

import pytest
import fake_engines
from fake_engines import HIERARCHY, ComposingEngine  # noqa: F401 (shared with tests/augment/test_chain.py)
from ray import cloudpickle

cloudpickle.register_pickle_by_value(fake_engines)  # Ray workers cannot import tests


@pytest.fixture
def hierarchy(tmp_path) -> Path:
    """One sentence a document: a chain zeb < vorp < quorzel < trelk, trelks blorp, vosk < trelk."""
    d = tmp_path / "data"
    d.mkdir()
    with open(d / "corpus.jsonl", "w") as f:
        for i, t in enumerate(HIERARCHY):
            f.write(json.dumps({"id": f"d{i}", "text": t}) + "\n")
    (d / "questions.jsonl").write_text(json.dumps({"id": "q0", "split": "s", "kind": "k", "prompt": "The zeb",
                                                   "choices": [" can blorp", " can fly"], "answer": 0}) + "\n")
    return d


@pytest.fixture
def composing():
    """The ComposingEngine class (tests build one per run)."""
    return ComposingEngine
