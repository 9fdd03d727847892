"""Tracking section."""
from dataclasses import dataclass, field
from typing import Dict

from augft.core.config.checks import require


@dataclass
class TrackingConfig:
    enabled: bool = True
    """Log to MLflow at all."""
    uri: str = ""
    """MLflow tracking URI; empty means $MLFLOW_TRACKING_URI, else a sqlite store
    `mlflow.db` in the working directory."""
    experiment: str = "augft"
    """MLflow experiment name."""
    offline: bool = False
    """Log to a local sqlite store even when a remote URI is set (explicit offline mode)."""
    run_name: str = ""
    """Name of the parent run; empty picks one from the command and time."""
    tags: Dict[str, str] = field(default_factory=dict)
    """Extra tags set on every run (key: value)."""
    timeout_s: float = 30.0
    """Seconds an MLflow server at tracking.uri gets to answer: the check before any work, and
    each later request (MLflow's own default is 120 s with 7 retries; $MLFLOW_HTTP_REQUEST_TIMEOUT,
    when set, wins for the later requests)."""

    def __post_init__(self):
        require(self.timeout_s > 0, "tracking.timeout_s", f"must be > 0 seconds, got {self.timeout_s}")
