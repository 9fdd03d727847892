"""core/identity.py: a contract picks its allow-list and finds keys classified twice or never."""
from augft.core.config import load_config
from augft.core.config.root import AugftConfig
from augft.core.identity import Contract, unclassified


def test_pick_nests_the_allow_list_and_leaves_out_what_does_not_apply():
    cfg = load_config(None, ["train.lr=0.001"])
    c = Contract("t", ("train.distill", "seed"), output=("train.distill.top_k", "train.distill.alpha", "seed"),
                 neutral={})
    assert c.pick({"train.distill": cfg.train.distill, "seed": 3}) == \
        {"train": {"distill": {"top_k": 20, "alpha": 0.0}}, "seed": 3}
    assert c.pick({"train.distill": cfg.train.distill, "seed": 3}, leave_out=["train.distill"]) == {"seed": 3}


def test_a_key_classified_twice_or_never_is_named():
    c = Contract("t", ("model",), output=("model.name", "model.dtype"), neutral={"model": "all of it"},
                 request={"model.device": "X.device"})
    bad = unclassified(c, AugftConfig)
    assert bad["model.name"] == ["model.name", "model"] and bad["model.device"] == ["model", "model.device"]
    assert "model.cache_dir" not in bad  # the subsection entry classifies it once
    assert unclassified(Contract("t", ("model",), output=("model.name",), neutral={}), AugftConfig)["model.dtype"] == []
