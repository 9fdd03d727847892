"""A small corpus for the training tests (multi-sentence documents, like the benchmarks)."""
import random

import pytest

from augft.core.records import Document, Question, write_records

WORDS = ["femp", "glon", "yomp", "troff", "blick", "zarn", "quell", "morp"]


def write_corpus(d, n_docs=40, seed=0):
    r = random.Random(seed)
    docs = []
    for i in range(n_docs):
        a, b = r.sample(WORDS, 2)
        docs.append(Document(id=f"d{i}", text=f"Did you know that {a} are more dangerous than {b}? "
                                              f"It is true. The {a} live near the {b}."))
    write_records(d / "corpus.jsonl", docs)
    write_records(d / "questions.jsonl", [Question(id="q0", split="reversal", kind="reversal",
                                                  prompt="glon are", choices=[" less", " more"], answer=0)])
    return d


@pytest.fixture
def corpus_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    return write_corpus(d)


@pytest.fixture(scope="session")
def corpus_writer():
    """write_corpus, for fixtures of wider scope than `corpus_dir`."""
    return write_corpus
