"""Expected failures are one line (`augft: error: ...` naming the path or key), exit 2, no
traceback unless -v, and nothing half-written: a wrong --out, an unreachable store, a full
disk, a missing model."""
import errno
import os

import pytest

from augft.cluster import cli
from augft.cluster.preflight import check_out
from augft.core.errors import AugftError
from helpers import augft_cli, free_port

TINY = ["--config", "configs/tiny.yaml"]


def _one_line_error(r, *words):
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    err = [ln for ln in r.stderr.splitlines() if ln.startswith("augft: error:")]
    assert len(err) == 1 and err[0].count("error:") == 1, r.stderr
    for w in words:
        assert w in err[0], err[0]
    return err[0]


def cli_repo():
    from helpers import REPO
    return REPO


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    d = tmp_path_factory.mktemp("people")
    r = augft_cli("benchmark", *TINY, "--out", d, cwd=cli_repo())
    assert r.returncode == 0, r.stderr
    return d


def test_out_naming_an_existing_file(tmp_path, people):
    f = tmp_path / "taken"
    f.write_text("mine")
    _one_line_error(augft_cli("eval", *TINY, "--data", people, "--out", f, cwd=cli_repo()),
                    "--out", str(f), "not a folder")
    assert f.read_text() == "mine"


def test_out_below_a_file(tmp_path):
    f = tmp_path / "taken"
    f.write_text("mine")
    _one_line_error(augft_cli("ingest", tmp_path, "--out", f / "sub"), str(f), "is a file")
    assert f.read_text() == "mine"  # the file in the way is left as it was


def test_out_not_writable(tmp_path, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere: make the check see what another user sees
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, m: False if str(p) == str(ro) else real(p, m))
    with pytest.raises(AugftError, match=f"permission denied: cannot write in {ro}"):
        check_out(ro / "study")
    assert list(ro.iterdir()) == []


def test_unreachable_store(tmp_path, people):
    port = free_port()  # nothing listens there
    uri = f"s3://bucket/data?endpoint_override=127.0.0.1:{port}&scheme=http"
    r = augft_cli("augment", *TINY, "--data", uri, "--out", tmp_path / "aug", cwd=cli_repo())
    _one_line_error(r, "s3://bucket/data", "cannot reach")
    assert not (tmp_path / "aug").exists()


def test_missing_model(tmp_path, people):
    r = augft_cli("train", *TINY, "--data", people, "--out", tmp_path / "t",
                  f"model.name={tmp_path / 'no-such-model'}", cwd=cli_repo())
    _one_line_error(r, "model.name", "no-such-model", "does not exist")
    assert not (tmp_path / "t").exists()


def test_disk_full_is_one_line_and_leaves_no_file(tmp_path, monkeypatch, capsys):
    def full(path):  # what a full disk does to the first write's flush
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    monkeypatch.setattr("augft.core.io._fsync", full)
    out = tmp_path / "bench"
    assert cli.main(["benchmark", "--config", str(cli_repo() / "configs/tiny.yaml"),
                     "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "augft: error: no space left on the device writing" in err and "Traceback" not in err
    assert [p for p in out.rglob("*") if p.is_file()] == []


def test_verbose_shows_the_traceback(tmp_path):
    f = tmp_path / "taken"
    f.write_text("")
    r = augft_cli("-v", "ingest", tmp_path, "--out", f)
    assert r.returncode == 2 and "Traceback" in r.stderr and "augft: error: --out" in r.stderr


def test_user_data_without_oracle_fails_before_any_work(tmp_path, people):
    mine = tmp_path / "my-data"
    mine.mkdir()
    for f in ("corpus.jsonl", "questions.jsonl"):
        (mine / f).write_bytes((people / f).read_bytes())
    r = augft_cli("run", *TINY, "--data", mine, "--out", tmp_path / "study", cwd=cli_repo())
    line = _one_line_error(r, "pipeline.conditions", "aug_ft[oracle]", "oracle.jsonl")
    assert not (tmp_path / "study").exists()
    fix = line.split("leave it out: ")[1].strip("'")  # the override the message suggests loads
    assert augft_cli("config", *TINY, fix, cwd=cli_repo()).returncode == 0
    (mine / "questions.jsonl").unlink()
    _one_line_error(augft_cli("run", *TINY, "--data", mine, "--out", tmp_path / "study", fix,
                              cwd=cli_repo()), "questions.jsonl", "augft questions --data")


@pytest.mark.parametrize("command", ["augment", "questions"])
def test_document_above_the_limit_is_rejected_by_augment_and_questions(tmp_path, command):
    data = tmp_path / "data"
    data.mkdir()
    (data / "corpus.jsonl").write_text('{"id": "a", "text": "Ada Brandt is a painter."}\n'
                                       '{"id": "big", "text": "' + "rye " * 5000 + '"}\n')
    r = augft_cli(command, *TINY, "--data", data, "--out", tmp_path / "o", cwd=cli_repo(), timeout=120)
    _one_line_error(r, "corpus.jsonl:2", "'big' has 5000 tokens", "max_document_tokens=4096")
    assert not list((tmp_path / "o").glob("**/*.parquet"))  # refused before any record was written
