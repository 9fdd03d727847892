"""Rank 0's metric rows to an MLflow run while training runs, not only when the stage ends.

The run and the store come in the worker plan (`WorkerPlan.mlflow_run_id`, `mlflow_uri`), so
workers on other nodes log to the driver's run. Each row is logged with step = the global
optimizer step. Tracking must never stop training: a failing store is reported once and then
left alone (the stage end logs the rows from metrics.jsonl instead).
"""
from __future__ import annotations

import logging
import math
import time
from typing import Iterable, Mapping

log = logging.getLogger(__name__)


class LiveMetrics:
    def __init__(self, uri: str, run_id: str):
        self.run_id, self.ok = run_id, True
        try:
            from mlflow.tracking import MlflowClient

            self.client = MlflowClient(tracking_uri=uri)
        except ImportError:
            log.warning("train: mlflow is not installed on this worker; metrics reach MLflow when the stage ends")
            self.ok = False

    def log(self, row: Mapping[str, object]) -> None:
        self._send([row])

    def replay(self, rows: Iterable[Mapping[str, object]]) -> None:
        """Rows an earlier attempt wrote before this one resumed, past what the run holds already."""
        rows = list(rows)
        if not rows or not self.ok:
            return
        try:
            logged = {int(m.step) for key in ("loss", "eval_loss")
                      for m in self.client.get_metric_history(self.run_id, key)}
        except Exception as exc:  # noqa: BLE001 - tracking must not stop training
            return self._fail(exc)
        self._send([r for r in rows if _step(r) not in logged])

    def _send(self, rows) -> None:
        if not self.ok:
            return
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        metrics = [Metric(k, float(v), now, int(r.get("step", 0))) for r in rows for k, v in r.items()
                   if k != "step" and isinstance(v, (int, float)) and math.isfinite(v)]
        if not metrics:
            return
        try:
            self.client.log_batch(self.run_id, metrics=metrics)
        except Exception as exc:  # noqa: BLE001 - tracking must not stop training
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        log.warning("train: cannot log metrics to MLflow run %s (%s); they are logged when the stage ends",
                    self.run_id, exc)
        self.ok = False


def _step(row: Mapping[str, object]) -> int:
    step = row.get("step", 0)
    return int(step) if isinstance(step, (int, float, str)) else 0
