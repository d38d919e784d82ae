"""What the benchmark runs (HA-free, so `python -m benchmarks` can import it before pytest's
plugins load Home Assistant) and where the pytest session leaves the results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .scenarios import DAY, BenchScenario

# A fixed June midnight in the cars' and sites' zone: reproducible, and a long sunny day.
START = datetime(2027, 6, 1, 0, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
DEFAULT_STEP_S = 30.0
SIDES = ("ours", "baseline")


@dataclass(frozen=True)
class Job:
    """What to run: a scenario, a sleep model, a side, how far (None: the scenario's days)."""

    scenario: BenchScenario
    sleep_model: str
    side: str
    step_s: float = DEFAULT_STEP_S
    seconds: float | None = None
    measure_memory: bool = True

    @property
    def duration_s(self) -> float:
        """Simulated seconds."""
        if self.seconds is not None:
            return self.seconds
        if self.scenario.duration_s is not None:
            return self.scenario.duration_s
        return self.scenario.days * DAY


JOBS: list[Job] = []
RESULTS: list[dict[str, Any]] = []
