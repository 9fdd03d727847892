"""Bad input to `augft compare`: one line, exit 2, no traceback, the tracking store unchanged.

To add a case: a test that calls `expect_refusal(args, message, store_folder)`.
"""
from helpers import expect_refusal, refused


def test_unknown_run_id(tmp_path):
    store = tmp_path / "mlflow"
    store.mkdir()
    uri = f"sqlite:///{store / 'mlflow.db'}"
    from mlflow.tracking import MlflowClient

    MlflowClient(tracking_uri=uri).create_experiment("augft")  # a store that answers, without that run
    line = refused(["compare", "--tracking-uri", uri, "--run-id", "0123456789abcdef"], store)
    assert "--run-id 0123456789abcdef: no MLflow run with this id" in line, line


def test_tracking_server_that_never_answers_fails_within_tracking_timeout(tmp_path):
    import socket
    import time

    from helpers import REPO

    out = tmp_path / "study"
    out.mkdir()
    with socket.socket() as s:  # accepts connections (the kernel's backlog) and never says a word
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        uri = f"http://127.0.0.1:{s.getsockname()[1]}"
        t0 = time.monotonic()
        expect_refusal(["run", "--config", REPO / "configs" / "tiny.yaml", "--out", out, f"tracking.uri={uri}",
                        "tracking.timeout_s=2"], f"MLflow tracking server {uri} is unreachable (ReadTimeout within 2 s",
                       out)
        assert time.monotonic() - t0 < 2 + 15
