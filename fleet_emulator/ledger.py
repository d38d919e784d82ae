"""The request ledger: every Fleet API request, its billing category and what it costs.

Energy site requests (reads and settings) have a category of their own, `energy`, that Tesla
counts but does not bill: Home Assistant's tesla_fleet documentation (2025) says "Energy product
APIs are free to use at this time", and Teslemetry's pricing notes agree
(shared/docs/fleet-api.md, "Cost and limits").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

type Category = Literal["data", "command", "wake", "energy", "free"]

# Tesla's published rates: requests per US dollar; `energy` and `free` cost nothing.
REQUESTS_PER_DOLLAR: dict[str, int] = {"data": 500, "command": 1000, "wake": 50}
ENERGY_PATH_PREFIX = "/energy_sites/"


def billing_category(route: str, category: Category) -> Category:
    """The category Tesla bills a request to `route` (a route template such as
    `/energy_sites/{site_id}/live_status`) under: `energy` for energy sites, else `category`."""
    return "energy" if route.startswith(ENERGY_PATH_PREFIX) else category


@dataclass(frozen=True)
class LedgerEntry:
    """One request as Tesla would bill it."""

    time: float
    method: str
    path: str
    status: int
    category: Category
    # What the endpoint would cost if the "free" reading is wrong (state checks billed).
    category_if_billed: Category
    account_id: str | None
    region: str | None
    endpoint: str = ""

    @property
    def counted(self) -> bool:
        """Tesla counts every response under 500 (0: the connection was dropped, no response)."""
        return 0 < self.status < 500

    @property
    def billed(self) -> bool:
        """Counted, and of a category with a price (not energy, not a free state check)."""
        return self.counted and self.category in REQUESTS_PER_DOLLAR


@dataclass
class Ledger:
    """Append-only record of the Fleet API traffic (OAuth and admin calls are not billed)."""

    entries: list[LedgerEntry] = field(default_factory=list)

    def record(self, entry: LedgerEntry) -> None:
        """Add one request."""
        self.entries.append(entry)

    def clear(self) -> None:
        """Forget everything (tests measuring one phase)."""
        self.entries.clear()

    def counts(self, *, state_billed: bool = False) -> dict[str, int]:
        """Counted requests per category; `state_billed` bills the free endpoints as data."""
        counts = {"data": 0, "command": 0, "wake": 0, "energy": 0, "free": 0}
        for entry in self.entries:
            if entry.counted:
                counts[entry.category_if_billed if state_billed else entry.category] += 1
        return counts

    def cost(self, *, state_billed: bool = False) -> float:
        """US dollars under Tesla's rates, unrounded."""
        counts = self.counts(state_billed=state_billed)
        return sum(counts[kind] / per for kind, per in REQUESTS_PER_DOLLAR.items())

    def summary(self) -> dict[str, Any]:
        """Counts and cost under both readings of the free endpoints."""
        return {
            "counts": self.counts(),
            "cost_usd": round(self.cost(), 6),
            "counts_state_billed": self.counts(state_billed=True),
            "cost_usd_state_billed": round(self.cost(state_billed=True), 6),
            "rates_requests_per_usd": REQUESTS_PER_DOLLAR,
        }

    def as_json(self) -> list[dict[str, Any]]:
        """Entries as plain dicts for the admin API."""
        return [{**asdict(entry), "billed": entry.billed} for entry in self.entries]
