"""The chain notation in conditions (`aug_ft[local+reverse<compose]`): parsing and refusals."""
import pytest

from augft.core import chains
from augft.core.conditions import augment_strategies, is_control, parse_all
from augft.core.errors import AugftError


def test_a_chain_parses_inside_a_condition_and_plans_its_upstream_first():
    conds = parse_all(["aug_ft[local+reverse<compose]", "distill[qa<global]", "aug_ft[local<reverse<compose]+icl"],
                      key="pipeline.conditions")
    assert conds[0].strategies == ("local", "reverse<compose") and conds[0].label == "aug_ft[local+reverse<compose]"
    assert conds[2].icl and conds[2].strategies == ("local<reverse<compose",)
    assert augment_strategies(conds) == ["local", "compose", "reverse<compose", "global", "qa<global",
                                         "local<reverse<compose"]
    assert chains.run_order("local<reverse<compose") == ["compose", "reverse", "local"]
    assert chains.upstream("local<reverse<compose") == "reverse<compose" and chains.upstream("local") is None


@pytest.mark.parametrize("label, words", [
    ("aug_ft[local<nope]", "'aug_ft[local<nope]' chains unknown strategies ['nope']"),
    ("aug_ft[reverse<reverse]", "'aug_ft[reverse<reverse]' chains 'reverse' onto itself"),
    ("aug_ft[local<reverse<local]", "'aug_ft[local<reverse<local]' is a cycle: ['local'] appear twice"),
    ("aug_ft[oracle<compose]", "'aug_ft[oracle<compose]' runs 'oracle' over another strategy's records, which it "
                               "cannot (oracle copies a benchmark's ground truth"),
    ("aug_ft[compose<local]", "runs 'compose' over another strategy's records, which it cannot (compose reads the "
                              "corpus as a whole"),
    ("aug_ft[local<]", "unknown condition 'aug_ft[local<]'"),
])
def test_a_chain_that_cannot_run_is_refused_naming_the_key_and_condition(label, words):
    with pytest.raises(AugftError, match="config key 'pipeline.conditions'") as err:
        parse_all([label], key="pipeline.conditions")
    assert words in str(err.value)


def test_a_chain_over_the_oracle_is_a_control():
    assert is_control("aug_ft[local<oracle]") and is_control("aug_ft[reverse<oracle]+icl")
    assert not is_control("aug_ft[reverse<compose]")
