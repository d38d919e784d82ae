"""Selects: seat heaters (each seat the car has), steering-wheel heat level, climate keeper."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api.energy import EXPORT_RULES, OPERATION_MODES, EnergySiteApi, ExportRule, OperationMode
from .api.energy_data import SiteInfo
from .api.models import CommandResult
from .commands import (
    EnergyControlDescription,
    EnergyControlEntity,
    VehicleControlDescription,
    VehicleControlEntity,
    async_add_energy_controls,
    async_add_vehicle_controls,
)
from .devices import TeslaFleetDirectConfigEntry
from .energy_coordinator import components as site_components

PARALLEL_UPDATES = 0

HEAT_LEVELS = ("off", "low", "medium", "high")  # Tesla's levels 0-3, in order
# Tesla's three wheel heat levels as REST numbers them (HA core tesla_fleet/select.py).
WHEEL_LEVELS = {"off": 0, "low": 1, "high": 2}
KEEPER_MODES = ("off", "keep", "dog", "camp")  # Tesla's climate_keeper_mode 0-3


def _config(data: Mapping[str, Any]) -> Mapping[str, Any]:
    value = data.get("vehicle_config")
    return value if isinstance(value, Mapping) else {}


def _has_rear_heaters(data: Mapping[str, Any]) -> bool:
    return bool(_config(data).get("rear_seat_heaters"))


def _has_third_row(data: Mapping[str, Any]) -> bool:
    return _config(data).get("third_row_seats") not in (None, "None", "<invalid>")


@dataclass(frozen=True, kw_only=True)
class VehicleSelectDescription(VehicleControlDescription, SelectEntityDescription):
    """A choice the car keeps, read from one climate_state field."""

    field: str
    # field value -> option, option -> (command, params, field value to show)
    option_fn: Callable[[Any], str | None]
    command_fn: Callable[[str], tuple[str, Mapping[str, Any], Any]]
    # The car ignores heater requests while its climate is off; start it first.
    needs_climate: bool = False


def _seat(
    key: str, field: str, position: int, exists: Callable[[Mapping[str, Any]], bool]
) -> VehicleSelectDescription:
    return VehicleSelectDescription(
        key=key,
        translation_key=key,
        endpoints=frozenset({"climate_state", "vehicle_config"}),
        options=list(HEAT_LEVELS),
        field=field,
        option_fn=lambda v: HEAT_LEVELS[v] if isinstance(v, int) and 0 <= v < 4 else None,
        command_fn=lambda option: (
            "remote_seat_heater_request",
            {"seat_position": position, "level": HEAT_LEVELS.index(option)},
            HEAT_LEVELS.index(option),
        ),
        needs_climate=True,
        exists_fn=lambda data: field in (data.get("climate_state") or {}) and exists(data),
    )


VEHICLE_SELECTS: tuple[VehicleSelectDescription, ...] = (
    _seat("seat_heater_left", "seat_heater_left", 0, lambda _: True),
    _seat("seat_heater_right", "seat_heater_right", 1, lambda _: True),
    _seat("seat_heater_rear_left", "seat_heater_rear_left", 2, _has_rear_heaters),
    _seat("seat_heater_rear_center", "seat_heater_rear_center", 4, _has_rear_heaters),
    _seat("seat_heater_rear_right", "seat_heater_rear_right", 5, _has_rear_heaters),
    _seat("seat_heater_third_row_left", "seat_heater_third_row_left", 7, _has_third_row),
    _seat("seat_heater_third_row_right", "seat_heater_third_row_right", 8, _has_third_row),
    VehicleSelectDescription(
        key="steering_wheel_heat_level",
        translation_key="steering_wheel_heat_level",
        endpoints=frozenset({"climate_state"}),
        options=list(WHEEL_LEVELS),
        field="steering_wheel_heat_level",
        option_fn=lambda v: next((k for k, n in WHEEL_LEVELS.items() if n == v), None),
        command_fn=lambda option: (
            "remote_steering_wheel_heat_level_request",
            {"level": WHEEL_LEVELS[option]},
            WHEEL_LEVELS[option],
        ),
        needs_climate=True,
        exists_fn=lambda data: "steering_wheel_heat_level" in (data.get("climate_state") or {}),
    ),
    VehicleSelectDescription(
        key="climate_keeper_mode",
        translation_key="climate_keeper_mode",
        endpoints=frozenset({"climate_state"}),
        options=list(KEEPER_MODES),
        field="climate_keeper_mode",
        option_fn=lambda v: v if v in KEEPER_MODES else None,
        command_fn=lambda option: (
            "set_climate_keeper_mode",
            {"climate_keeper_mode": KEEPER_MODES.index(option)},
            option,
        ),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaFleetDirectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the selects of every car the granted scopes allow."""
    async_add_vehicle_controls(hass, entry, VEHICLE_SELECTS, VehicleSelect, async_add_entities)
    async_add_energy_controls(hass, entry, ENERGY_SELECTS, EnergySelect, async_add_entities)


class VehicleSelect(VehicleControlEntity, SelectEntity):
    """A setting with named levels."""

    entity_description: VehicleSelectDescription

    def _update_attrs(self) -> None:
        desc = self.entity_description
        self._attr_current_option = desc.option_fn(self.field("climate_state", desc.field))

    async def async_select_option(self, option: str) -> None:
        """Send the level (starting the climate first where the car needs it)."""
        desc = self.entity_description
        command, params, shown = desc.command_fn(option)
        if (
            desc.needs_climate
            and option != "off"
            and not self.field("climate_state", "is_climate_on")
        ):
            await self.async_send("auto_conditioning_start", climate_state={"is_climate_on": True})
        await self.async_send(command, params, climate_state={desc.field: shown})


# --- energy sites ---------------------------------------------------------------------------


def _solar_and_battery(info: SiteInfo) -> bool:
    parts = site_components(info)
    return bool(parts.get("battery")) and bool(parts.get("solar"))


@dataclass(frozen=True, kw_only=True)
class EnergySelectDescription(EnergyControlDescription, SelectEntityDescription):
    """A site setting with named choices (Tesla's own values are the options)."""

    value_fn: Callable[[SiteInfo], str | None]
    field: str
    send_fn: Callable[[EnergySiteApi, str], Awaitable[CommandResult]]


ENERGY_SELECTS: tuple[EnergySelectDescription, ...] = (
    EnergySelectDescription(
        key="operation_mode",
        translation_key="operation_mode",
        options=list(OPERATION_MODES),
        value_fn=lambda info: info.default_real_mode,
        field="default_real_mode",
        send_fn=lambda api, option: api.operation(cast(OperationMode, option)),
    ),
    EnergySelectDescription(
        key="grid_export_rule",
        translation_key="grid_export_rule",
        options=list(EXPORT_RULES),
        value_fn=lambda info: info.customer_preferred_export_rule,
        field="customer_preferred_export_rule",
        send_fn=lambda api, option: api.grid_import_export(
            customer_preferred_export_rule=cast(ExportRule, option)
        ),
        exists_fn=_solar_and_battery,
    ),
)


class EnergySelect(EnergyControlEntity, SelectEntity):
    """A site setting with named choices."""

    entity_description: EnergySelectDescription

    def _update_attrs(self) -> None:
        info = self.info
        value = self.entity_description.value_fn(info) if info is not None else None
        self._attr_current_option = (
            value if value in (self.entity_description.options or ()) else None
        )

    async def async_select_option(self, option: str) -> None:
        """Send the choice."""
        desc = self.entity_description
        await self.async_send(desc.send_fn(self.coordinator.api, option), **{desc.field: option})
