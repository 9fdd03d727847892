"""augft ingest on a small mixed folder: ids, chunk sizes, meta, the skipped-file report."""
import json
import re
from pathlib import Path

import pytest

from augft.core.config import load_config
from augft.core.records import Document, read_records
from augft.ingest.api import ingest
from augft.ingest.chunk import chunk_paragraphs, count_tokens

LONG = " ".join(f"Sentence number {i} says that the Orsk valley holds {i} old mills." for i in range(40))


def _pdf(path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for text in ("Dafna Krell composed the opera Velmora in Orsk.",
                 "The Velmora premiere took place in the Tarsk Hall."):
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    (d / "sub").mkdir(parents=True)
    (d / "handbook.md").write_text(
        "# Handbook\n\nIntro paragraph about *Orsk*.\n\n## Travel\n\nTake the [train](http://x) to Orsk.\n\n"
        "```\ncode is left out\n```\n\n## Food\n\n" + LONG + "\n", encoding="utf-8")
    (d / "notes.txt").write_text("First paragraph\nwrapped over lines.\n\nSecond paragraph.\n", encoding="utf-8")
    (d / "sub" / "page.html").write_text(
        "<html><head><title>t</title><style>p{}</style></head><body><nav>menu</nav>"
        "<h1>Mills</h1><p>The Orsk mill is <b>old</b>.</p><script>var x=1;</script>"
        "<h2>History</h2><ul><li>Built in 1820.</li><li>Rebuilt in 1901.</li></ul></body></html>",
        encoding="utf-8")
    _pdf(d / "sub" / "report.pdf")
    (d / "empty.txt").write_text("  \n\n ", encoding="utf-8")
    (d / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not a pdf body\n")
    (d / "latin1.txt").write_bytes("Caf\xe9 au lait".encode("latin-1"))
    (d / "image.png").write_bytes(b"\x89PNG")
    return d


def _cfg(**over):
    return load_config(None, [f"ingest.{k}={v}" for k, v in over.items()]).ingest


def test_mixed_folder(folder: Path, tmp_path: Path):
    out = tmp_path / "data"
    report = ingest([folder], out, _cfg(max_tokens=40, workers=2))
    docs = read_records(out / "corpus.jsonl", Document)  # the core reader validates every record
    by_source = {}
    for d in docs:
        by_source.setdefault(d.meta["source"], []).append(d)
        assert count_tokens(d.text) <= 40 and d.meta["tokens"] == count_tokens(d.text)
        assert re.fullmatch(re.escape(d.meta["source"]) + r"#\d+-[0-9a-f]{10}", d.id)
    assert sorted(by_source) == ["handbook.md", "notes.txt", "sub/page.html", "sub/report.pdf"]
    # Markdown: headings as a path, inline markup reduced to text, code left out, long text chunked.
    md = by_source["handbook.md"]
    assert md[0].text == "Intro paragraph about Orsk." and md[0].meta["heading"] == "Handbook"
    assert md[1].text == "Take the train to Orsk." and md[1].meta["heading"] == "Handbook > Travel"
    food = [d for d in md if d.meta["heading"] == "Handbook > Food"]
    assert len(food) > 5 and all(d.text.endswith("mills.") for d in food)  # split at sentence ends
    assert " ".join(d.text for d in food) == LONG
    assert not any("code is left out" in d.text for d in docs)
    assert [d.meta["chunk"] for d in md] == list(range(len(md)))
    # Text: wrapped lines joined, paragraphs kept apart.
    assert by_source["notes.txt"][0].text == "First paragraph wrapped over lines.\n\nSecond paragraph."
    # HTML: scripts, styles and navigation dropped; headings tracked.
    html = by_source["sub/page.html"]
    assert [(d.text, d.meta["heading"]) for d in html] == [
        ("The Orsk mill is old.", "Mills"), ("Built in 1820.\n\nRebuilt in 1901.", "Mills > History")]
    # PDF: one section per page.
    pdf = by_source["sub/report.pdf"]
    assert [(d.meta["page"], d.text) for d in pdf] == [
        (1, "Dafna Krell composed the opera Velmora in Orsk."),
        (2, "The Velmora premiere took place in the Tarsk Hall.")]
    # Every input that gave nothing is in the report with its reason.
    reasons = {s["path"]: s["reason"] for s in report["skipped"]}
    assert set(reasons) == {"empty.txt", "broken.pdf", "latin1.txt", "image.png"}
    assert reasons["empty.txt"].startswith("empty")
    assert reasons["broken.pdf"].startswith("unreadable: not a readable PDF")
    assert reasons["latin1.txt"] == "unreadable: not UTF-8 text (invalid byte at offset 3)"
    assert reasons["image.png"] == "unsupported file type '.png'"
    on_disk = json.loads((out / "ingest.json").read_text())
    assert on_disk["n_skipped"] == 4 and on_disk["documents"] == len(docs) and on_disk["files_read"] == 4
    assert on_disk["files_seen"] == 8


def test_ids_stable_and_content_addressed(folder: Path, tmp_path: Path):
    a = read_records(ingest([folder], tmp_path / "a", _cfg(max_tokens=40, workers=1))
                     and tmp_path / "a" / "corpus.jsonl", Document)
    b = read_records(ingest([folder], tmp_path / "b", _cfg(max_tokens=40, workers=2))
                     and tmp_path / "b" / "corpus.jsonl", Document)
    assert [(d.id, d.text) for d in a] == [(d.id, d.text) for d in b]  # rerun, other worker count
    (folder / "notes.txt").write_text("Changed text.\n", encoding="utf-8")
    c = read_records(ingest([folder], tmp_path / "c", _cfg(max_tokens=40)) and tmp_path / "c" / "corpus.jsonl",
                     Document)
    changed = {d.id for d in c} ^ {d.id for d in a}
    assert changed and all(i.startswith("notes.txt#") for i in changed)


def test_passthrough_and_bad_record(tmp_path: Path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "mine.jsonl").write_text('{"id": "x1", "text": "Kept as is.", "meta": {"k": 1}}\n', encoding="utf-8")
    ingest([d], tmp_path / "out", _cfg())
    assert read_records(tmp_path / "out" / "corpus.jsonl", Document) == [Document("x1", "Kept as is.", {"k": 1})]
    (d / "bad.jsonl").write_text('{"id": "y"}\n', encoding="utf-8")
    from augft.core.errors import AugftError

    with pytest.raises(AugftError, match=r"bad\.jsonl:1: missing field 'text'"):
        ingest([d], tmp_path / "out2", _cfg())
    assert not (tmp_path / "out2" / "corpus.jsonl").exists()


def test_chunking_never_exceeds_the_limit():
    paras = ["word " * 25, "short one.", "x" * 3 + ". " + "y " * 30, ",".join("abcdefghijklmnopqrst")]
    for limit in (8, 10, 17):
        chunks = chunk_paragraphs(paras, limit)
        assert all(count_tokens(c) <= limit for c in chunks)
        assert "".join("".join(chunks).split()) == "".join("".join(paras).split())  # nothing lost


def test_cli(folder: Path, tmp_path: Path, cli):
    r = cli("ingest", folder, "ingest.max_tokens=60", "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    assert "skipped 4 file(s)" in r.stdout and "broken.pdf: unreadable" in r.stdout
    r = cli("ingest", tmp_path / "nope", "--out", tmp_path / "o2")
    assert r.returncode == 2 and "no such file or folder" in r.stderr


def test_passthrough_document_above_the_limit_is_split_and_reported(tmp_path: Path, cli):
    d = tmp_path / "in"
    d.mkdir()
    huge = " ".join(f"Mill {i} of the Orsk valley grinds rye" for i in range(3000))  # one line, no period
    rows = [{"id": "big", "text": huge, "meta": {"k": 1}}, {"id": "small", "text": "Kept as is."}]
    (d / "mine.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    r = cli("ingest", d, "--out", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    docs = read_records(tmp_path / "out" / "corpus.jsonl", Document)
    big = [x for x in docs if x.meta.get("split_from") == "big"]
    assert len(big) > 100 and all(count_tokens(x.text) <= 128 for x in docs)
    assert [x.id for x in big[:2]] == ["big#0", "big#1"] and big[0].meta["k"] == 1
    assert "".join("".join(x.text for x in big).split()) == "".join(huge.split())  # nothing lost
    assert docs[-1] == Document("small", "Kept as is.", {})
    report = json.loads((tmp_path / "out" / "ingest.json").read_text())
    assert report["documents_split"] == 1 and report["largest_document_tokens"] <= 128
    assert f"the largest {report['largest_document_tokens']}; limit ingest.max_tokens=128" in r.stdout
    assert "split 1 Document record(s)" in r.stdout
