"""The job entrypoint: command checks, storage root, config paths, RAY_ADDRESS."""
import json
import shlex
from pathlib import Path

import pytest

from augft.cluster.jobs.entry import _submission_id, entrypoint, main, plan
from augft.core.errors import AugftError


def test_entrypoint_is_a_quoted_module_command():
    ep = entrypoint("train", ["--data", "my data", "train.mix={corpus: 1.0}"], python="py3")
    assert shlex.split(ep) == ["py3", "-m", "augft.cluster.jobs", "train", "--data", "my data",
                               "train.mix={corpus: 1.0}"]


@pytest.mark.parametrize("bad", ["submit", "config", "rm"])
def test_only_job_commands_are_accepted(bad):
    with pytest.raises(AugftError, match=bad):
        entrypoint(bad)
    with pytest.raises(AugftError, match=bad):
        plan([bad], env={})


def test_without_storage_nothing_moves(tmp_path):
    job = plan(["eval", "--data", "d", "--out", "o"], env={}, cwd=tmp_path)
    assert job.argv == ["eval", "--data", "d", "--out", "o"]
    assert job.cwd == tmp_path and job.env == {}


def test_storage_root_from_env_runs_the_job_there(tmp_path):
    store = tmp_path / "store"
    job = plan(["train", "--data=d", "--out", "o"], env={"AUGFT_STORAGE": str(store),
                                                        "PYTHONPATH": "lib"}, cwd=tmp_path)
    assert job.cwd == store
    assert job.argv == ["train", "--data=d", "--out", "o"]
    # The uploaded working dir stays importable for processes the stage starts.
    assert job.env["PYTHONPATH"].split(":") == [str(tmp_path), "lib"]


def test_config_file_stays_relative_to_the_working_dir(tmp_path):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "c.yaml").write_text("cluster:\n  storage: shared\n")
    job = plan(["augment", "--config", "configs/c.yaml", "--data", "d"], env={}, cwd=tmp_path)
    # The storage root comes from the config file and is relative to the working dir.
    assert job.cwd == tmp_path / "shared"
    assert job.argv[1:3] == ["--config", str(tmp_path / "configs" / "c.yaml")]


def test_override_beats_env_for_storage(tmp_path):
    job = plan(["eval", "--data", "d", f"cluster.storage={tmp_path / 'a'}"],
               env={"AUGFT_STORAGE": str(tmp_path / "b")}, cwd=tmp_path)
    assert job.cwd == tmp_path / "a"


def test_ray_address_is_passed_to_stages_unless_configured(tmp_path):
    job = plan(["train", "--data", "d"], env={"RAY_ADDRESS": "10.0.0.1:6379"}, cwd=tmp_path)
    assert job.argv[-1] == "cluster.address=10.0.0.1:6379"
    job = plan(["train", "--data", "d", "cluster.address=auto"],
               env={"RAY_ADDRESS": "10.0.0.1:6379"}, cwd=tmp_path)
    assert [a for a in job.argv if a.startswith("cluster.address")] == ["cluster.address=auto"]


def test_tools_pass_through_untouched(tmp_path):
    job = plan(["compare", "--experiment", "x"], env={"AUGFT_STORAGE": "/s"}, cwd=tmp_path)
    assert job.argv == ["compare", "--experiment", "x"] and job.cwd == tmp_path


def test_submission_id_is_read_from_the_job_config():
    env = {"RAY_JOB_CONFIG_JSON_ENV_VAR": json.dumps({"metadata": {"job_submission_id": "abc"}})}
    assert _submission_id(env) == "abc"
    assert _submission_id({}) == "-"


def test_main_reports_bad_commands_with_exit_2(capsys):
    assert main(["nonsense"]) == 2
    assert "nonsense" in capsys.readouterr().err


def test_main_runs_the_cli_in_the_storage_root(tmp_path, monkeypatch, capsys):
    # `--data` that does not exist under the storage root: the CLI's own error, exit 2,
    # and the message shows the job ran inside the root.
    monkeypatch.setenv("AUGFT_STORAGE", str(tmp_path / "root"))
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "--data", "missing", "--out", "o"]) == 2
    captured = capsys.readouterr()
    assert "augft job -: augft eval --data missing --out o" in captured.out
    assert Path.cwd() == tmp_path / "root"
