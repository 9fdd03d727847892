"""eval/identity.py: the eval stage's contract, checked over the schema."""
from identity_checks import check

from augft.core.config import load_config
from augft.core.config.settings import EvalSettings
from augft.eval.identity import CONTRACT, identity
from augft.eval.request import EvalRequest


def _identity(*conditions):
    return lambda cfg: identity(EvalRequest("d", "o", conditions), EvalSettings.of(cfg))


def test_every_eval_key_is_classified_and_each_class_holds():
    check(CONTRACT, _identity("base", "rag"))  # a retrieving condition: eval.rag.* counts


def test_retrieval_keys_count_only_for_conditions_that_retrieve():
    a, b = load_config(None, []), load_config(None, ["eval.rag.k=9"])
    assert _identity("base", "ft+icl")(a) == _identity("base", "ft+icl")(b)
    assert _identity("ft+rag[dense]")(a) != _identity("ft+rag[dense]")(b)
