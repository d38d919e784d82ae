"""Selects: seat heaters and coolers (each seat the car has), steering-wheel heat, climate keeper."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api.car_state import CarState
from .api.energy import EXPORT_RULES, OPERATION_MODES, EnergySiteApi, ExportRule, OperationMode
from .api.energy_data import SiteInfo
from .api.models import CommandResult
from .api.vehicle_commands import ClimateKeeperMode, SeatCooler, VehicleCommands
from .control_entity import (
    EnergyControlDescription,
    EnergyControlEntity,
    VehicleControlDescription,
    VehicleControlEntity,
    async_add_energy_controls,
    async_add_vehicle_controls,
)
from .devices import TeslaFleetDirectConfigEntry

PARALLEL_UPDATES = 0

HEAT_LEVELS = ("off", "low", "medium", "high")  # Tesla's levels 0-3, in order
# The wheel has three levels, sent as 0, 1, 2 (HA core tesla_fleet/select.py; python-tesla-
# fleet-api StwHeatLevels); some cars read high back as 3, the older REST spelling.
WHEEL_LEVELS = {"off": 0, "low": 1, "high": 2}
# In the order of Tesla's climate_keeper_mode values (off, keep, dog, camp).
KEEPER_MODES = tuple(mode.name.lower() for mode in ClimateKeeperMode)
CONFIG = frozenset({"vehicle_config"})


def _heat_level(value: int | None) -> str | None:
    """A seat's level; anything above Tesla's highest reads as high rather than unknown."""
    if value is None or value < 0:
        return None
    return HEAT_LEVELS[min(value, len(HEAT_LEVELS) - 1)]


def _wheel_level(value: int | None) -> str | None:
    """The wheel's level; 3 (and above) is high."""
    if value is None or value < 0:
        return None
    return "off" if value == 0 else "low" if value == 1 else "high"


# Which seats a car has heaters (or coolers) in, from vehicle_config, as HA core's teslemetry
# select.py decides (`rear_seat_heaters`: 0 none, 1 a heated rear bench, 2 outer rear seats
# only, 3 Model X with heated third row; `third_row_seats` "None" without one).


type Fitted = Callable[[CarState], bool]
type Level = Callable[[CarState], int | None]


def _front(_car: CarState) -> bool:
    return True


def _rear_outer(car: CarState) -> bool:
    return bool(car.config.rear_seat_heaters)


def _rear_center(car: CarState) -> bool:
    return car.config.rear_seat_heaters in (1, 3)


def _third_row(car: CarState) -> bool:
    config = car.config
    return config.rear_seat_heaters == 3 and config.has_third_row


def _seat_cooling(car: CarState) -> bool:
    return car.config.has_seat_cooling is True


@dataclass(frozen=True, kw_only=True)
class VehicleSelectDescription(VehicleControlDescription, SelectEntityDescription):
    """A choice the car keeps in one climate_state field."""

    value_fn: Callable[[CarState], str | None]  # the current option
    # The climate_state field the command changes, and the option as its value (shown at once).
    field: str
    shown_fn: Callable[[str], Any]
    send_fn: Callable[[VehicleCommands, str], Awaitable[CommandResult]]
    # The car ignores heater requests while its climate is off; start it first.
    needs_climate: bool = False


def _fitted(level: Level, fitted: Fitted) -> Fitted:
    """The car reports the seat's level and its configuration says the seat has it."""
    return lambda car: level(car) is not None and fitted(car)


def _seat(
    key: str, field: str, level: Level, position: int, fitted: Fitted
) -> VehicleSelectDescription:
    return VehicleSelectDescription(
        key=key,
        translation_key=key,
        endpoints=frozenset({"climate_state"}),
        fitting_endpoints=CONFIG,
        options=list(HEAT_LEVELS),
        value_fn=lambda car: _heat_level(level(car)),
        field=field,
        send_fn=lambda car, option: car.remote_seat_heater_request(
            position, HEAT_LEVELS.index(option)
        ),
        shown_fn=HEAT_LEVELS.index,
        needs_climate=True,
        exists_fn=_fitted(level, fitted),
    )


def _cooler(key: str, field: str, level: Level, position: SeatCooler) -> VehicleSelectDescription:
    # remote_seat_cooler_request: front seats 1 (left) and 2 (right), levels 0-3; the state is
    # climate_state.seat_fan_front_* (HA core teslemetry/select.py).
    return VehicleSelectDescription(
        key=key,
        translation_key=key,
        endpoints=frozenset({"climate_state"}),
        fitting_endpoints=CONFIG,
        options=list(HEAT_LEVELS),
        value_fn=lambda car: _heat_level(level(car)),
        field=field,
        send_fn=lambda car, option: car.remote_seat_cooler_request(
            position, HEAT_LEVELS.index(option)
        ),
        shown_fn=HEAT_LEVELS.index,
        needs_climate=True,
        exists_fn=_fitted(level, _seat_cooling),
    )


VEHICLE_SELECTS: tuple[VehicleSelectDescription, ...] = (
    _seat(
        "seat_heater_left",
        "seat_heater_left",
        lambda car: car.climate.seat_heater_left,
        0,
        _front,
    ),
    _seat(
        "seat_heater_right",
        "seat_heater_right",
        lambda car: car.climate.seat_heater_right,
        1,
        _front,
    ),
    _seat(
        "seat_heater_rear_left",
        "seat_heater_rear_left",
        lambda car: car.climate.seat_heater_rear_left,
        2,
        _rear_outer,
    ),
    _seat(
        "seat_heater_rear_center",
        "seat_heater_rear_center",
        lambda car: car.climate.seat_heater_rear_center,
        4,
        _rear_center,
    ),
    _seat(
        "seat_heater_rear_right",
        "seat_heater_rear_right",
        lambda car: car.climate.seat_heater_rear_right,
        5,
        _rear_outer,
    ),
    _seat(
        "seat_heater_third_row_left",
        "seat_heater_third_row_left",
        lambda car: car.climate.seat_heater_third_row_left,
        7,
        _third_row,
    ),
    _seat(
        "seat_heater_third_row_right",
        "seat_heater_third_row_right",
        lambda car: car.climate.seat_heater_third_row_right,
        8,
        _third_row,
    ),
    _cooler(
        "seat_cooler_left",
        "seat_fan_front_left",
        lambda car: car.climate.seat_fan_front_left,
        SeatCooler.FRONT_LEFT,
    ),
    _cooler(
        "seat_cooler_right",
        "seat_fan_front_right",
        lambda car: car.climate.seat_fan_front_right,
        SeatCooler.FRONT_RIGHT,
    ),
    VehicleSelectDescription(
        key="steering_wheel_heat_level",
        translation_key="steering_wheel_heat_level",
        endpoints=frozenset({"climate_state"}),
        options=list(WHEEL_LEVELS),
        value_fn=lambda car: _wheel_level(car.climate.steering_wheel_heat_level),
        field="steering_wheel_heat_level",
        send_fn=lambda car, option: car.remote_steering_wheel_heat_level_request(
            WHEEL_LEVELS[option]
        ),
        shown_fn=WHEEL_LEVELS.__getitem__,
        needs_climate=True,
        # Cars with a heated wheel but no levels (the 2015 Model S, the 2022 Model X) send only
        # the on/off `steering_wheel_heater`.
        exists_fn=lambda car: car.climate.steering_wheel_heat_level is not None,
    ),
    VehicleSelectDescription(
        key="climate_keeper_mode",
        translation_key="climate_keeper_mode",
        endpoints=frozenset({"climate_state"}),
        options=list(KEEPER_MODES),
        value_fn=lambda car: (
            mode if (mode := car.climate.climate_keeper_mode) in KEEPER_MODES else None
        ),
        field="climate_keeper_mode",
        send_fn=lambda car, option: car.set_climate_keeper_mode(ClimateKeeperMode[option.upper()]),
        shown_fn=lambda option: option,
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
        self._attr_current_option = self.entity_description.value_fn(self.car)

    async def async_select_option(self, option: str) -> None:
        """Send the level (starting the climate first where the car needs it)."""
        desc = self.entity_description
        if desc.needs_climate and option != "off" and not self.car.climate.is_climate_on:
            await self.async_send(
                VehicleCommands.auto_conditioning_start, climate_state={"is_climate_on": True}
            )
        await self.async_send(
            lambda car: desc.send_fn(car, option),
            climate_state={desc.field: desc.shown_fn(option)},
        )


# --- energy sites ---------------------------------------------------------------------------


def _solar_and_battery(info: SiteInfo) -> bool:
    return info.has_battery and info.has_solar


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
