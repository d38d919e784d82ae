"""Request accounting: what every Fleet API request was, for counting and cost estimates.

Tesla bills by category (data, command, wake) at the prices in `REQUESTS_PER_USD`; energy
requests are their own category, counted but not billed; streamed telemetry is billed per
signal (`PRICE_PER_SIGNAL`). Whether the vehicle list and the single-vehicle state are billed is
unverified, so the classification lives in ONE table that callers may replace, and
`category_if_billed` says what a "free" request would cost if it is not. The budget planner, the
cost meter, the streaming set-up (`telemetry_fields`) and the benchmark all read this module;
nothing else lists categories or prices.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
import re
from typing import Final, Literal

type Category = Literal["data", "command", "wake", "energy", "free"]

# Tesla's published prices (developer.tesla.com): requests per US dollar. A category missing
# here is not billed.
REQUESTS_PER_USD: Final[Mapping[Category, int]] = {"data": 500, "command": 1000, "wake": 50}
# What the cost meter counts and shows: the billed categories, and energy requests, which Tesla
# does not bill (shared/docs/fleet-api.md, "Cost and limits": "Energy product APIs are free to
# use at this time", per Home Assistant's tesla_fleet documentation and Teslemetry's pricing
# notes) but which tell the user what the energy sites' polling amounts to.
COUNTED_CATEGORIES: Final[tuple[Category, ...]] = ("data", "command", "wake", "energy")
# Fleet Telemetry: $1 per 150,000 signals (a field value the car streams), billed whichever way
# the state endpoints are read (shared/docs/fleet-telemetry.md).
SIGNALS_PER_USD: Final = 150_000
PRICE_PER_SIGNAL: Final = 1.0 / SIGNALS_PER_USD


def is_billed(category: str) -> bool:
    """Whether Tesla charges for a request of `category`."""
    return category in REQUESTS_PER_USD


def request_cost_usd(counts: Mapping[str, int]) -> float:
    """US dollars for request counts by category (categories without a price cost nothing)."""
    return sum(counts.get(kind, 0) / per for kind, per in REQUESTS_PER_USD.items())


def signal_cost_usd(signals: float) -> float:
    """US dollars for streamed signals."""
    return signals / SIGNALS_PER_USD


@dataclass(frozen=True, slots=True)
class CategoryRule:
    """Requests whose method matches and whose path matches `pattern` fall in `category`."""

    method: str  # "*" for any method
    pattern: str  # regular expression matched against the whole path
    category: Category
    # What the request costs under the reading where "free" endpoints are billed as data.
    category_if_billed: Category | None = None

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule covers the request."""
        return (self.method in ("*", method)) and re.fullmatch(self.pattern, path) is not None


_VEHICLE = r"/api/1/vehicles/[^/]+"
# First match wins; anything unmatched is data: Tesla bills every answer below 500, so the
# region look-up, products and partner calls count as data too.
DEFAULT_CATEGORY_RULES: tuple[CategoryRule, ...] = (
    CategoryRule("POST", rf"{_VEHICLE}/wake_up", "wake"),
    CategoryRule("POST", rf"{_VEHICLE}/command/.+", "command"),
    CategoryRule("POST", rf"{_VEHICLE}/signed_command", "command"),
    # Energy sites, reads and settings alike: not billed (fleet-api.md, "Cost and limits").
    # Whoever sees them billed replaces this rule (e.g. "data" for reads, "command" for
    # settings); the cost meter then counts them and the budget pays for them from what it spent.
    CategoryRule("*", r"/api/1/energy_sites/.+", "energy"),
    # Home Assistant's built-in integration treats these two as free; Tesla's page is unclear.
    CategoryRule("GET", r"/api/1/vehicles", "free", "data"),
    CategoryRule("GET", _VEHICLE, "free", "data"),
    CategoryRule("GET", r"/status", "free"),
)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One HTTP request the client made (each retry is its own record)."""

    category: Category
    method: str
    path: str
    # None when no answer came (connection failure, timeout).
    status: int | None
    duration: float
    category_if_billed: Category

    @property
    def counted(self) -> bool:
        """Tesla counts every answered request with a status below 500, errors included."""
        return self.status is not None and self.status < 500

    @property
    def billed(self) -> bool:
        """Counted, and of a category Tesla charges for (not energy, not a free state check)."""
        return self.counted and is_billed(self.category)


type RequestCallback = Callable[[RequestRecord], None]


class RequestClassifier:
    """Maps a request to its billing category with a rule table."""

    def __init__(self, rules: Sequence[CategoryRule] = DEFAULT_CATEGORY_RULES) -> None:
        """Use `rules` in order; the first match wins."""
        self._rules = tuple(rules)

    def classify(self, method: str, path: str) -> tuple[Category, Category]:
        """(category, category if "free" endpoints turn out to be billed)."""
        method = method.upper()
        for rule in self._rules:
            if rule.matches(method, path):
                return rule.category, rule.category_if_billed or rule.category
        return "data", "data"
