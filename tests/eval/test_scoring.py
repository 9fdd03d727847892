"""Scoring agrees with lm-evaluation-harness, is batch-invariant, and ICL caching changes nothing."""
import pytest
import torch

from augft.core.models import load_model
from augft.eval.encoding import Encoder
from augft.eval.scoring import ContextCache, Scorer

ITEMS = [
    ("The capital of France is", ["Paris", "London", "a big city in Europe"]),
    ("Question: what is 2+2?\nAnswer: ", ["4", "five"]),            # trailing space moves to the choice
    ("Did you know that femp", ["are more dangerous than glon.", "are bigger"]),
    ("Complete:\n", ["glon are less dangerous than femp", " yomp"]),  # newline end, leading-space choice
    ("x", ["y", "z"]),                                                 # single-token choices
]


@pytest.fixture(scope="module")
def tiny(tiny_model):
    return load_model(tiny_model, device="cpu")


def _lm_eval_scores(m, requests):
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=m.model, tokenizer=m.tokenizer, batch_size=4)
    return lm.loglikelihood([Instance("loglikelihood", {}, r, i) for i, r in enumerate(requests)],
                            disable_tqdm=True)


def _check_against_lm_eval(m, items):
    enc = Encoder(m.tokenizer)
    ours = Scorer(m.model, m.tokenizer.pad_token_id).score(
        [enc.question(p, cs, has_context=False) for p, cs in items], batch_size=3)
    requests = [(p, enc.continuation(p, c)) for p, cs in items for c in cs]
    ref = _lm_eval_scores(m, requests)
    flat = [s for q in ours for s in q]
    assert len(flat) == len(ref)
    for s, (lp, greedy) in zip(flat, ref):
        assert abs(s.logprob - lp) < 1e-3
        assert s.greedy == greedy


def test_loglikelihood_equals_lm_eval(tiny):
    _check_against_lm_eval(tiny, ITEMS)


def test_empty_prompt_uses_prefix_token_like_lm_eval(tiny):
    enc = Encoder(tiny.tokenizer)
    q = enc.question("", ["glon are less dangerous than femp"], has_context=False)
    assert q.prompt == [enc.prefix_token_id]
    [[ours]] = Scorer(tiny.model, tiny.tokenizer.pad_token_id).score([q])
    [(ref, _)] = _lm_eval_scores(tiny, [("", "glon are less dangerous than femp")])
    assert abs(ours.logprob - ref) < 1e-3


def test_batch_size_does_not_change_scores(tiny):
    enc = Encoder(tiny.tokenizer)
    qs = [enc.question(p, cs, has_context=False) for p, cs in ITEMS]
    sc = Scorer(tiny.model, tiny.tokenizer.pad_token_id)
    one = sc.score(qs, batch_size=1)
    many = sc.score(qs, batch_size=len(qs))
    for a, b in zip(one, many):
        assert [x.n_tokens for x in a] == [x.n_tokens for x in b]
        assert max(abs(x.logprob - y.logprob) for x, y in zip(a, b)) < 1e-4


def _full_forward_logprob(model, ids, n_cont):
    """Reference: one plain forward of the whole sequence, no cache, no padding."""
    with torch.inference_mode():
        logits = model(input_ids=torch.tensor([ids])).logits[0].float().log_softmax(-1)
    start = len(ids) - n_cont
    return float(sum(logits[i - 1, ids[i]] for i in range(start, len(ids))))


def test_icl_cached_equals_recomputed_and_plain_forward(tiny):
    enc = Encoder(tiny.tokenizer)
    ctx = enc.context_ids("femp are bigger than glon.\nyomp are smaller than troff.\n\n")
    qs = [enc.question(p, cs, has_context=True) for p, cs in ITEMS]
    sc = Scorer(tiny.model, tiny.tokenizer.pad_token_id)
    cached = sc.score(qs, batch_size=4, context_ids=ctx)
    fresh = sc.score(qs, batch_size=4, context_ids=ctx, reuse_cache=False)
    for q, a, b in zip(qs, cached, fresh):
        for cont, x, y in zip(q.choices, a, b):
            assert abs(x.logprob - y.logprob) < 1e-4
            ref = _full_forward_logprob(tiny.model, ctx + q.prompt + cont, len(cont))
            assert abs(x.logprob - ref) < 1e-3


def test_icl_context_is_computed_once(tiny):
    enc = Encoder(tiny.tokenizer)
    ctx = enc.context_ids(" ".join(f"fact {i} is about femp{i}." for i in range(40)) + "\n\n")
    qs = [enc.question(p, cs, has_context=True) for p, cs in ITEMS]
    question_tokens = sum(len(q.prompt) + sum(len(c) for c in q.choices) for q in qs)
    sc = Scorer(tiny.model, tiny.tokenizer.pad_token_id)
    # Count what the model computes: the context once (in ContextCache) plus each question once.
    seen = []
    orig = tiny.model.forward

    def counting(*a, **kw):
        seen.append(int(kw["input_ids"].shape[0] * kw["input_ids"].shape[1]))
        return orig(*a, **kw)

    tiny.model.forward = counting
    try:
        sc.score(qs, batch_size=len(qs), context_ids=ctx)
        cached_tokens = sum(seen)
        seen.clear()
        sc.score(qs, batch_size=len(qs), context_ids=ctx, reuse_cache=False)
        fresh_tokens = sum(seen)
    finally:
        del tiny.model.forward
    assert cached_tokens <= len(ctx) + question_tokens
    assert fresh_tokens >= len(qs) * (len(ctx) - 1)


def test_cache_copies_leave_the_context_cache_untouched(tiny):
    enc = Encoder(tiny.tokenizer)
    cc = ContextCache(tiny.model, enc.context_ids("femp are big.\n\n"))
    before = [k.clone() for k, _ in cc.kv]
    sc = Scorer(tiny.model, tiny.tokenizer.pad_token_id)
    qs = [enc.question(p, cs, has_context=True) for p, cs in ITEMS[:2]]
    first = sc.score_batch(qs, cc)
    assert all(torch.equal(a, k) for a, (k, _) in zip(before, cc.kv))
    assert cc.kv[0][0].shape[2] == len(cc)
    assert [[c.logprob for c in q] for q in sc.score_batch(qs, cc)] == [[c.logprob for c in q] for q in first]


def test_chat_template_wraps_prompt(tiny):
    enc = Encoder(tiny.tokenizer, chat_template=True)
    q = enc.question("Who is femp?", ["a glon"], has_context=False)
    text = tiny.tokenizer.decode(q.prompt)
    assert text.startswith("<|im_start|>") and "Who is femp?" in text
    assert text.rstrip().endswith("assistant")
    assert text.count("<|im_start|>") == 3  # system, user, assistant; no extra BOS


@pytest.mark.slow
def test_loglikelihood_equals_lm_eval_on_embedded_model(embedded_model_path):
    m = load_model(str(embedded_model_path), device="cpu")
    _check_against_lm_eval(m, ITEMS[:4])
