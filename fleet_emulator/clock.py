"""The emulator's virtual clock: real time plus an offset that tests move."""

from __future__ import annotations

import time


class Clock:
    """Epoch seconds that follow `time.time()` (so freezegun moves them) plus an offset."""

    def __init__(self) -> None:
        """Start in step with real time."""
        self.offset = 0.0

    def now(self) -> float:
        """The emulator's current time, epoch seconds."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward (never back: the simulation only runs forwards)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += seconds
        return self.now()

    def set(self, epoch: float) -> float:
        """Jump to an absolute time (forward only)."""
        return self.advance(max(0.0, epoch - self.now()))

    def __call__(self) -> float:
        """Let the clock be passed where a `() -> float` time source is expected."""
        return self.now()
