"""Account-wide polling state: the budget plan every coordinator follows.

Tesla bills per account, so one `AccountPolling` is shared by all coordinators of a config
entry. It also holds the account's rate-limit gate, which the client's transport enforces for
every request (shown by diagnostics and the rate-limit sensor).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import time

from .api.rate_limit import RateLimitGate
from .schedule.budget import MONTHLY_CREDIT_USD, Plan, PollingIntervals, plan


def _now() -> float:
    # Looked up at each call, so a patched clock (freezegun in tests) is followed.
    return time.time()


def _no_stream() -> float:
    return 0.0


@dataclass
class AccountPolling:
    """What every coordinator of one account consults before asking Tesla for data."""

    # The month's spend so far: requests and streamed signals (`CostMeter.month_cost_usd`).
    spent_usd: Callable[[], float]
    intervals: PollingIntervals = field(default_factory=PollingIntervals)
    budget_usd: float = MONTHLY_CREDIT_USD
    vehicles: int = 0
    # The account's energy sites. Not part of the plan: their requests are not billed.
    sites: int = 0
    state_checks_billed: bool = False
    # The client's gate (`client.rate_limit`): the transport closes and enforces it.
    gate: RateLimitGate = field(default_factory=RateLimitGate)
    clock: Callable[[], float] = _now
    # What the account's streaming cars are expected to cost in a whole month (their fields'
    # plan); the plan keeps the rest of the month's share of it back from polling.
    streaming_month_usd: Callable[[], float] = _no_stream

    def plan(self) -> Plan:
        """The intervals that keep this month within the budget, as of now."""
        return plan(
            now=datetime.fromtimestamp(self.clock(), UTC),
            budget_usd=self.budget_usd,
            spent_usd=self.spent_usd(),
            vehicles=self.vehicles,
            intervals=self.intervals,
            state_checks_billed=self.state_checks_billed,
            streaming_month_usd=self.streaming_month_usd(),
        )
