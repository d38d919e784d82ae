"""The request ledger: every Fleet API request, its billing category and what it costs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

type Category = Literal["data", "command", "wake", "free"]

# Tesla's published rates: requests per US dollar.
REQUESTS_PER_DOLLAR: dict[str, int] = {"data": 500, "command": 1000, "wake": 50}


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
    def billed(self) -> bool:
        """Tesla bills every response under 500 (0: the connection was dropped, no response)."""
        return 0 < self.status < 500


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
        """Billed requests per category; `state_billed` bills the free endpoints as data."""
        counts = {"data": 0, "command": 0, "wake": 0, "free": 0}
        for entry in self.entries:
            if entry.billed:
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
