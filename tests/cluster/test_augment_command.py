"""`augft augment` says so when an augmentation kept nothing (the tiny random model's
statements are all filtered), instead of exiting 0 in silence."""
from helpers import REPO, augft_cli


def test_augment_that_kept_nothing_warns(tmp_path):
    data = tmp_path / "people"
    assert augft_cli("benchmark", "--config", "configs/tiny.yaml", "--out", data, cwd=REPO).returncode == 0
    r = augft_cli("augment", "--config", "configs/tiny.yaml", "--data", data, "--out", tmp_path / "aug",
                  cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    # quiet logs (not a TTY here): no escape codes, no nested weight-loading bar, no FutureWarning
    assert "\x1b[" not in r.stderr and "Loading weights" not in r.stderr and "FutureWarning" not in r.stderr
    assert "WARNING: augmentation 'local' kept nothing of 12 statements written (filtered: unrelated 12" \
        in r.stdout, r.stdout[-2000:]
    again = augft_cli("augment", "--config", "configs/tiny.yaml", "--data", data, "--out", tmp_path / "aug",
                      cwd=REPO, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "augment: resumed: 1 unit(s) (12 prompts) were already done by an earlier run" in again.stdout


def test_augment_from_an_output_runs_a_chain_over_its_records(tmp_path):
    from augft.core.artifacts import AugmentOutput

    data = tmp_path / "people"
    assert augft_cli("benchmark", "--config", "configs/tiny.yaml", "--out", data, cwd=REPO).returncode == 0
    common = ("--config", "configs/tiny.yaml", "--data", data)
    r = augft_cli("augment", *common, "--out", tmp_path / "oracle", "augment.strategies=[oracle]", cwd=REPO)
    assert r.returncode == 0, r.stderr[-2000:]
    r = augft_cli("augment", *common, "--out", tmp_path / "chain", "--from", tmp_path / "oracle",
                  "augment.strategies=[reverse]", cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    out = AugmentOutput(tmp_path / "chain")
    assert list(out.manifest().strategies) == ["reverse<oracle"]
    recs = out.records(["reverse<oracle"])
    assert recs and all(x.meta["chain"] == ["oracle", "reverse"] for x in recs)
    assert "reverse<oracle" in out.quality().strategies  # the checker's verdicts, under the chain's name
    bad = augft_cli("augment", *common, "--out", tmp_path / "bad", "--from", tmp_path / "oracle",
                    "augment.strategies=[global]", cwd=REPO)
    assert bad.returncode != 0 and "runs 'global' over another strategy's records" in bad.stderr


def test_augment_alone_stops_at_the_token_budget_and_a_larger_one_continues(tmp_path):
    import json

    from augft.core.artifacts import AugmentOutput

    data = tmp_path / "data"
    data.mkdir()
    with open(data / "corpus.jsonl", "w") as f:
        for i in range(8):
            f.write(json.dumps({"id": f"d{i}", "text": f"Person {i} is the mayor of town {i}."}) + "\n")
    args = ("--data", data, "--out", tmp_path / "aug", "model.name=tiny-random-llama", "augment.strategies=[local]",
            "augment.unit_size=2", "augment.max_new_tokens=8", "augment.num_candidates=1", "augment.use_ray=false")
    out = AugmentOutput(tmp_path / "aug")
    r = augft_cli("augment", *args, "pipeline.budget.tokens=1", cwd=REPO, timeout=300)
    assert r.returncode == 2 and "config key 'pipeline.budget.tokens': augment stopped at the cap" in r.stderr, \
        r.stderr[-2000:]
    assert not out.finished() and len(list((tmp_path / "aug" / "local").glob("part-*.stats.json"))) == 1
    r = augft_cli("augment", *args, "pipeline.budget.tokens=100000", cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "augment: resumed: 1 unit(s)" in r.stdout and out.finished()
    assert len(list((tmp_path / "aug" / "local").glob("part-*.stats.json"))) == 4
