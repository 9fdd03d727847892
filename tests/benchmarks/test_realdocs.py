"""The real-document benchmark (benchmarks/data/realdocs/) is a `--data` folder augft's own readers
accept, and its questions are what its README promises: each answer among its choices, two source
documents for every inference question, a source and a licence for every document, and the file the
same as write_questions.py produces from the hand-written list (questions_written.py)."""
import importlib.util
import json
from collections import Counter

from augft.core.records import read_corpus, read_questions
from helpers import REPO

FOLDER = REPO / "benchmarks" / "data" / "realdocs"


def test_the_folder_reads_through_augfts_readers_with_the_promised_sizes():
    corpus, questions = read_corpus(FOLDER), read_questions(FOLDER)
    splits = Counter(q.split for q in questions)
    assert 40 <= len(corpus) <= 60 and len(questions) >= 150
    assert set(splits) == {"forward", "reversal", "inference"}
    assert splits["reversal"] >= 40 and splits["inference"] >= 30


def test_every_document_names_its_source_package_version_and_licence():
    readme = (FOLDER / "README.md").read_text()
    for doc in read_corpus(FOLDER):
        meta = doc.meta
        assert meta.get("source") and meta.get("licence") and meta.get("package_version"), doc.id
        assert f"{meta['package']} {meta['package_version']}" in readme, doc.id
        assert meta["licence"] in readme, doc.id


def test_every_question_has_its_answer_among_distinct_choices_and_real_sources():
    ids = {d.id for d in read_corpus(FOLDER)}
    for q in read_questions(FOLDER):
        assert len(q.choices) == 4 and len(set(q.choices)) == 4, q.id
        answer = q.choices[q.answer]
        assert answer.strip() and answer.strip() not in q.prompt, q.id
        assert q.source_ids and set(q.source_ids) <= ids, q.id
        assert len(set(q.source_ids)) == (2 if q.split == "inference" else 1), q.id


def test_questions_jsonl_is_what_the_hand_written_list_produces():
    spec = importlib.util.spec_from_file_location("write_questions", FOLDER / "write_questions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lines = (FOLDER / "questions.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == module.rows()
