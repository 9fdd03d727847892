from helpers import augft_cli


def test_help_lists_every_command():
    r = augft_cli("--help")
    assert r.returncode == 0
    for cmd in ["benchmark", "augment", "train", "eval", "run", "sweep", "compare", "submit"]:
        assert cmd in r.stdout


def test_bad_override_names_key():
    r = augft_cli("config", "train.zero_stage=abc")
    assert r.returncode != 0
    assert "train.zero_stage" in r.stderr
