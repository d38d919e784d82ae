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
SIDES = ("ours", "baseline", "streaming")


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


@dataclass(frozen=True)
class FloodJob:
    """A flood of stream messages for an entry of `cars` streaming cars, on the wall clock."""

    cars: int = 50
    per_minute: int = 10_000
    minutes: float = 3.0
    # Quiet time before the flood, measured as the reference.
    idle_s: float = 30.0
    # After set-up, before anything is measured: the first polls of every car finish.
    settle_s: float = 15.0

    @property
    def name(self) -> str:
        """As the report names it."""
        return f"flood {self.per_minute:,}/min, {self.cars} cars"


FLOODS: list[FloodJob] = []
