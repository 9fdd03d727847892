"""Tracking section."""
from dataclasses import dataclass, field
from typing import Dict


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
