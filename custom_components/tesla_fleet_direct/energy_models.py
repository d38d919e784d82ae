"""Typed views of an energy site's Fleet API answers, parsed once at the boundary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class EnergyDataError(ValueError):
    """An answer did not have the shape Tesla documents."""


def _float(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EnergyDataError(f"{key} is not a number")
    return float(value)


def _bool(data: Mapping[str, Any], key: str) -> bool | None:
    value = data.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise EnergyDataError(f"{key} is not a boolean")


def _str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise EnergyDataError(f"{key} is not a string")


def _int(data: Mapping[str, Any], key: str) -> int | None:
    value = _float(data, key)
    return None if value is None else int(value)


@dataclass(frozen=True, slots=True)
class WallConnectorStatus:
    """One wall connector in `live_status.wall_connectors`."""

    din: str
    state: int | None
    fault_state: int | None
    power: float | None

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> WallConnectorStatus:
        """Parse one connector; a connector without a DIN cannot be told apart, so it fails."""
        din = _str(data, "din")
        if not din:
            raise EnergyDataError("wall connector without din")
        return cls(
            din=din,
            state=_int(data, "wall_connector_state"),
            fault_state=_int(data, "wall_connector_fault_state"),
            power=_float(data, "wall_connector_power"),
        )


@dataclass(frozen=True, slots=True)
class LiveStatus:
    """`GET /energy_sites/{id}/live_status`; powers in W, energies in Wh, None when absent."""

    solar_power: float | None
    battery_power: float | None
    load_power: float | None
    grid_power: float | None
    grid_services_power: float | None
    generator_power: float | None
    percentage_charged: float | None
    energy_left: float | None
    total_pack_energy: float | None
    island_status: str | None
    storm_mode_active: bool | None
    grid_services_active: bool | None
    backup_capable: bool | None
    wall_connectors: tuple[WallConnectorStatus, ...]

    @classmethod
    def parse(cls, data: Any) -> LiveStatus:
        """Parse the `response` member."""
        if not isinstance(data, Mapping):
            raise EnergyDataError("live_status is not an object")
        connectors = data.get("wall_connectors") or []
        if not isinstance(connectors, list):
            raise EnergyDataError("wall_connectors is not a list")
        return cls(
            solar_power=_float(data, "solar_power"),
            battery_power=_float(data, "battery_power"),
            load_power=_float(data, "load_power"),
            grid_power=_float(data, "grid_power"),
            grid_services_power=_float(data, "grid_services_power"),
            generator_power=_float(data, "generator_power"),
            percentage_charged=_float(data, "percentage_charged"),
            energy_left=_float(data, "energy_left"),
            total_pack_energy=_float(data, "total_pack_energy"),
            island_status=_str(data, "island_status"),
            storm_mode_active=_bool(data, "storm_mode_active"),
            grid_services_active=_bool(data, "grid_services_active"),
            backup_capable=_bool(data, "backup_capable"),
            wall_connectors=tuple(
                WallConnectorStatus.parse(item) for item in connectors if isinstance(item, Mapping)
            ),
        )

    def wall_connector(self, din: str) -> WallConnectorStatus | None:
        """The connector with this DIN, if the site reported it this time."""
        return next((wc for wc in self.wall_connectors if wc.din == din), None)


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """`GET /energy_sites/{id}/site_info`: settings and components, which change rarely."""

    site_name: str | None
    backup_reserve_percent: float | None
    operation_mode: str | None
    storm_mode_enabled: bool | None
    version: str | None
    time_zone: str | None
    has_battery: bool
    has_solar: bool
    has_grid: bool
    wall_connector_dins: tuple[str, ...]

    @classmethod
    def parse(cls, data: Any) -> SiteInfo:
        """Parse the `response` member."""
        if not isinstance(data, Mapping):
            raise EnergyDataError("site_info is not an object")
        components = data.get("components") or {}
        settings = data.get("user_settings") or {}
        if not isinstance(components, Mapping) or not isinstance(settings, Mapping):
            raise EnergyDataError("components or user_settings is not an object")
        connectors = components.get("wall_connectors") or []
        return cls(
            site_name=_str(data, "site_name"),
            backup_reserve_percent=_float(data, "backup_reserve_percent"),
            operation_mode=_str(data, "default_real_mode"),
            storm_mode_enabled=_bool(settings, "storm_mode_enabled"),
            version=_str(data, "version"),
            time_zone=_str(data, "installation_time_zone"),
            has_battery=bool(components.get("battery")),
            has_solar=bool(components.get("solar")),
            has_grid=bool(components.get("grid")),
            wall_connector_dins=tuple(
                str(wc["din"]) for wc in connectors if isinstance(wc, Mapping) and wc.get("din")
            ),
        )


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One `calendar_history` time-series entry: the period's start and its energies in Wh."""

    start: datetime
    energies: Mapping[str, float]

    @classmethod
    def parse_series(cls, data: Any) -> list[HistoryEntry]:
        """Parse the `response` member of `calendar_history?kind=energy`."""
        if not isinstance(data, Mapping) or not isinstance(data.get("time_series", []), list):
            raise EnergyDataError("calendar_history has no time_series list")
        entries = []
        for item in data.get("time_series", []):
            if not isinstance(item, Mapping) or not isinstance(item.get("timestamp"), str):
                raise EnergyDataError("calendar_history entry without timestamp")
            try:
                start = datetime.fromisoformat(item["timestamp"])
            except ValueError as err:
                raise EnergyDataError("calendar_history timestamp unreadable") from err
            if start.tzinfo is None:
                raise EnergyDataError("calendar_history timestamp has no offset")
            energies = {
                key: float(value)
                for key, value in item.items()
                if key != "timestamp"
                and isinstance(value, int | float)
                and not isinstance(value, bool)
            }
            entries.append(cls(start, energies))
        return entries
