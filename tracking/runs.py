"""A thin MLflow client wrapper: one parent run per command, nested runs under it.

Uses `MlflowClient` with explicit run ids rather than MLflow's global "active run",
so stages, threads and Ray Tune trials can log to their own runs side by side.
When tracking is disabled every method is a no-op, so callers never branch.
"""
from __future__ import annotations

import json
import logging
import math
import re
import time
from pathlib import Path
from contextlib import contextmanager
from typing import Iterable, Iterator, Mapping, Optional, Union

from augft.tracking.digests import tree_digest
from augft.tracking.uri import TrackingError, preflight

log = logging.getLogger(__name__)

PARENT_TAG = "mlflow.parentRunId"
KIND_TAG = "augft.kind"  # study | stage | condition | sweep | trial
_BAD = re.compile(r"[^\w.\- /:]")
_MAX_PARAM = 6000


def metric_key(name: str) -> str:
    """MLflow allows only [A-Za-z0-9_.- /:] in metric and param names."""
    return _BAD.sub("_", name)


def _numeric(v) -> Optional[float]:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)) and math.isfinite(v):
        return float(v)
    return None


class RunHandle:
    """One MLflow run. All methods are no-ops when `run_id` is None (tracking disabled)."""

    def __init__(self, tracker: "Tracker", run_id: Optional[str]):
        self.tracker = tracker
        self.run_id = run_id

    @property
    def active(self) -> bool:
        return self.run_id is not None

    @property
    def client(self):
        return self.tracker.client

    def log_params(self, params: Mapping[str, object], prefix: str = "") -> None:
        if not self.active or not params:
            return
        from mlflow.entities import Param

        items = [Param(metric_key(f"{prefix}{k}"), str(v)[:_MAX_PARAM]) for k, v in params.items()]
        self.client.log_batch(self.run_id, params=items)

    def log_metrics(self, metrics: Mapping[str, object], step: int = 0,
                    timestamp_ms: Optional[int] = None) -> int:
        """Log the finite numeric values; returns how many were logged."""
        if not self.active:
            return 0
        from mlflow.entities import Metric

        ts = timestamp_ms or int(time.time() * 1000)
        items = [Metric(metric_key(k), f, ts, int(step)) for k, v in metrics.items()
                 if (f := _numeric(v)) is not None]
        if items:
            self.client.log_batch(self.run_id, metrics=items)
        return len(items)

    def log_metric_rows(self, rows: Iterable[Mapping[str, object]], prefix: str = "") -> int:
        """Per-step rows ({"step": n, "loss": ...}) as metric histories; one batch per 1000 values."""
        if not self.active:
            return 0
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        batch, n = [], 0
        for i, row in enumerate(rows):
            given, t = _numeric(row.get("step")), _numeric(row.get("time"))
            step = int(given) if given is not None else i
            ts = int(t * 1000) if t else now
            for k, v in row.items():
                if k in ("step", "time"):
                    continue
                f = _numeric(v)
                if f is not None:
                    batch.append(Metric(metric_key(prefix + k), f, ts, step))
            if len(batch) >= 1000:
                self.client.log_batch(self.run_id, metrics=batch)
                n += len(batch)
                batch = []
        if batch:
            self.client.log_batch(self.run_id, metrics=batch)
            n += len(batch)
        return n

    def set_tags(self, tags: Mapping[str, object]) -> None:
        if not self.active or not tags:
            return
        from mlflow.entities import RunTag

        self.client.log_batch(self.run_id, tags=[RunTag(k, str(v)[:5000]) for k, v in tags.items()])

    def log_artifact(self, path: Union[str, Path], artifact_path: Optional[str] = None) -> None:
        if not self.active:
            return
        p = Path(path)
        if p.is_dir():
            self.client.log_artifacts(self.run_id, str(p), artifact_path)
        elif p.is_file():
            self.client.log_artifact(self.run_id, str(p), artifact_path)

    def log_text(self, text: str, artifact_file: str) -> None:
        if self.active:
            self.client.log_text(self.run_id, text, artifact_file)

    def log_dict(self, obj, artifact_file: str) -> None:
        if self.active:
            self.client.log_dict(self.run_id, obj, artifact_file)

    def log_dataset(self, path: Union[str, Path], name: str, context: str,
                    digest: Optional[str] = None, profile: Optional[dict] = None) -> Optional[str]:
        """Record a file or folder as an MLflow dataset input with a content digest.

        Only metadata is logged (name, digest, where it lies, a small profile), so
        corpora of any size cost the same. Returns the digest.
        """
        if not self.active:
            return None
        from mlflow.entities import Dataset, DatasetInput, InputTag

        p = Path(path)
        digest = (digest or tree_digest(p))[:32]  # MLflow stores at most 36 characters
        entity = Dataset(name=name[:500], digest=digest, source_type="local",
                         source=json.dumps({"uri": p.resolve().as_uri()}),
                         profile=json.dumps(profile or {}))
        self.client.log_inputs(self.run_id, [DatasetInput(entity, [InputTag("mlflow.data.context", context)])])
        return digest

    def end(self, status: str = "FINISHED") -> None:
        if self.active:
            self.client.set_terminated(self.run_id, status)

    @contextmanager
    def as_env(self) -> Iterator[None]:
        """MLflow's own $MLFLOW_RUN_ID and $MLFLOW_TRACKING_URI name this run while the block runs,
        so a stage that logs as it goes (training's metric rows) finds it without importing
        tracking. Nothing is set when tracking is off."""
        if not self.active:
            yield
            return
        import os

        new = {"MLFLOW_RUN_ID": str(self.run_id), "MLFLOW_TRACKING_URI": str(self.tracker.uri)}
        old = {k: os.environ.get(k) for k in new}
        os.environ.update(new)
        try:
            yield
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def __enter__(self) -> "RunHandle":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.end("FAILED" if exc_type else "FINISHED")


class Tracker:
    """Creates runs in one experiment of one tracking store."""

    def __init__(self, uri: Optional[str], experiment: str = "augft",
                 tags: Optional[Mapping[str, str]] = None):
        self.uri = uri
        self.experiment = experiment
        self.tags = dict(tags or {})
        self._client = None
        self._experiment_id: Optional[str] = None

    @classmethod
    def from_config(cls, tcfg) -> "Tracker":
        """Resolve and check the store (raises TrackingError before any work if unreachable)."""
        uri = preflight(tcfg)
        return cls(uri, tcfg.experiment, dict(tcfg.tags or {}))

    @classmethod
    def disabled(cls) -> "Tracker":
        return cls(None)

    @property
    def enabled(self) -> bool:
        return self.uri is not None

    @property
    def client(self):
        if self._client is None:
            import os

            # MLflow prints a URL per finished run; the study prints its own parent-run link.
            os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
            from mlflow.tracking import MlflowClient

            self._client = MlflowClient(tracking_uri=self.uri)
        return self._client

    @property
    def experiment_id(self) -> str:
        if self._experiment_id is None:
            self._experiment_id = ensure_experiment(self.client, self.experiment, self.uri)
        return self._experiment_id

    def start_run(self, name: str, parent: Union[RunHandle, str, None] = None,
                  tags: Optional[Mapping[str, object]] = None, kind: str = "stage") -> RunHandle:
        if not self.enabled:
            return RunHandle(self, None)
        all_tags = {**self.tags, KIND_TAG: kind, **{k: str(v) for k, v in (tags or {}).items()}}
        parent_id = parent.run_id if isinstance(parent, RunHandle) else parent
        if parent_id:
            all_tags[PARENT_TAG] = parent_id
        try:
            run = self.client.create_run(self.experiment_id, run_name=name, tags=all_tags)
        except Exception as exc:
            raise TrackingError(f"cannot create an MLflow run at {self.uri}: {exc}") from None
        return RunHandle(self, run.info.run_id)

    def run(self, run_id: str) -> RunHandle:
        """A handle on an existing run (e.g. a parent run id passed to a Ray worker)."""
        return RunHandle(self, run_id if self.enabled else None)


def ensure_experiment(client, name: str, uri: Optional[str] = None) -> str:
    """Experiment id by name, created if missing (safe when several processes race)."""
    exp = client.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    location = None
    if uri and uri.startswith("sqlite:///"):
        # Keep a local store's artifacts beside its database, not in whatever cwd is.
        db = Path(uri[len("sqlite:///"):])
        location = (db.parent / "mlruns" / name).resolve().as_uri()
    try:
        return client.create_experiment(name, artifact_location=location)
    except Exception:
        exp = client.get_experiment_by_name(name)
        if exp is None:
            raise
        return exp.experiment_id
