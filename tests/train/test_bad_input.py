"""Bad input to `augft train`: refused before any work, one line, exit 2, --out unchanged.

To add a case: a test that builds the input and calls `expect_refusal(args, message, out_folder)`.
"""
import json
import shutil
from pathlib import Path

import pytest

from augft.core.records import Augmentation, write_records
from helpers import REPO, expect_refusal, refused

TINY = str(REPO / "configs" / "tiny.yaml")


@pytest.fixture
def data(tmp_path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    docs = [{"id": f"d{i}", "text": f"Femp{i} are more dangerous than glon{i}."} for i in range(4)]
    (d / "corpus.jsonl").write_text("".join(json.dumps(x) + "\n" for x in docs))
    return d


@pytest.fixture
def out(tmp_path) -> Path:
    o = tmp_path / "ft"
    o.mkdir()
    (o / "keep.txt").write_text("an earlier run's file\n")
    return o


def _aug(folder: Path, strategy: str = "local") -> Path:
    recs = [Augmentation(id=f"a{i}", text=f"Glon{i} are less dangerous than femp{i}.", strategy=strategy,
                         source_ids=[f"d{i}"], prompt_hash="h", model="m") for i in range(3)]
    write_records(folder / strategy / "part-00000.parquet", recs)
    return folder


def _train(data, out, *overrides):
    return ["train", "--config", TINY, "--data", data, "--out", out, *overrides]


def test_augmentation_folder_that_does_not_exist(data, out, tmp_path):
    missing = tmp_path / "no-such-aug"
    line = refused(_train(data, out, f"train.augmentations=['{missing}']"), out)
    assert f"train.augmentations: {missing} is not a folder" in line, line


def test_augmentation_folder_the_mix_does_not_use(data, out, tmp_path):
    aug = _aug(tmp_path / "aug")
    r = expect_refusal(_train(data, out, f"train.augmentations=['{aug}']"), "train.mix names none of them", out)
    assert "set train.mix.local=1.0" in r.stderr


def test_augmentation_folder_without_shards(data, out, tmp_path):
    empty = tmp_path / "empty-aug"
    empty.mkdir()
    line = refused(_train(data, out, f"train.augmentations=['{empty}']", "train.mix.local=1.0"), out)
    assert "holds no augmentation shards" in line, line


@pytest.fixture
def model_copy(tmp_path, tiny_model) -> Path:
    from augft.core.models import resolve_model_path

    dst = tmp_path / "model"
    shutil.copytree(resolve_model_path(tiny_model), dst)
    return dst


def test_truncated_safetensors(data, out, model_copy):
    weights = model_copy / "model.safetensors"
    with open(weights, "r+b") as fh:
        fh.truncate(weights.stat().st_size // 2)
    line = refused(_train(data, out, f"model.name={model_copy}"), out)
    assert "model.safetensors is damaged (truncated" in line, line


def test_model_folder_with_a_broken_config(data, out, model_copy):
    (model_copy / "config.json").write_text('{"model_type": "llama", ')
    line = refused(_train(data, out, f"model.name={model_copy}"), out)
    assert "config.json is not valid JSON" in line, line


def test_data_folder_with_the_corpus_in_two_forms(data, out):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["x"], "text": ["an older corpus"]}), data / "corpus.parquet")
    line = refused(_train(data, out), out)
    assert "both corpus.jsonl and corpus.parquet are here" in line, line


def test_data_folder_without_a_corpus(tmp_path, out):
    empty = tmp_path / "empty"
    empty.mkdir()
    (out / "checkpoints" / "step-000002").mkdir(parents=True)  # an earlier run's, kept on a refusal
    (out / "checkpoints" / "step-000002" / "trainer_state.json").write_text("{}")
    line = refused(_train(empty, out), out)
    assert "no corpus.jsonl, corpus.parquet" in line, line
