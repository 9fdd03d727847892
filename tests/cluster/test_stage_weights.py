"""cluster/stage_weights.py: the gpu overlay's staging Job copies model folders from S3 or a
mounted path onto the shared volume, atomically, and never from a hub."""
import pytest

from augft.cluster.stage_weights import main, stage
from augft.core.errors import AugftError


def _model(folder):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"\0" * 64)
    (folder / "tokenizer.json").write_text("{}")
    return folder


def test_a_mounted_folder_is_staged_under_the_storage_root_and_a_rerun_is_a_no_op(tmp_path, monkeypatch):
    src = _model(tmp_path / "src" / "llama")
    monkeypatch.setenv("AUGFT_STORAGE", str(tmp_path / "shared"))
    assert main([str(src), "models/student"]) == 0
    dest = tmp_path / "shared" / "models" / "student"
    assert sorted(p.name for p in dest.iterdir()) == ["config.json", "model.safetensors", "tokenizer.json"]
    assert not (dest.parent / "student.partial").exists()
    (src / "config.json").write_text('{"changed": 1}')
    assert stage(str(src), "models/student") == (dest, False)
    assert (dest / "config.json").read_text() == "{}"


@pytest.mark.parametrize("source,message", [
    ("meta-llama/Llama-3.1-8B", "hub id"),
    ("https://huggingface.co/meta-llama/Llama-3.1-8B", "never downloaded from a hub"),
    ("hf://meta-llama/Llama-3.1-8B", "never downloaded from a hub"),
])
def test_hub_sources_are_refused(tmp_path, source, message):
    with pytest.raises(AugftError, match=message):
        stage(source, str(tmp_path / "m"))


def test_a_folder_without_safetensors_is_refused_and_nothing_is_left_as_a_model(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "config.json").write_text("{}")
    (src / "pytorch_model.bin").write_bytes(b"x")
    with pytest.raises(AugftError, match="safetensors"):
        stage(str(src), str(tmp_path / "dest"))
    assert not (tmp_path / "dest").exists()


def test_odd_arguments_print_usage(capsys):
    assert main(["only-a-source"]) == 2
    assert "SOURCE DEST" in capsys.readouterr().err


def test_an_s3_folder_is_staged(tmp_path, s3):
    s3fs, options = s3  # the shared moto server (tests/conftest.py)
    for p in _model(tmp_path / "m").iterdir():
        with s3fs.open_output_stream(f"augft/models/m/{p.name}") as fh:
            fh.write(p.read_bytes())
    dest, copied = stage(f"s3://augft/models/m?{options}", str(tmp_path / "shared" / "teacher"))
    assert copied and (dest / "model.safetensors").stat().st_size == 64
