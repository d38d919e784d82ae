"""Account-wide polling state: the rate-limit gate and the budget plan every coordinator follows.

Tesla rate-limits per account and bills per account, so one `AccountPolling` is shared by all
coordinators (and the command path) of a config entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import time

from .schedule.budget import MONTHLY_CREDIT_USD, Plan, PollingIntervals, plan


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


@dataclass
class AccountPolling:
    """What every coordinator of one account consults before asking Tesla for data."""

    spent_usd: Callable[[], float]
    intervals: PollingIntervals = field(default_factory=PollingIntervals)
    budget_usd: float = MONTHLY_CREDIT_USD
    vehicles: int = 0
    # The account's energy sites. Not part of the plan: their requests are not billed.
    sites: int = 0
    state_checks_billed: bool = False
    gate: RateLimitGate = field(default_factory=RateLimitGate)
    clock: Callable[[], float] = _now

    def plan(self) -> Plan:
        """The intervals that keep this month within the budget, as of now."""
        return plan(
            now=datetime.fromtimestamp(self.clock(), UTC),
            budget_usd=self.budget_usd,
            spent_usd=self.spent_usd(),
            vehicles=self.vehicles,
            intervals=self.intervals,
            state_checks_billed=self.state_checks_billed,
        )
