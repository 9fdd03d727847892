"""augment/identity.py: the augment stage's contract, checked over the schema."""
from identity_checks import check

from augft.augment.identity import CONTRACT, identity
from augft.augment.registry import REGISTRY
from augft.augment.request import AugmentRequest
from augft.core.config import load_config
from augft.core.config.settings import AugmentSettings

EVERY = tuple(REGISTRY)


def _identity(strategies):
    return lambda cfg: identity(AugmentRequest("", "", strategies), AugmentSettings.of(cfg))


def test_every_augment_key_is_classified_and_each_class_holds():
    # With every strategy in the run, each strategy's own keys count.
    check(CONTRACT, _identity(EVERY))


def test_placement_keys_keep_the_key_and_another_strategys_keys_too():
    cfg = load_config(None, ["model.name=tiny-random-llama"])
    moved = load_config(None, ["model.name=tiny-random-llama", "augment.num_actors=4", "augment.use_ray=false",
                               "model.device=cpu", "cluster.num_cpus=3", "augment.window_tokens=64"])
    assert _identity(("local",))(cfg) == _identity(("local",))(moved)
    assert _identity(("global",))(cfg) != _identity(("global",))(moved)
