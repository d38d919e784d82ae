"""Optional rate limits per account, device and category, on the virtual clock.

Off by default: the figures users report (data 60/min, commands 30/min, wakes 3/min) are not
on an official page. A scenario turns them on with `settings: {rate_limits: {...}}`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
import math

WINDOW_S = 60.0
REPORTED_LIMITS = {"data": 60, "command": 30, "wake": 3}


@dataclass(frozen=True)
class Verdict:
    """Whether one more request fits, and the headers Tesla sends either way."""

    allowed: bool
    limit: int
    remaining: int
    reset_s: int

    @property
    def headers(self) -> dict[str, str]:
        """`RateLimit-*` headers, plus `Retry-After` when refused."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_s)
        return headers


@dataclass
class RateLimiter:
    """Sliding one-minute windows keyed by (account, device, category)."""

    limits: dict[str, int]
    _seen: dict[tuple[str, str, str], deque[float]] = field(default_factory=dict)

    def check(self, account: str, device: str, category: str, now: float) -> Verdict | None:
        """Count a request; None when the category has no limit."""
        limit = self.limits.get(category)
        if limit is None:
            return None
        seen = self._seen.setdefault((account, device, category), deque())
        while seen and seen[0] <= now - WINDOW_S:
            seen.popleft()
        if len(seen) >= limit:
            reset = max(1, math.ceil(seen[0] + WINDOW_S - now))
            return Verdict(False, limit, 0, reset)
        seen.append(now)
        reset = math.ceil(seen[0] + WINDOW_S - now)
        return Verdict(True, limit, limit - len(seen), reset)
