"""Bad input and faults in `augft ingest`: refused before any work (one line, exit 2, --out
unchanged), and a failed ingest leaves the previous corpus.jsonl and ingest.json as they were.

To add a case: a test that builds the input and calls `expect_refusal(args, message, out_folder)`.
"""
import errno
from pathlib import Path

import pytest

from augft.core.config import load_config
from augft.core.errors import AugftError
from helpers import folder_state, refused


@pytest.fixture
def docs(tmp_path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    (d / "a.md").write_text("# A\n\nThe Orsk mill is old and was rebuilt in 1901 by the Krell family.\n")
    (d / "b.txt").write_text("Dafna Krell composed the opera Velmora in Orsk in the spring.\n")
    return d


def test_out_inside_the_input_folder(docs):
    out = docs / "corpus-out"
    out.mkdir()
    (out / "corpus.jsonl").write_text('{"id": "old", "text": "an earlier ingest"}\n')
    assert f"--out {out} is inside the input folder {docs}" in refused(["ingest", docs, "--out", out], out)


def test_out_is_the_input_folder(docs):
    assert "is inside the input folder" in refused(["ingest", docs, "--out", docs], docs)


def test_input_inside_out(docs, tmp_path):
    assert "is inside --out" in refused(["ingest", docs / "a.md", "--out", docs], docs)


def test_missing_input(docs, tmp_path):
    out = tmp_path / "out"
    assert "no such file or folder" in refused(
        ["ingest", tmp_path / "nope", "--out", out, "ingest.max_tokens=256"], out)


def _previous(docs, out) -> dict:
    from augft.ingest.api import ingest

    ingest([docs], out, load_config().ingest)
    assert (out / "corpus.jsonl").is_file() and (out / "ingest.json").is_file()
    return folder_state(out)


def test_failed_ingest_keeps_the_previous_pair(docs, tmp_path):
    from augft.ingest.api import ingest

    out = tmp_path / "out"
    before = _previous(docs, out)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "x.bin").write_text("not a document")
    with pytest.raises(AugftError, match="no documents extracted.*ingest.failed.json"):
        ingest([empty], out, load_config().ingest)
    after = folder_state(out)
    assert {k: after[k] for k in before} == before  # corpus.jsonl and ingest.json untouched
    assert set(after) - set(before) == {"ingest.failed.json"}
    ingest([docs], out, load_config().ingest)  # a good rerun clears the failure report
    assert not (out / "ingest.failed.json").exists()


def test_full_disk_is_named_and_keeps_the_previous_pair(docs, tmp_path, monkeypatch):
    import augft.ingest.api as api

    out = tmp_path / "out"
    before = _previous(docs, out)

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(api, "_write_all", full)
    with pytest.raises(AugftError, match=f"no space left on the device writing {out}"):
        api.ingest([docs], out, load_config().ingest)
    after = folder_state(out)
    assert {k: after[k] for k in before} == before
    assert not [p for p in out.iterdir() if p.name.startswith(".ingest-")]  # no staging folder left


def test_extension_without_its_dot(docs, tmp_path):
    out = tmp_path / "out"
    assert "config key 'ingest.extensions': ['md'] would match no file" in refused(
        ["ingest", docs, "--out", out, "ingest.extensions=[md,.txt]"], out)
