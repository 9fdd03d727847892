"""Retention: the shipped question bank, perplexity on general text, what base knew."""
from augft.core.artifacts import Retained
from augft.core.models import load_model
from augft.eval import retention


def test_bank_is_valid_and_unrelated_to_benchmarks():
    qs = retention.questions()
    assert len(qs) == 66 and {q.split for q in qs} == {"retention"}
    assert len({q.id for q in qs}) == 66
    # Answer positions are spread, so position alone cannot score.
    assert {q.answer for q in qs} == {0, 1, 2, 3}


def test_retained_counts_only_what_base_answered():
    base = [{"id": "a", "split": "retention", "correct": True}, {"id": "b", "split": "retention", "correct": False},
            {"id": "c", "split": "retention", "correct": True}, {"id": "x", "split": "reversal", "correct": True}]
    mine = [{"id": "a", "split": "retention", "correct": False}, {"id": "b", "split": "retention", "correct": True},
            {"id": "c", "split": "retention", "correct": True}, {"id": "x", "split": "reversal", "correct": False}]
    assert retention.retained(base, mine) == Retained(accuracy=0.5, n=2)
    assert retention.retained([], mine) is None


def test_perplexity_is_deterministic_and_finite(tiny_model):
    m = load_model(tiny_model)
    a = retention.perplexity(m.model, m.tokenizer, 200, window=64)
    assert 1.0 < a < float("inf") and a == retention.perplexity(m.model, m.tokenizer, 200, window=64)
    # A random model is near uniform over its vocabulary.
    assert a > 1000
