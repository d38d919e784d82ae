"""The account's rate-limit gate: after a 429, nothing is sent until Tesla's wait has passed.

Tesla rate-limits per account and counts requests sent sooner than `Retry-After` as faulty, so
the transport consults this gate before every request and closes it on every 429; no caller
needs to remember either.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
import time

# How long to wait after a 429 that named no wait (or an unreadable one).
DEFAULT_RETRY_AFTER = 60.0


def _now() -> float:
    # Looked up at each call, so a patched clock (freezegun in tests) is followed.
    return time.time()


class RateLimitGate:
    """After a 429, no request to Tesla for that account until `Retry-After` has passed."""

    def __init__(self, clock: Callable[[], float] = _now) -> None:
        """Start open."""
        self._clock = clock
        self._until = 0.0

    def block(self, retry_after: float) -> None:
        """Close the gate for `retry_after` seconds from now (never shortens a longer wait)."""
        self._until = max(self._until, self._clock() + max(retry_after, 0.0))

    def remaining(self) -> float:
        """Seconds until requests may be sent again; 0 when open."""
        return max(0.0, self._until - self._clock())

    @property
    def blocked_until(self) -> datetime | None:
        """When the gate opens, or None when it is open."""
        if self.remaining() <= 0:
            return None
        return datetime.fromtimestamp(self._until, UTC)
