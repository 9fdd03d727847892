"""augment/targets/identity.py: the teacher-target stage's contract, checked over the schema."""
from identity_checks import check

from augft.augment.targets.identity import CONTRACT, fingerprint, identity
from augft.augment.targets.request import TargetsRequest
from augft.core.config import load_config
from augft.core.config.settings import TargetsSettings

REQ = TargetsRequest("d", "o", ("corpus",))


def test_every_targets_key_is_classified_and_each_class_holds():
    check(CONTRACT, lambda cfg: identity(REQ, TargetsSettings.of(cfg)))


def test_unit_size_guards_resume_but_keys_no_stage():
    a = TargetsSettings.of(load_config(None, []))
    b = TargetsSettings.of(load_config(None, ["train.distill.unit_size=7"]))
    assert identity(REQ, a) == identity(REQ, b) and fingerprint(REQ, a) != fingerprint(REQ, b)
