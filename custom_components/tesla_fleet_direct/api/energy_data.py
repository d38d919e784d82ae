"""Energy-site answers parsed once: live status, site info, calendar history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._parse import as_mapping, opt_bool, opt_float, opt_int, opt_str
from .errors import ResponseFormatError


@dataclass(frozen=True, slots=True)
class WallConnector:
    """One wall connector in `live_status.wall_connectors`."""

    din: str | None
    state: int | None
    fault_state: int | None
    power: float | None
    vin: str | None
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def parse(cls, data: Any) -> WallConnector:
        """All fields optional."""
        obj = as_mapping(data)
        return cls(
            din=opt_str(obj, "din"),
            state=opt_int(obj, "wall_connector_state"),
            fault_state=opt_int(obj, "wall_connector_fault_state"),
            power=opt_float(obj, "wall_connector_power"),
            vin=opt_str(obj, "vin"),
            raw=obj,
        )


@dataclass(frozen=True, slots=True)
class LiveStatus:
    """`live_status`: power flows (W), battery level and grid state now."""

    solar_power: float | None
    battery_power: float | None
    load_power: float | None
    grid_power: float | None
    grid_services_power: float | None
    generator_power: float | None
    percentage_charged: float | None
    energy_left: float | None
    total_pack_energy: float | None
    grid_status: str | None
    island_status: str | None
    storm_mode_active: bool | None
    backup_capable: bool | None
    grid_services_active: bool | None
    timestamp: str | None
    wall_connectors: Sequence[WallConnector]
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def parse(cls, response: Any, *, path: str) -> LiveStatus:
        """Every field optional; the answer itself must be an object."""
        if not isinstance(response, Mapping):
            raise ResponseFormatError("live_status answer is not an object", path=path)
        connectors = response.get("wall_connectors")
        return cls(
            solar_power=opt_float(response, "solar_power"),
            battery_power=opt_float(response, "battery_power"),
            load_power=opt_float(response, "load_power"),
            grid_power=opt_float(response, "grid_power"),
            grid_services_power=opt_float(response, "grid_services_power"),
            generator_power=opt_float(response, "generator_power"),
            percentage_charged=opt_float(response, "percentage_charged"),
            energy_left=opt_float(response, "energy_left"),
            total_pack_energy=opt_float(response, "total_pack_energy"),
            grid_status=opt_str(response, "grid_status"),
            island_status=opt_str(response, "island_status"),
            storm_mode_active=opt_bool(response, "storm_mode_active"),
            backup_capable=opt_bool(response, "backup_capable"),
            grid_services_active=opt_bool(response, "grid_services_active"),
            timestamp=opt_str(response, "timestamp"),
            wall_connectors=tuple(
                WallConnector.parse(item) for item in connectors if isinstance(item, Mapping)
            )
            if isinstance(connectors, list)
            else (),
            raw=response,
        )


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """`site_info`: settings and installation."""

    id: str | None
    site_name: str | None
    backup_reserve_percent: float | None
    default_real_mode: str | None
    storm_mode_enabled: bool | None
    customer_preferred_export_rule: str | None
    disallow_charge_from_grid_with_solar_installed: bool | None
    off_grid_vehicle_charging_reserve_percent: float | None
    vpp_backup_reserve_percent: float | None
    installation_date: str | None
    installation_time_zone: str | None
    version: str | None
    battery_count: int | None
    nameplate_power: float | None
    nameplate_energy: float | None
    components: Mapping[str, Any]
    raw: Mapping[str, Any] = field(repr=False)

    # What the site has and can do, from `components` (a flag Tesla leaves out reads False).

    @property
    def has_battery(self) -> bool:
        """Powerwalls (and the gateway that comes with them)."""
        return opt_bool(self.components, "battery") is True

    @property
    def has_solar(self) -> bool:
        """Solar panels."""
        return opt_bool(self.components, "solar") is True

    @property
    def has_grid(self) -> bool:
        """A grid connection the site measures."""
        return opt_bool(self.components, "grid") is True

    @property
    def has_load_meter(self) -> bool:
        """A meter for the home's use (a site of wall connectors alone has none)."""
        return opt_bool(self.components, "load_meter") is True

    @property
    def storm_mode_capable(self) -> bool:
        """Storm Watch is offered."""
        return opt_bool(self.components, "storm_mode_capable") is True

    @property
    def off_grid_vehicle_charging_reserve_supported(self) -> bool:
        """The reserve kept for charging cars during an outage can be set."""
        return opt_bool(self.components, "off_grid_vehicle_charging_reserve_supported") is True

    @property
    def grid_services_enabled(self) -> bool | None:
        """Whether the site takes part in grid services (a virtual power plant)."""
        return opt_bool(self.components, "grid_services_enabled")

    @classmethod
    def parse(cls, response: Any, *, path: str) -> SiteInfo:
        """Settings live partly in `user_settings` and `components`; all optional."""
        if not isinstance(response, Mapping):
            raise ResponseFormatError("site_info answer is not an object", path=path)
        settings = as_mapping(response.get("user_settings"))
        components = as_mapping(response.get("components"))
        site_id = response.get("id")
        return cls(
            id=str(site_id) if isinstance(site_id, str | int) and site_id != "" else None,
            site_name=opt_str(response, "site_name"),
            backup_reserve_percent=opt_float(response, "backup_reserve_percent"),
            default_real_mode=opt_str(response, "default_real_mode"),
            storm_mode_enabled=opt_bool(settings, "storm_mode_enabled"),
            customer_preferred_export_rule=opt_str(components, "customer_preferred_export_rule"),
            disallow_charge_from_grid_with_solar_installed=opt_bool(
                components, "disallow_charge_from_grid_with_solar_installed"
            ),
            off_grid_vehicle_charging_reserve_percent=opt_float(
                response, "off_grid_vehicle_charging_reserve_percent"
            ),
            vpp_backup_reserve_percent=opt_float(response, "vpp_backup_reserve_percent"),
            installation_date=opt_str(response, "installation_date"),
            installation_time_zone=opt_str(response, "installation_time_zone"),
            version=opt_str(response, "version"),
            battery_count=opt_int(response, "battery_count"),
            nameplate_power=opt_float(response, "nameplate_power"),
            nameplate_energy=opt_float(response, "nameplate_energy"),
            components=components,
            raw=response,
        )


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One bucket of `calendar_history` (energy kind): Wh per flow, keyed by Tesla's names."""

    timestamp: datetime
    values: Mapping[str, float]

    def get(self, name: str) -> float:
        """Wh of one flow (0 when Tesla left it out)."""
        return self.values.get(name, 0.0)


@dataclass(frozen=True, slots=True)
class CalendarHistory:
    """`calendar_history`: energy buckets (`time_series`) or backup events (`events`)."""

    entries: Sequence[HistoryEntry]
    events: Sequence[Mapping[str, Any]]
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def parse(cls, response: Any, *, path: str) -> CalendarHistory:
        """Buckets without a readable timestamp are skipped, not fatal."""
        if not isinstance(response, Mapping):
            raise ResponseFormatError("calendar_history answer is not an object", path=path)
        entries: list[HistoryEntry] = []
        series = response.get("time_series")
        for item in series if isinstance(series, list) else ():
            obj = as_mapping(item)
            stamp = opt_str(obj, "timestamp")
            try:
                when = datetime.fromisoformat(stamp) if stamp else None
            except ValueError:
                when = None
            if when is None:
                continue
            values = {
                key: float(value)
                for key, value in obj.items()
                if key != "timestamp"
                and isinstance(value, int | float)
                and not isinstance(value, bool)
            }
            entries.append(HistoryEntry(when, values))
        events = response.get("events")
        return cls(
            entries=tuple(entries),
            events=tuple(e for e in events if isinstance(e, Mapping))
            if isinstance(events, list)
            else (),
            raw=response,
        )
