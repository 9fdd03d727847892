"""Bad input to `augft compare`: one line, exit 2, no traceback, the tracking store unchanged.

To add a case: a test that calls `expect_refusal(args, message, store_folder)`.
"""
from helpers import expect_refusal


def test_unknown_run_id(tmp_path):
    store = tmp_path / "mlflow"
    store.mkdir()
    uri = f"sqlite:///{store / 'mlflow.db'}"
    from mlflow.tracking import MlflowClient

    MlflowClient(tracking_uri=uri).create_experiment("augft")  # a store that answers, without that run
    expect_refusal(["compare", "--tracking-uri", uri, "--run-id", "0123456789abcdef"],
                   "--run-id 0123456789abcdef: no MLflow run with this id", store)
