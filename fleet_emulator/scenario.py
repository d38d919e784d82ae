"""Scenarios: who exists (clients, accounts, vehicles, energy sites) and what happens when.

A scenario is a YAML or JSON document; every field has a default, so `{}` is a valid scenario
and `default_scenario()` is the one the contract in docs/architecture.md describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
import json
from pathlib import Path
from typing import Any, Literal
import uuid
from zoneinfo import ZoneInfo

import yaml  # type: ignore[import-untyped]

from .ratelimit import REPORTED_LIMITS
from .vehicle_profiles import PROFILES

type Region = Literal["na", "eu", "cn"]
REGIONS: tuple[Region, ...] = ("na", "eu", "cn")
SLEEP_MODELS = ("strict", "modern")
SIGNING_MODES = ("off", "allowed", "required")
VEHICLE_MODELS = tuple(PROFILES)
EVENT_KINDS = (
    "drive",
    "plug_in",
    "unplug",
    "user_present",
    "user_leaves",
    "go_offline",
    "come_online",
    "grid_outage",
    "grid_restored",
)
# Endpoints billed as nothing by default (Home Assistant's built-in integration treats the
# vehicle list and the single-vehicle state as free; Tesla's billing page is unclear).
DEFAULT_FREE_ENDPOINTS = frozenset({"vehicles", "vehicle"})


class ScenarioError(ValueError):
    """The scenario document is not valid."""


@dataclass(frozen=True)
class ClientSpec:
    """A registered developer app."""

    client_id: str
    client_secret: str | None = None
    # Accepted redirect URIs; an entry starting with "*" matches any URI ending in the rest.
    redirect_uris: tuple[str, ...] = (
        "*/auth/external/callback",
        "https://my.home-assistant.io/redirect/oauth",
    )
    name: str = "Emulated app"

    def allows_redirect(self, uri: str) -> bool:
        """Whether this app registered `uri`."""
        for allowed in self.redirect_uris:
            if allowed.startswith("*") and uri.endswith(allowed[1:]) and "://" in uri:
                return True
            if uri == allowed:
                return True
        return False


@dataclass(frozen=True)
class AccountSpec:
    """A Tesla account and what it owns."""

    account_id: str
    region: Region = "na"
    email: str = "owner@example.com"
    full_name: str = "Emulated Owner"
    vehicles: tuple[str, ...] = ()
    sites: tuple[int, ...] = ()
    # Cars of `vehicles` this account was added to as a driver (Tesla's `access_type: DRIVER`);
    # the rest it owns. A driver cannot pair a key: only the owner can.
    driver_of: tuple[str, ...] = ()

    def access_type(self, vin: str) -> str:
        """What Tesla's answers say of this account's access to the car."""
        return "DRIVER" if vin in self.driver_of else "OWNER"

    @property
    def sub(self) -> str:
        """The stable user id Tesla puts in the token's `sub`."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"fleet-emulator:{self.account_id}"))


@dataclass(frozen=True)
class VehicleSpec:
    """A simulated car's identity and model parameters."""

    vin: str
    id: int
    vehicle_id: int
    display_name: str
    # Which real car's answers to copy (fleet_emulator/vehicle_profiles.py): model3, modely,
    # models_2015 (Model S before sentry mode), modelx_2022.
    model: str = "model3"
    command_signing: str = "off"
    sleep_model: str = "strict"
    idle_sleep_s: float = 900.0
    wake_delay_s: float = 15.0
    connectivity: bool = True
    asleep_at_start: bool = False
    # Firmware 2024.20+ sometimes reports a sleeping car as offline.
    asleep_reads_offline: bool = False
    battery_kwh: float = 75.0
    range_miles_full: float = 310.0
    battery_level: float = 62.0
    charge_limit_soc: int = 80
    plugged_in: bool = False
    latitude: float = 37.4925
    longitude: float = -121.9447
    odometer: float = 12345.6
    # Seconds Tesla reports "Starting" after a charge session begins, before current flows.
    charge_start_delay_s: float = 10.0
    inside_temp: float = 21.0
    outside_temp: float = 15.0
    car_version: str = "2025.20.6 1a2b3c4d5e"
    # Where the car's clock lives (scheduled charging starts at local time).
    time_zone: str = "America/Los_Angeles"


@dataclass(frozen=True)
class WallConnectorSpec:
    """A wall connector on an energy site, feeding one of the account's cars."""

    din: str
    serial_number: str
    vin: str | None = None


@dataclass(frozen=True)
class SiteSpec:
    """A simulated energy site."""

    energy_site_id: int
    id: str
    site_name: str = "Home"
    battery_count: int = 2
    battery_kwh_each: float = 13.5
    battery_max_kw_each: float = 5.0
    percentage_charged: float = 70.0
    backup_reserve_percent: int = 20
    solar_peak_w: float = 7000.0
    base_load_w: float = 600.0
    time_zone: str = "America/Los_Angeles"
    installation_date: str = "2023-05-01T10:00:00-07:00"
    # The site's kind follows from what it has: battery and solar, battery only, solar only,
    # or (neither) a site of wall connectors alone.
    has_solar: bool = True
    has_battery: bool = True
    wall_connectors: tuple[WallConnectorSpec, ...] = ()
    # Capability flags `site_info.components` reports (a Powerwall site's; a site without a
    # battery reports them false whatever is set here).
    storm_mode_capable: bool = True
    off_grid_vehicle_charging_reserve_supported: bool = True
    grid_services_enabled: bool = False


@dataclass(frozen=True)
class EventSpec:
    """Something that happens at a time: `at` epoch seconds (resolved when loading)."""

    kind: str
    at: float
    target: str
    until: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    # Happens again every this many seconds (86400: daily), for long-running demo instances.
    repeat_s: float | None = None

    def next(self) -> EventSpec | None:
        """The following occurrence of a repeating event."""
        if self.repeat_s is None:
            return None
        return self.shifted(self.repeat_s)

    def shifted(self, seconds: float) -> EventSpec:
        """The same event `seconds` later (earlier when negative)."""
        until = None if self.until is None else self.until + seconds
        return replace(self, at=self.at + seconds, until=until)


@dataclass(frozen=True)
class Settings:
    """Knobs where Tesla's behaviour is unknown or tests want something else."""

    access_token_lifetime_s: int = 8 * 3600
    refresh_token_lifetime_s: int = 90 * 24 * 3600
    auto_approve: bool = False
    free_endpoints: frozenset[str] = DEFAULT_FREE_ENDPOINTS
    # Requests per minute per account and device by category; None: no limits.
    rate_limits: dict[str, int] | None = None


@dataclass(frozen=True)
class Scenario:
    """Everything the emulator simulates."""

    clients: tuple[ClientSpec, ...]
    accounts: tuple[AccountSpec, ...]
    vehicles: tuple[VehicleSpec, ...]
    sites: tuple[SiteSpec, ...]
    events: tuple[EventSpec, ...] = ()
    settings: Settings = field(default_factory=Settings)


DEFAULT_SCENARIO: dict[str, Any] = {
    "clients": [
        {"client_id": "tfd-client", "client_secret": "tfd-secret", "name": "Tesla Fleet Direct"},
        {"client_id": "tfd-pkce-client", "name": "Tesla Fleet Direct (open source app)"},
    ],
    "accounts": [
        {
            "account_id": "owner",
            "region": "na",
            "email": "owner@example.com",
            "full_name": "Emulated Owner",
            "vehicles": ["5YJ3E7EB0KF000001", "7SAYGDEE0PA000002"],
            "sites": [2252180000000001],
        }
    ],
    "vehicles": [
        {
            "vin": "5YJ3E7EB0KF000001",
            "id": 1492931337151001,
            "vehicle_id": 1234567001,
            "display_name": "Red Pearl",
            "model": "model3",
            "command_signing": "off",
        },
        {
            "vin": "7SAYGDEE0PA000002",
            "id": 1492931337151002,
            "vehicle_id": 1234567002,
            "display_name": "Midnight",
            "model": "modely",
            "command_signing": "required",
            "battery_level": 48,
            "plugged_in": True,
            "latitude": 37.4930,
            "longitude": -121.9450,
        },
    ],
    "sites": [
        {
            "energy_site_id": 2252180000000001,
            "id": "STE20230501-00001",
            "site_name": "Home",
            "wall_connectors": [
                {
                    "din": "1457768-02-G--PGT21000001",
                    "serial_number": "PGT21000001",
                    "vin": "7SAYGDEE0PA000002",
                }
            ],
        }
    ],
    "events": [],
}


def default_scenario() -> Scenario:
    """One account, two cars (one needs signed commands), one energy site."""
    return parse_scenario(DEFAULT_SCENARIO, start=0.0)


def load_scenario(path: str | Path, start: float) -> Scenario:
    """Read a YAML or JSON scenario file."""
    text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    return parse_scenario(data or {}, start=start)


def _build[T](cls: type[T], data: Any, where: str) -> T:
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: expected a mapping")
    known = set(cls.__dataclass_fields__)  # type: ignore[attr-defined]
    unknown = set(data) - known
    if unknown:
        raise ScenarioError(f"{where}: unknown fields {sorted(unknown)}")
    values = {
        key: tuple(value) if isinstance(value, list) else value for key, value in data.items()
    }
    try:
        return cls(**values)
    except TypeError as err:
        raise ScenarioError(f"{where}: {err}") from err


def _event_time(value: Any, start: float, time_zone: str, where: str) -> float:
    """Absolute epoch, `+SECONDS` after start, or `HH:MM` (next one after start, site zone)."""
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.startswith("+"):
        return start + float(value[1:])
    if isinstance(value, str) and ":" in value:
        hour, minute = (int(part) for part in value.split(":", 1))
        zone = ZoneInfo(time_zone)
        origin = datetime.fromtimestamp(start, zone)
        moment = origin.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if moment.timestamp() < start:
            moment += timedelta(days=1)
        return moment.timestamp()
    raise ScenarioError(f"{where}: time must be epoch seconds, '+SECONDS' or 'HH:MM'")


def parse_scenario(data: dict[str, Any], start: float) -> Scenario:
    """Validate a scenario document; relative event times are resolved against `start`."""
    defaults = DEFAULT_SCENARIO
    clients = tuple(
        _build(ClientSpec, item, f"clients[{i}]")
        for i, item in enumerate(data.get("clients", defaults["clients"]))
    )
    vehicles = tuple(
        _build(VehicleSpec, _yaml_off(item), f"vehicles[{i}]")
        for i, item in enumerate(data.get("vehicles", defaults["vehicles"]))
    )
    sites = []
    for i, item in enumerate(data.get("sites", defaults["sites"])):
        connectors = tuple(
            _build(WallConnectorSpec, wc, f"sites[{i}].wall_connectors[{j}]")
            for j, wc in enumerate(item.get("wall_connectors", []))
        )
        site = _build(SiteSpec, {**item, "wall_connectors": []}, f"sites[{i}]")
        sites.append(_replace_connectors(site, connectors))
    accounts = tuple(
        _build(AccountSpec, item, f"accounts[{i}]")
        for i, item in enumerate(data.get("accounts", defaults["accounts"]))
    )
    settings_data = dict(data.get("settings", {}))
    if "free_endpoints" in settings_data:
        settings_data["free_endpoints"] = frozenset(settings_data["free_endpoints"])
    if settings_data.get("rate_limits") == "reported":
        settings_data["rate_limits"] = dict(REPORTED_LIMITS)
    settings = _build(Settings, settings_data, "settings")
    zone = sites[0].time_zone if sites else "UTC"
    events = []
    for i, item in enumerate(data.get("events", [])):
        where = f"events[{i}]"
        if not isinstance(item, dict) or item.get("kind") not in EVENT_KINDS:
            raise ScenarioError(f"{where}: kind must be one of {EVENT_KINDS}")
        at = _event_time(item.get("at"), start, zone, where)
        until = item.get("until")
        events.append(
            EventSpec(
                kind=item["kind"],
                at=at,
                target=str(item.get("vin") or item.get("site") or ""),
                until=None if until is None else _event_time(until, at, zone, where),
                params=dict(item.get("params", {})),
                repeat_s=_repeat(item.get("repeat"), where),
            )
        )
    scenario = Scenario(
        clients,
        accounts,
        vehicles,
        tuple(sites),
        tuple(sorted(events, key=lambda e: e.at)),
        settings,
    )
    _check(scenario)
    return scenario


def _yaml_off(item: Any) -> Any:
    """YAML 1.1 reads a bare `command_signing: off` as false; take it as the word meant."""
    if isinstance(item, dict) and item.get("command_signing") is False:
        return {**item, "command_signing": "off"}
    return item


def _repeat(value: Any, where: str) -> float | None:
    """`repeat: daily` or a number of seconds."""
    if value is None:
        return None
    if value == "daily":
        return 86400.0
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 60:
        return float(value)
    raise ScenarioError(f"{where}: repeat must be 'daily' or at least 60 seconds")


def _replace_connectors(site: SiteSpec, connectors: tuple[WallConnectorSpec, ...]) -> SiteSpec:
    return replace(site, wall_connectors=connectors)


def _check(scenario: Scenario) -> None:
    vins = {vehicle.vin for vehicle in scenario.vehicles}
    site_ids = {site.energy_site_id for site in scenario.sites}
    for account in scenario.accounts:
        if account.region not in REGIONS:
            raise ScenarioError(f"account {account.account_id}: region must be one of {REGIONS}")
        for vin in account.vehicles:
            if vin not in vins:
                raise ScenarioError(f"account {account.account_id}: unknown vehicle {vin}")
        for vin in account.driver_of:
            if vin not in account.vehicles:
                raise ScenarioError(
                    f"account {account.account_id}: driver_of {vin} not in vehicles"
                )
        for site_id in account.sites:
            if site_id not in site_ids:
                raise ScenarioError(f"account {account.account_id}: unknown site {site_id}")
    for vehicle in scenario.vehicles:
        if vehicle.sleep_model not in SLEEP_MODELS:
            raise ScenarioError(f"vehicle {vehicle.vin}: sleep_model must be one of {SLEEP_MODELS}")
        if vehicle.model not in VEHICLE_MODELS:
            raise ScenarioError(f"vehicle {vehicle.vin}: model must be one of {VEHICLE_MODELS}")
        if vehicle.command_signing not in SIGNING_MODES:
            raise ScenarioError(
                f"vehicle {vehicle.vin}: command_signing must be one of {SIGNING_MODES}"
            )
    for event in scenario.events:
        if event.kind.startswith("grid"):
            if not event.target.isdigit() or int(event.target) not in site_ids:
                raise ScenarioError(f"event {event.kind}: unknown site {event.target!r}")
        elif event.target not in vins:
            raise ScenarioError(f"event {event.kind}: unknown vehicle {event.target!r}")
