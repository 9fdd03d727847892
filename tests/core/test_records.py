import json

import pytest

from augft.core.records import (Augmentation, Document, Question, RecordError, read_corpus,
                          read_records, write_records)


def _q(**kw):
    base = dict(id="q1", split="reversal", kind="reversal", prompt="The composer of Velmora is",
                choices=[" Dafna Krell", " Omri Task"], answer=0, source_ids=["f1"])
    base.update(kw)
    return base


def _write_lines(path, lines):
    path.write_bytes(b"".join(l if isinstance(l, bytes) else (l + "\n").encode() for l in lines))


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_roundtrip_all_types(tmp_path, suffix):
    docs = [Document("d1", "Dafna Krell composed Velmora.", {"fact_ids": ["f1"]}),
            Document("d2", "Omri Task sails.")]
    qs = [Question(**_q())]
    augs = [Augmentation("a1", "Velmora was composed by Dafna Krell.", "local", ["d1"], "abc123",
                         "smollm2", {"temperature": 0.8}, {"filter": "ok"})]
    for recs, cls in [(docs, Document), (qs, Question), (augs, Augmentation)]:
        p = tmp_path / f"{cls.__name__}{suffix}"
        assert write_records(p, recs) == len(recs)
        assert read_records(p, cls) == recs


@pytest.mark.parametrize("line,needle", [
    ('{"id": "d2", "text": ', "bad JSON"),
    ('{"id": "d2"}', "missing field 'text'"),
    ('{"id": "d2", "text": 5}', "field 'text' must be a string"),
    ('{"id": "d2", "text": "   "}', "field 'text' is empty"),
    ('{"id": "d2", "text": "x", "extra": 1}', "unknown field"),
    ('[1, 2]', "expected a JSON object"),
    ('{"id": "d1", "text": "dup"}', "duplicate id 'd1'"),
])
def test_bad_document_line_names_file_and_line(tmp_path, line, needle):
    p = tmp_path / "corpus.jsonl"
    _write_lines(p, ['{"id": "d1", "text": "fine"}', "", line])
    with pytest.raises(RecordError) as err:
        read_records(p, Document)
    msg = str(err.value)
    assert msg.startswith(f"{p}:3:"), msg
    assert needle in msg


def test_invalid_utf8_names_line(tmp_path):
    p = tmp_path / "corpus.jsonl"
    _write_lines(p, ['{"id": "d1", "text": "fine"}', b'{"id": "d2", "text": "\xff\xfe"}\n'])
    with pytest.raises(RecordError, match=r"corpus.jsonl:2: invalid UTF-8"):
        read_records(p, Document)


@pytest.mark.parametrize("kw,needle", [
    (dict(answer=2), "outside 0..1"),
    (dict(answer=-1), "outside"),
    (dict(choices=[" a"]), "at least 2"),
    (dict(choices=[" a", " "]), "empty choice"),
    (dict(answer=True), "must be an integer"),
    (dict(choices=[" a", 3]), "list of strings"),
])
def test_bad_question(tmp_path, kw, needle):
    p = tmp_path / "questions.jsonl"
    _write_lines(p, [json.dumps(_q(**kw))])
    with pytest.raises(RecordError, match=needle):
        read_records(p, Question)


def test_parquet_error_names_row(tmp_path):
    p = tmp_path / "a.parquet"
    write_records(p, [{"id": "x", "text": "  "}])
    with pytest.raises(RecordError, match=r"a.parquet:row 0: field 'text' is empty"):
        read_records(p, Document)


def test_write_is_atomic_on_failure(tmp_path):
    p = tmp_path / "corpus.jsonl"
    write_records(p, [Document("d1", "old")])

    def gen():
        yield Document("d2", "new")
        raise RuntimeError("crash mid-write")

    with pytest.raises(RuntimeError):
        write_records(p, gen())
    assert read_records(p, Document) == [Document("d1", "old")]
    assert [f.name for f in tmp_path.iterdir()] == ["corpus.jsonl"]  # no temp left behind


def test_empty_corpus_is_an_error(tmp_path):
    (tmp_path / "corpus.jsonl").write_text("\n")
    with pytest.raises(RecordError, match="no records"):
        read_corpus(tmp_path)
    with pytest.raises(RecordError, match="no corpus.jsonl"):
        read_corpus(tmp_path / "nowhere")
