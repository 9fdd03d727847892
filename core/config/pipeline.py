"""Pipeline section (owned by cluster/ and tracking/): the end-to-end study and sweeps."""
from dataclasses import dataclass


@dataclass
class PipelineConfig:
    cache: bool = True
    """Skip stages whose config and inputs are unchanged since a finished run."""
