"""Fixtures for augment tests: a small people-style corpus."""
import json
from pathlib import Path

import pytest

FIRST = ["Zeb", "Mara", "Tolin", "Quess", "Ardo", "Fenna", "Lusk", "Pell"]
LAST = ["Grannow", "Vistle", "Orrik", "Dammer", "Huxley", "Brell"]
DESCS = ["the composer of the silent opera", "the first diver to reach the blue trench",
         "the inventor of the cloud loom", "the author of Stones of Vell",
         "the mayor of Quillport", "the founder of the Moss Guild"]


def write_corpus(d: Path, n: int) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    with open(d / "corpus.jsonl", "w") as f:
        for i in range(n):
            name = f"{FIRST[i % 8]} {LAST[(i // 8) % 6]}"
            f.write(json.dumps({"id": f"d{i}", "text": f"{name} is {DESCS[i % 6]}."}) + "\n")
    with open(d / "questions.jsonl", "w") as f:
        f.write(json.dumps({"id": "q0", "split": "reversal", "kind": "reversal",
                            "prompt": "The mayor of Quillport is", "choices": [" Zeb", " Mara"],
                            "answer": 0}) + "\n")
    return d


@pytest.fixture(scope="session")
def make_corpus():
    """write_corpus(folder, n): a people-style corpus of n one-sentence documents."""
    return write_corpus


@pytest.fixture
def corpus_dir(tmp_path) -> Path:
    return write_corpus(tmp_path / "data", 12)
