"""train/identity.py: the train stage's contract, checked over the schema, and the resume key
that starts from it."""
from identity_checks import check

from augft.core.config import load_config
from augft.core.config.settings import TrainSettings
from augft.train.identity import CONTRACT, identity, request_key
from augft.train.request import TrainRequest

DISTILLED = TrainRequest("d", "o", {"corpus": 1.0}, targets=("t",))
PLAIN = TrainRequest("d", "o", {"corpus": 1.0})


def _cfg(*overrides):
    return load_config(None, ["model.name=tiny-random-llama", *overrides])


def test_every_train_key_is_classified_and_each_class_holds():
    check(CONTRACT, lambda cfg: identity(DISTILLED, TrainSettings.of(cfg)))


def test_distill_alpha_keys_only_distilled_models():
    a, b = TrainSettings.of(_cfg()), TrainSettings.of(_cfg("train.distill.alpha=0.5"))
    assert identity(PLAIN, a) == identity(PLAIN, b) and identity(DISTILLED, a) != identity(DISTILLED, b)


def test_resume_key_moves_with_the_identity_only():
    base = request_key(PLAIN, TrainSettings.of(_cfg()))
    # Logging, checkpointing and placement: the same training continues.
    assert request_key(PLAIN, TrainSettings.of(_cfg("train.log_every=5", "train.peak_flops=1e12",
                                                    "train.checkpoint_every=3", "train.launcher=torchrun"))) == base
    assert request_key(PLAIN, TrainSettings.of(_cfg("train.lr=1e-3"))) != base
    # Where the inputs are is the resume key's, not the identity's.
    other = TrainRequest("elsewhere", "o", {"corpus": 1.0})
    assert identity(other, TrainSettings.of(_cfg())) == identity(PLAIN, TrainSettings.of(_cfg()))
    assert request_key(other, TrainSettings.of(_cfg())) != base
