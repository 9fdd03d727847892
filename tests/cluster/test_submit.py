"""`augft submit` without a cluster: arguments, env forwarding, runtime env, errors."""
import pytest

from augft.cluster import submit as S
from augft.core.errors import AugftError
from helpers import REPO, free_port


def test_address_resolution():
    assert S.resolve_address("10.1.2.3:8265", env={}) == "http://10.1.2.3:8265"
    assert S.resolve_address(None, env={"RAY_ADDRESS": "https://ray:443"}) == "https://ray:443"
    assert S.resolve_address(None, env={"RAY_API_SERVER_ADDRESS": "a:1", "RAY_ADDRESS": "b:2"}) == "http://a:1"
    assert S.resolve_address(None, env={}) == S.DEFAULT_ADDRESS


def test_env_forwarding():
    local = {"MLFLOW_TRACKING_URI": "http://mlflow:5000", "HOME": "/root", "MY_VAR": "x"}
    env = S.job_env(["MY_VAR", "OTHER=1=2"], env=local)
    assert env == {"MLFLOW_TRACKING_URI": "http://mlflow:5000", "MY_VAR": "x", "OTHER": "1=2"}
    with pytest.raises(AugftError, match="NOT_SET"):
        S.job_env(["NOT_SET"], env={})
    with pytest.raises(AugftError, match="KEY=VALUE"):
        S.job_env(["=x"], env={})


def test_runtime_env_uploads_the_working_dir_without_venv_and_outputs(tmp_path):
    renv = S.runtime_env(tmp_path, {"A": "1"})
    assert renv["working_dir"] == str(tmp_path) and renv["env_vars"] == {"A": "1"}
    assert ".venv/" in renv["excludes"] and "out/" in renv["excludes"]
    assert "working_dir" not in S.runtime_env(None, {})


def test_job_config_reads_config_relative_to_working_dir(tmp_path):
    (tmp_path / "c.yaml").write_text("cluster:\n  entrypoint_num_gpus: 1\n")
    cfg = S.job_config("train", ["--config", "c.yaml", "cluster.entrypoint_num_cpus=2"], tmp_path)
    assert (cfg.cluster.entrypoint_num_gpus, cfg.cluster.entrypoint_num_cpus) == (1.0, 2.0)


def test_bad_override_fails_before_contacting_a_cluster(cli):
    # Nothing listens on this port: the config error must come first.
    res = cli("submit", "--address", f"http://127.0.0.1:{free_port()}", "--working-dir", REPO,
              "train", "--data", "d", "train.bogus=1", cwd=REPO)
    assert res.returncode == 2 and "train.bogus" in res.stderr


def test_unreachable_cluster_is_a_clear_error(cli):
    res = cli("submit", "--address", f"http://127.0.0.1:{free_port()}", "--working-dir", REPO,
              "eval", "--data", "d", cwd=REPO, env={"RAY_AUTH_MODE": "disabled"})
    assert res.returncode == 2
    assert "cannot reach the Ray dashboard" in res.stderr


def test_unknown_command_is_rejected(cli):
    res = cli("submit", "config", cwd=REPO)
    assert res.returncode == 2 and "invalid choice" in res.stderr
