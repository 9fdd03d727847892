"""The vllm engine for real (vLLM's CPU build), against the hf engine on the same tiny model in
float32: same prompt tokens, same greedy texts, same log-probabilities (to float rounding)."""
import pytest

from augft.augment.engines.base import GenRequest, Sampling

pytestmark = pytest.mark.slow

MODEL = "tiny-random-llama-vllm"


@pytest.fixture(scope="module")
def engines():
    from omegaconf import OmegaConf

    from augft.augment.engines.hf import HFEngine
    from augft.augment.engines.vllm import VLLMEngine
    from augft.core.config import load_config

    cfg = load_config(None, [f"model.name={MODEL}", "model.dtype=float32", "augment.vllm.kv_cache_gb=0.25"])
    vl = VLLMEngine(cfg.model, cfg.augment.vllm, seed=0)
    hf = HFEngine(OmegaConf.create(OmegaConf.to_container(cfg.model)), batch_size=4)
    yield hf, vl
    vl.close()
    assert vl.llm is None


REQS = [GenRequest("a", " Femp are larger than glon.", prefix="Documents: glon, femp, yomp.\n", seed=1),
        GenRequest("b", " All troff are yomp.", prefix="Documents: glon, femp, yomp.\n", seed=2),
        GenRequest("c", "Did you know that wuzzles swim?", seed=3)]


def test_greedy_texts_and_token_counts_match_hf(engines):
    hf, vl = engines
    greedy = Sampling(temperature=0.0, max_new_tokens=12, n=3, stop=["\nFact:"])
    h, v = hf.generate(REQS, greedy), vl.generate(REQS, greedy)
    for a, b in zip(h, v):
        assert b.error is None and len(b.texts) == 3 and len(set(b.texts)) == 1  # n>1 at temperature 0
        assert a.prompt_tokens == b.prompt_tokens
        assert a.texts[0] == b.texts[0], (a.texts, b.texts)


def test_sampling_gives_n_candidates(engines):
    _, vl = engines
    res = vl.generate(REQS[:1], Sampling(temperature=0.9, max_new_tokens=6, n=4))
    assert len(res[0].texts) == 4 and res[0].completion_tokens > 0


def test_continuation_logprobs_and_yes_probability_match_hf(engines):
    hf, vl = engines
    pairs = [("Text: Femp are larger than glon.\nStatement:", " Glon are smaller than femp."),
             ("Text: (none)\nStatement:", " Glon are smaller than femp.")]
    for a, b in zip(hf.continuation_logprobs(pairs), vl.continuation_logprobs(pairs)):
        assert len(a) == len(b) > 0
        assert max(abs(x - y) for x, y in zip(a, b)) < 1e-3
    prompts = ["Does the text state it? Answer Yes or No:", "Is glon a femp?"]
    for a, b in zip(hf.yes_probability(prompts), vl.yes_probability(prompts)):
        assert abs(a - b) < 1e-2


def test_start_up_failure_names_the_config_keys():
    """A KV cache too small for one sequence: vLLM refuses at start-up, and the error names the
    two keys that fix it (from a real loaded config, a DictConfig, as in every stage)."""
    from augft.augment.engines.vllm import VLLMEngine
    from augft.core.config import load_config
    from augft.core.errors import AugftError

    cfg = load_config(None, [f"model.name={MODEL}", "model.dtype=float32", "augment.vllm.kv_cache_gb=0.00001",
                             "augment.vllm.max_model_len=8192"])
    with pytest.raises(AugftError) as err:
        VLLMEngine(cfg.model, cfg.augment.vllm, seed=0)
    msg = str(err.value)
    assert "augment.vllm.kv_cache_gb" in msg and "augment.vllm.max_model_len" in msg, msg
    assert "bound method" not in msg
