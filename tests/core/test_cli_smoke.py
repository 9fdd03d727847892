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


def test_bare_augft_prints_help_and_exits_2():
    r = augft_cli()
    assert r.returncode == 2
    assert "usage: augft" in r.stderr and "<command>" in r.stderr


def test_version():
    r = augft_cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("augft ")


def test_argument_error_has_one_prefix():
    r = augft_cli("run", "--bogus")
    assert r.returncode == 2
    assert r.stderr.strip().startswith("augft: error: unrecognized arguments: --bogus")
    assert r.stderr.count("augft: error") == 1 and "augft: error: augft" not in r.stderr


def test_help_per_command_says_what_data_holds_and_shows_an_example():
    from augft.cluster.cli_help import HELP

    for name, h in HELP.items():
        r = augft_cli(name, "--help")
        assert r.returncode == 0, name
        text = " ".join(r.stdout.split())
        assert "example:" in text and " ".join(h.example.split()[:3]) in text, name
        assert " ".join(h.out.split()) in text, name
        if h.data is None:
            assert "--data" not in text, name
        else:
            assert " ".join(h.data.split()) in text, name
    q = " ".join(augft_cli("questions", "--help").stdout.split())
    assert "default: the --data folder" in q


def test_benchmark_and_ingest_refuse_data():
    r = augft_cli("benchmark", "--data", "x")
    assert r.returncode == 2 and "unrecognized arguments: --data" in r.stderr


def test_config_explain_lists_every_choice_from_the_schema():
    from augft.core.config.augment import Strategy

    out = augft_cli("config", "--explain").stdout
    block = out.split("\naugment.strategies", 1)[1].split("\naugment.", 1)[0]
    assert "choices: " + ", ".join(s.value for s in Strategy) in block
    assert len(list(Strategy)) == 9  # local, global, entity, oracle, rephrase, qa, reverse, compose, oracle2
