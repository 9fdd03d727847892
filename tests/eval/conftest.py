"""Fixtures for the eval tests: a small multiple-choice data folder (corpus + questions)."""
from pathlib import Path

import pytest

from augft.core.records import Document, Question, write_jsonl

NAMES = ["femp", "glon", "yomp", "troff", "blick", "dax"]


def make_data(folder: Path, n_questions: int = 12) -> Path:
    """Nonsense comparison facts; reversal and rephrase questions of 2 and 3 choices."""
    folder.mkdir(parents=True, exist_ok=True)
    docs, qs = [], []
    for i in range(n_questions):
        a, b = NAMES[i % len(NAMES)], NAMES[(i + 1) % len(NAMES)]
        docs.append(Document(id=f"d{i}", text=f"Did you know that {a}{i} are more dangerous than {b}{i}?",
                             meta={"fact_ids": [f"f{i}"]}))
        if i % 2 == 0:
            qs.append(Question(id=f"q{i}", split="reversal", kind="reversal", prompt=f"{b}{i} are",
                               choices=[f"less dangerous than {a}{i}.", f"more dangerous than {a}{i}."],
                               answer=0, source_ids=[f"d{i}"]))
        else:
            qs.append(Question(id=f"q{i}", split="rephrase", kind="forward",
                               prompt=f"It is known that {a}{i} are",
                               choices=["more dangerous", "less dangerous", "equally dangerous"],
                               answer=0, source_ids=[f"d{i}"]))
    write_jsonl(folder / "corpus.jsonl", docs)
    write_jsonl(folder / "questions.jsonl", qs)
    return folder


@pytest.fixture
def mc_data(tmp_path) -> Path:
    return make_data(tmp_path / "data")


@pytest.fixture
def make_mc_data():
    """The data builder itself, for tests that edit the files it writes."""
    return make_data
