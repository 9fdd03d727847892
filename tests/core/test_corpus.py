"""Corpus shards: the layouts `--data` may have, validated streaming reads, digests."""
import json

import pytest

from augft.core.corpus import corpus_digest, discover, iter_corpus, join_uri
from augft.core.records import Document, RecordError, write_jsonl, write_parquet


def _docs(a, b):
    return [Document(f"d{i}", f"Text number {i}.") for i in range(a, b)]


def test_layouts_single_sharded_and_folder(tmp_path):
    single = tmp_path / "single"
    write_jsonl(single / "corpus.jsonl", _docs(0, 3))
    sharded = tmp_path / "sharded"
    write_jsonl(sharded / "corpus-00001.jsonl", _docs(3, 5))
    write_parquet(sharded / "corpus-00000.parquet", _docs(0, 3))
    write_jsonl(sharded / "questions.jsonl", [])  # not a shard
    folder = tmp_path / "folder"
    write_jsonl(folder / "corpus" / "b.jsonl", _docs(2, 4))
    write_jsonl(folder / "corpus" / "a.jsonl", _docs(0, 2))
    assert [d.id for d in iter_corpus(discover(str(single)))] == ["d0", "d1", "d2"]
    c = discover(str(sharded))
    assert [s.name for s in c.shards] == ["corpus-00000.parquet", "corpus-00001.jsonl"]
    assert [d.id for d in iter_corpus(c)] == [f"d{i}" for i in range(5)]
    assert [d.id for d in iter_corpus(c, limit=4)] == [f"d{i}" for i in range(4)]
    assert [d.id for d in iter_corpus(discover(str(folder)))] == ["d0", "d1", "d2", "d3"]
    with pytest.raises(RecordError, match="no corpus.jsonl"):
        discover(str(tmp_path / "single" / ".."))  # a folder without any corpus
    with pytest.raises(RecordError, match="not a folder"):
        discover(str(tmp_path / "missing"))


def test_errors_name_shard_and_line_or_row(tmp_path):
    d = tmp_path / "d"
    write_jsonl(d / "corpus-00000.jsonl", _docs(0, 2))
    (d / "corpus-00001.jsonl").write_text(json.dumps({"id": "x", "text": "ok"}) + "\n\n{bad json\n")
    with pytest.raises(RecordError, match=r"corpus-00001\.jsonl:3: bad JSON"):
        list(iter_corpus(discover(str(d))))
    (d / "corpus-00001.jsonl").write_text('{"id": "x", "text": "a"}\n{"id": "x", "text": "b"}\n')
    with pytest.raises(RecordError, match=r"corpus-00001\.jsonl:2: duplicate id 'x' \(first at 1\)"):
        list(iter_corpus(discover(str(d))))
    # Across shards: both places named, before anything is done with the corpus.
    (d / "corpus-00001.jsonl").write_text('{"id": "y", "text": "a"}\n{"id": "d1", "text": "b"}\n')
    with pytest.raises(RecordError, match=r"corpus-00001\.jsonl:2: duplicate id 'd1' \(first at \S*corpus-00000\.jsonl:2\)"):
        list(iter_corpus(discover(str(d))))
    p = tmp_path / "p"
    write_parquet(p / "corpus-00000.parquet", [{"id": "a", "text": "fine"}, {"id": "b", "text": " "}])
    with pytest.raises(RecordError, match=r"corpus-00000\.parquet:row 1: field 'text' is empty"):
        list(iter_corpus(discover(str(p))))


def test_digest_streams_bytes_and_changes_with_content(tmp_path):
    d = tmp_path / "d"
    write_jsonl(d / "corpus-00000.jsonl", _docs(0, 3))
    write_jsonl(d / "corpus-00001.jsonl", _docs(3, 4))
    before = corpus_digest(discover(str(d)))
    assert before == corpus_digest(discover(str(d)))
    write_jsonl(d / "corpus-00001.jsonl", _docs(3, 5))
    assert corpus_digest(discover(str(d))) != before


def test_join_uri_keeps_filesystem_options():
    assert join_uri("s3://b/data?endpoint_override=h:1&scheme=http", "out", "x.json") == \
        "s3://b/data/out/x.json?endpoint_override=h:1&scheme=http"
    assert join_uri("/tmp/a", "b") == "/tmp/a/b"


def test_document_above_max_tokens_is_rejected_with_file_and_line(tmp_path):
    from augft.core.corpus import discover, iter_corpus
    from augft.core.records import RecordError

    d = tmp_path / "data"
    d.mkdir()
    rows = [{"id": "a", "text": "Short."}, {"id": "b", "text": "word " * 60}]
    (d / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert len(list(iter_corpus(discover(str(d), max_tokens=60)))) == 2
    with pytest.raises(RecordError, match=r"corpus\.jsonl:2: document 'b' has 60 tokens, above "
                                          r"max_document_tokens=59"):
        list(iter_corpus(discover(str(d), max_tokens=59)))
