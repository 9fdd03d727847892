"""Report section (owned by the reports: eval's, the study's and `augft compare`): the query
volume the "Which to use" recommendation prices the conditions at."""
from dataclasses import dataclass, field
from typing import List

from augft.core.config.checks import require


@dataclass
class ReportConfig:
    queries_per_day: float = 1000.0
    """Queries the model answers per day, for the recommendation's total cost."""
    horizon_days: float = 365.0
    """Days the model serves: total cost = one-off + queries_per_day x horizon_days x per-query."""
    splits: List[str] = field(default_factory=list)
    """Splits the recommendation pools (accuracy over all their questions); empty: every split
    except retention."""

    def __post_init__(self):
        require(self.queries_per_day >= 0, "report.queries_per_day", "must be >= 0")
        require(self.horizon_days > 0, "report.horizon_days", "must be > 0")
