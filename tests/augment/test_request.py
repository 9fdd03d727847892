"""augment.request: the typed request a study stage (or the CLI) gives an augment run."""
import pytest

from augft.augment.request import AugmentRequest
from augft.core.config import load_config
from augft.core.config.augment import Strategy
from augft.core.errors import AugftError


def test_request_from_config_and_by_hand_agree():
    cfg = load_config(None, ["augment.strategies=[local,global]"])
    req = AugmentRequest.from_config(cfg, "data", "out")
    assert req == AugmentRequest("data", "out", ("local", Strategy("global")))
    assert req.strategies == ("local", "global") and all(type(s) is str for s in req.strategies)


def test_request_refuses_unknown_or_no_strategies():
    with pytest.raises(AugftError, match="unknown strategy 'magic'"):
        AugmentRequest("d", "o", ("magic",))
    with pytest.raises(AugftError, match="at least one strategy"):
        AugmentRequest("d", "o", ())
