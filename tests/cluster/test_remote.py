"""Every stage command reads and writes s3:// through the local S3-compatible server (moto on
127.0.0.1): --data, --out, and the keys that name models and folders (cluster/remote.py)."""
from pathlib import Path

import pytest

from helpers import augft_cli, s3_names

TINY = Path(__file__).resolve().parents[2] / "configs" / "tiny.yaml"


def _put(s3fs, folder: Path, prefix: str) -> None:
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            with s3fs.open_output_stream(f"{prefix}/{p.relative_to(folder).as_posix()}") as fh:
                fh.write(p.read_bytes())


def _get(s3fs, path: str) -> bytes:
    with s3fs.open_input_stream(path) as fh:
        return fh.read()




def _ok(r):
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}"
    return r




def test_ingest_then_questions_to_s3(uri_work, s3):
    s3fs, opts = s3
    bench, docs = uri_work / "bench", uri_work / "docs"
    _ok(augft_cli("benchmark", "--name", "people", "benchmark.people.n_people=8", "--out", bench))
    docs.mkdir()
    (docs / "people.jsonl").write_bytes((bench / "corpus.jsonl").read_bytes())  # Document records
    (docs / "a.md").write_text("# Femp\n\nFemp are more dangerous than glon. Glon live in the north.\n")
    _put(s3fs, docs, "augft/docs")
    _ok(augft_cli("ingest", f"s3://augft/docs?{opts}", "--out", f"s3://augft/data?{opts}"))
    assert {"corpus.jsonl", "ingest.json"} <= s3_names(s3fs, "augft/data")
    assert b"more dangerous than glon" in _get(s3fs, "augft/data/corpus.jsonl")
    # questions writes beside its corpus when --out is left out: the same URI
    _ok(augft_cli("questions", "--data", f"s3://augft/data?{opts}", "questions.generate=false",
                  "questions.filter=false", "model.name=tiny-random-llama",
                  "questions.per_split=5"))
    names = s3_names(s3fs, "augft/data")
    assert {"corpus.jsonl", "questions.jsonl", "questions.json"} <= names, names


def test_train_then_eval_on_s3(uri_work, s3):
    s3fs, opts = s3
    _ok(augft_cli("benchmark", "--config", TINY, "--out", f"s3://augft/bench?{opts}"))
    assert {"corpus.jsonl", "questions.jsonl"} <= s3_names(s3fs, "augft/bench")
    _ok(augft_cli("train", "--config", TINY, "--data", f"s3://augft/bench?{opts}", "--out", f"s3://augft/ft?{opts}",
                  "tracking.enabled=false"))
    names = s3_names(s3fs, "augft/ft")
    assert "summary.json" in names and any(n.startswith("model/") and n.endswith(".safetensors") for n in names)
    r = _ok(augft_cli("eval", "--config", TINY, "--data", f"s3://augft/bench?{opts}", "--out", f"s3://augft/ev?{opts}",
                      "tracking.enabled=false", "eval.conditions=[base,ft]", f"eval.models.ft=s3://augft/ft/model?{opts}"))
    from augft.core.artifacts import EvalOutput

    got = uri_work / "ev"
    got.mkdir()
    (got / "results.json").write_bytes(_get(s3fs, "augft/ev/results.json"))
    results = EvalOutput(got).results()  # the published file, read by its typed reader
    assert set(results.conditions) == {"base", "ft"} and results.complete, r.stdout


def test_missing_bucket_and_object_name_the_flag(uri_work, s3):
    s3fs, opts = s3
    r = augft_cli("train", "--config", TINY, "--data", f"s3://nobucket/data?{opts}", "--out", str(uri_work / "o"))
    assert r.returncode == 2 and "--data s3://nobucket/data" in r.stderr, r.stderr
    r = augft_cli("eval", "--config", TINY, "--data", f"s3://augft/none?{opts}", "--out", str(uri_work / "o"))
    assert r.returncode == 2 and "--data s3://augft/none: no such object or folder" in r.stderr, r.stderr
    with s3fs.open_output_stream("augft/plain/corpus.jsonl") as fh:
        fh.write(b'{"id": "a", "text": "nothing here to ask about"}\n')
    r = augft_cli("questions", "--data", f"s3://augft/plain?{opts}", "questions.generate=false")
    assert r.returncode == 2 and "s3://augft/plain: no sentence in the corpus" in r.stderr, r.stderr  # not the copy
    r = augft_cli("train", "--config", TINY, "--data", str(uri_work), "--out", f"s3://nobucket/o?{opts}")
    assert r.returncode == 2 and "--out s3://nobucket/o: the bucket 'nobucket' does not exist" in r.stderr, r.stderr


@pytest.mark.slow
def test_whole_study_with_every_path_on_s3(uri_work, s3):
    s3fs, opts = s3
    bench = uri_work / "bench"
    _ok(augft_cli("benchmark", "--config", TINY, "--out", bench))
    _put(s3fs, bench, "augft/data")
    # the model too: a model folder behind a URI is copied down once and loaded from there
    from augft.core.models import resolve_model_path

    _put(s3fs, resolve_model_path("tiny-random-llama"), "augft/models/tiny")
    args = ["run", "--config", TINY, "--data", f"s3://augft/data?{opts}", "--out", f"s3://augft/study?{opts}",
            "tracking.enabled=false", "pipeline.conditions=[base,ft,\"aug_ft[local]\"]",
            f"model.name=s3://augft/models/tiny?{opts}"]
    _ok(augft_cli(*args, timeout=600))
    names = s3_names(s3fs, "augft/study")
    assert {"report/results.json", "report/report.md"} <= names, sorted(names)
    assert any(n.endswith("/manifest.json") for n in names) and any(n.endswith("/summary.json") for n in names)
    # a rerun reads the published stage folders back and reuses every one
    again = _ok(augft_cli(*args, timeout=600))
    assert (again.stdout + again.stderr).count(": cached (") >= 5, again.stderr[-3000:]


def test_keys_naming_uris_become_local_copies(uri_work, s3):
    from augft.cluster.remote import input_overrides
    from augft.core.config import load_config

    s3fs, opts = s3
    for path, data in {"augft/aug/manifest.json": b"{}", "augft/aug/local/part-0.parquet": b"p",
                       "augft/ft/summary.json": b'{"s": 1}'}.items():
        with s3fs.open_output_stream(path) as fh:
            fh.write(data)
    over = [f"train.augmentations=[s3://augft/aug?{opts}]", f"eval.costs.train_summaries.ft=s3://augft/ft/summary.json?{opts}",
            f"eval.costs.augment_manifests.aug=[s3://augft/aug/manifest.json?{opts}]", "train.resume=auto"]
    cfg = load_config(None, over)
    assert input_overrides(cfg, "augment") == []  # augment reads none of these keys (its corpus streams)
    assert input_overrides(cfg, "ingest") == []  # ingest loads none of them
    local = load_config(None, [*over, *input_overrides(cfg, "run")])
    aug = Path(local.train.augmentations[0])
    assert (aug / "local" / "part-0.parquet").read_bytes() == b"p" and (aug / "manifest.json").is_file()
    assert Path(local.eval.costs.train_summaries.ft).read_bytes() == b'{"s": 1}'
    assert Path(local.eval.costs.augment_manifests.aug[0]).name == "manifest.json"
    assert local.train.resume == "auto"
    # a model behind a URI is copied for augment too (transformers loads files), not for ingest
    model = load_config(None, [f"model.name=s3://augft/ft?{opts}"])
    assert [o.split("=", 1)[0] for o in input_overrides(model, "augment")] == ["model.name"]
    assert input_overrides(model, "ingest") == []
