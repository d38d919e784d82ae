"""The emulator's energy answers have the shape of real Tesla answers, key by key and type by type.

The real samples are in tests/fixtures/real/energy/ (README.md there names each source). For
every site kind and endpoint one sample is the reference ("primary") and a few more of the
same kind widen what is allowed. Over HTTP, the emulator's answer must:

- have every key the primary sample has, at every depth; a key some but not all of the
  sample's list entries carry (the `total_*` sums, a connector's `vin`) must appear in at
  least one of the emulator's entries;
- have no key that none of the kind's samples has;
- give every value a JSON type some sample gives it. Numbers: JSON has one number type and
  Tesla writes the same field as `0` in one answer and `419.1045` in another, so an integer
  is accepted wherever a sample has a number; a fraction only where some sample has a
  fraction (a `20.0` where every sample writes integers is a difference). `true`/`false`
  are never numbers, `null` is its own type.

Where no real sample exists (a battery without solar, wall connectors alone) the README says
so; those kinds are held to the closest samples, with the exemptions listed below.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
import json
from pathlib import Path
from typing import Any

import pytest

from .energy_kinds import SITES, START, SiteClient, emulator_at

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "energy"

pytestmark = pytest.mark.usefixtures("socket_enabled")


def json_type(value: Any) -> str:
    """The JSON type of a parsed value; integers and fractions told apart."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not JSON: {value!r}")


def type_allowed(found: str, allowed: set[str]) -> bool:
    """The number rule: an integer fits any number, a fraction only a fraction."""
    if found == "int":
        return bool(allowed & {"int", "float"})
    return found in allowed


@dataclass
class Shape:
    """What the samples show at one place in the JSON tree."""

    types: set[str] = field(default_factory=set)
    objects: int = 0
    key_counts: Counter[str] = field(default_factory=Counter)
    keys: dict[str, Shape] = field(default_factory=dict)
    items: Shape | None = None

    def add(self, value: Any) -> None:
        """Fold one sample value in."""
        self.types.add(json_type(value))
        if isinstance(value, dict):
            self.objects += 1
            for key, item in value.items():
                self.key_counts[key] += 1
                self.keys.setdefault(key, Shape()).add(item)
        elif isinstance(value, list):
            if self.items is None:
                self.items = Shape()
            for item in value:
                self.items.add(item)


def shape_of(*samples: Any) -> Shape:
    """The union shape of some samples."""
    shape = Shape()
    for sample in samples:
        shape.add(sample)
    return shape


def compare(
    values: list[Any], primary: Shape | None, allowed: Shape, path: str, exempt: frozenset[str]
) -> list[str]:
    """Differences between the emulator's values at `path` and the samples'."""
    problems = [
        f"{path or '.'}: {json_type(value)}, real samples have {sorted(allowed.types)}"
        for value in values
        if not type_allowed(json_type(value), allowed.types)
    ]
    objects = [value for value in values if isinstance(value, dict)]
    if objects:
        unknown = {key for obj in objects for key in obj} - set(allowed.keys)
        problems += [f"{path}.{key}: no real sample has this key" for key in sorted(unknown)]
        if primary is not None:
            for key in sorted(primary.keys):
                where = f"{path}.{key}"
                if where in exempt:
                    continue
                missing = sum(key not in obj for obj in objects)
                if primary.key_counts[key] == primary.objects and missing:
                    problems.append(f"{where}: missing in {missing} of {len(objects)}")
                elif missing == len(objects):
                    problems.append(f"{where}: never there (some real entries have it)")
        for key, inner in allowed.keys.items():
            children = [obj[key] for obj in objects if key in obj]
            if children:
                problems += compare(
                    children,
                    None if primary is None else primary.keys.get(key),
                    inner,
                    f"{path}.{key}",
                    exempt,
                )
    lists = [value for value in values if isinstance(value, list)]
    if lists:
        where = f"{path}[]"
        entries = [item for items in lists for item in items]
        if primary is not None and primary.items is not None and primary.items.types:
            if not entries and where not in exempt:
                problems.append(f"{where}: empty, the real sample has entries")
        if allowed.items is None or not allowed.items.types:
            if entries:
                problems.append(f"{where}: entries where the real samples have none")
        else:
            problems += compare(
                entries,
                None if primary is None or primary.items is None else primary.items,
                allowed.items,
                where,
                exempt,
            )
    return problems


# --- the samples ---------------------------------------------------------------------------


def response(name: str) -> Any:
    """A sample file's `response`."""
    return json.loads((REAL / name).read_text(encoding="utf-8"))["response"]


def energy_products(name: str) -> list[Any]:
    """The energy-site entries of a `/products` sample."""
    return [item for item in response(name) if "energy_site_id" in item]


def at(path: str, sample: Any) -> Any:
    """A value inside a sample, by a dotted path."""
    for part in path.split("."):
        sample = sample[part]
    return sample


SITE_INFO_BATTERY = ("ha_tesla_fleet_site_info.json", "timdorr_site_info_battery_solar.json")
SITE_INFO_SOLAR = ("timdorr_site_info_solar.json",)
LIVE_BATTERY = (
    "ha_teslemetry_live_status.json",
    "teslatte_live_status_plugged_in_2023-11-06.json",
    "teslatte_live_status_unplugged_2023-11-06.json",
    "teslajsonpy_issue342_live_status_2023-08-26.json",
    "hass_teslemetry_issue18_live_status_2024-02-11.json",
)
LIVE_SOLAR = ("timdorr_live_status_solar.json",)
HISTORY = (
    "ha_teslemetry_energy_history.json",
    "ha_tesla_fleet_energy_history.json",
    "ha_tesla_fleet_energy_history_overnight.json",
)
NO_SOLAR_TOTALS = frozenset(
    {".time_series[].total_solar_generation", ".time_series[].total_grid_energy_exported"}
)
NO_BATTERY_TOTALS = frozenset(
    {".time_series[].total_battery_charge", ".time_series[].total_battery_discharge"}
)


@dataclass(frozen=True)
class Case:
    """One kind x endpoint: the emulator's request and the samples to hold it to."""

    endpoint: str
    primary: Any
    others: tuple[Any, ...]
    exempt: frozenset[str] = frozenset()

    def check(self, answer: Any) -> list[str]:
        """Every difference between the answer and the samples."""
        allowed = shape_of(*([] if self.primary is None else [self.primary]), *self.others)
        primary = None if self.primary is None else shape_of(self.primary)
        return compare([answer], primary, allowed, "", self.exempt)


def _cases() -> dict[tuple[str, str], Case]:
    site_info = [response(name) for name in SITE_INFO_BATTERY]
    solar_info = [response(name) for name in SITE_INFO_SOLAR]
    live = [response(name) for name in LIVE_BATTERY]
    solar_live = [response(name) for name in LIVE_SOLAR]
    history = [response(name) for name in HISTORY]
    battery_products = [
        energy_products("ha_teslemetry_products.json")[0],
        energy_products("teslatte_products_2023-11-06.json")[0],
    ]
    solar_products = energy_products("alandtse_products_solar.json")
    every_product = [
        *energy_products("ha_teslemetry_products.json"),
        *battery_products[1:],
        *solar_products,
    ]
    day = "calendar_history?kind=energy&period=day"
    return {
        ("battery_solar", "site_info"): Case("site_info", site_info[0], tuple(site_info[1:])),
        ("battery_solar", "live_status"): Case("live_status", live[0], tuple(live[1:])),
        ("battery_solar", day): Case(day, history[0], tuple(history[1:])),
        ("battery_solar", "products"): Case(
            "products", battery_products[0], (battery_products[1],)
        ),
        # No Powerwall-without-solar sample exists: the Powerwall samples, without solar_type.
        ("battery", "site_info"): Case(
            "site_info",
            site_info[0],
            tuple(site_info[1:]),
            frozenset({".components.solar_type"}),
        ),
        ("battery", "live_status"): Case("live_status", live[0], tuple(live[1:])),
        ("battery", day): Case(day, history[0], tuple(history[1:]), NO_SOLAR_TOTALS),
        ("battery", "products"): Case(
            "products",
            battery_products[0],
            (battery_products[1],),
            frozenset({".components.solar_type"}),
        ),
        # The solar-only capture predates the Fleet API; its street address and coordinates
        # are not in the Fleet API's site_info (Teslemetry's schema), so they may be absent.
        ("solar", "site_info"): Case(
            "site_info", solar_info[0], (), frozenset({".geolocation", ".address"})
        ),
        ("solar", "live_status"): Case("live_status", solar_live[0], ()),
        ("solar", day): Case(day, history[0], tuple(history[1:]), NO_BATTERY_TOTALS),
        ("solar", "products"): Case("products", solar_products[0], ()),
        # No sample at all: no key or type that no real answer has.
        ("wall_connector", "site_info"): Case("site_info", None, (*site_info, *solar_info)),
        ("wall_connector", "live_status"): Case("live_status", None, (*live, *solar_live)),
        ("wall_connector", day): Case(day, None, tuple(history)),
        ("wall_connector", "products"): Case("products", None, tuple(every_product)),
    }


CASES = _cases()


async def answer(client: SiteClient, kind: str, endpoint: str) -> Any:
    """The emulator's answer for one site kind."""
    site_id = SITES[kind]
    if endpoint == "products":
        return await client.product(site_id)
    return await client.site(site_id, endpoint)


@pytest.mark.parametrize(
    ("kind", "endpoint"),
    [
        pytest.param(kind, endpoint, id=f"{kind}-{endpoint.split('?')[0]}")
        for kind, endpoint in CASES
    ],
)
async def test_emulator_answers_like_the_real_samples(kind: str, endpoint: str) -> None:
    async with emulator_at(START) as client:
        problems = CASES[kind, endpoint].check(await answer(client, kind, endpoint))
    assert problems == []


# Where the kind has no captured answer, its parts that do have one are held to it.
PART_CASES: dict[str, tuple[str, str, Callable[[], Any]]] = {
    "site_info connector": (
        "site_info",
        "components.wall_connectors",
        lambda: at("components.wall_connectors", response("ha_tesla_fleet_site_info.json")),
    ),
    "live_status connector": (
        "live_status",
        "wall_connectors",
        lambda: [wc for name in LIVE_BATTERY for wc in response(name)["wall_connectors"]],
    ),
}


@pytest.mark.parametrize("part", sorted(PART_CASES))
async def test_wall_connector_only_site_parts_match_real_connectors(part: str) -> None:
    endpoint, path, real = PART_CASES[part]
    async with emulator_at(START) as client:
        value = at(path, await client.site(SITES["wall_connector"], endpoint))
    samples = shape_of(real())
    problems = compare([value], samples, samples, "", frozenset())
    assert problems == []


def test_the_comparison_catches_what_it_should() -> None:
    """A missing key, an extra key, a fraction for an integer and a wrong type all count."""
    sample = {"a": 1, "b": "x", "c": [{"d": 2, "e": 3}, {"d": 4}]}
    case = Case("x", sample, ())
    assert case.check({"a": 5, "b": "y", "c": [{"d": 1, "e": 1}]}) == []
    assert case.check({"a": 5, "b": "y", "c": [{"d": 1}]}) == [
        ".c[].e: never there (some real entries have it)"
    ]
    assert case.check({"b": "y", "c": [{"d": 1, "e": 1}], "z": 1}) == [
        ".z: no real sample has this key",
        ".a: missing in 1 of 1",
    ]
    assert case.check({"a": 1.5, "b": None, "c": [{"d": 1, "e": 1}]}) == [
        ".a: float, real samples have ['int']",
        ".b: null, real samples have ['string']",
    ]
    assert case.check({"a": 1, "b": "y", "c": []}) == [".c[]: empty, the real sample has entries"]
