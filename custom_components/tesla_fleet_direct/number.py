"""Numbers: charge limit, charging amps and speed limit (limits from what the car reports)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import PERCENTAGE, UnitOfElectricCurrent, UnitOfSpeed
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api.car_state import CarState
from .api.energy import EnergySiteApi
from .api.energy_data import SiteInfo
from .api.models import CommandResult
from .api.vehicle_commands import (
    CHARGE_LIMIT_MAX,
    CHARGE_LIMIT_MIN,
    SPEED_LIMIT_MAX_MPH,
    SPEED_LIMIT_MIN_MPH,
    VehicleCommands,
)
from .command_errors import require_whole
from .control_entity import (
    CHARGING_SCOPES,
    EnergyControlDescription,
    EnergyControlEntity,
    VehicleControlDescription,
    VehicleControlEntity,
    async_add_energy_controls,
    async_add_vehicle_controls,
)
from .devices import TeslaFleetDirectConfigEntry

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class VehicleNumberDescription(VehicleControlDescription, NumberEntityDescription):
    """A car setting with a range; the car tells its own limits where it can."""

    value_fn: Callable[[CarState], float | None]
    # The car's own bounds, where it reports them.
    min_fn: Callable[[CarState], float | None] | None = None
    max_fn: Callable[[CarState], float | None] | None = None
    send_fn: Callable[[VehicleCommands, int], Awaitable[CommandResult]]
    # Shown at once after the command: fields by section.
    shown_fn: Callable[[CarState, float], Mapping[str, Mapping[str, Any]]]


VEHICLE_NUMBERS: tuple[VehicleNumberDescription, ...] = (
    VehicleNumberDescription(
        key="charge_limit",
        translation_key="charge_limit",
        scopes=CHARGING_SCOPES,
        endpoints=frozenset({"charge_state"}),
        native_unit_of_measurement=PERCENTAGE,
        native_min_value=CHARGE_LIMIT_MIN,
        native_max_value=CHARGE_LIMIT_MAX,
        native_step=1,
        mode=NumberMode.SLIDER,
        value_fn=lambda car: car.charge.charge_limit_soc,
        min_fn=lambda car: car.charge.charge_limit_soc_min,
        max_fn=lambda car: car.charge.charge_limit_soc_max,
        send_fn=VehicleCommands.set_charge_limit,
        shown_fn=lambda _, v: {"charge_state": {"charge_limit_soc": int(v)}},
    ),
    VehicleNumberDescription(
        key="charging_amps",
        translation_key="charging_amps",
        scopes=CHARGING_SCOPES,
        endpoints=frozenset({"charge_state"}),
        device_class=NumberDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        native_min_value=0,
        native_max_value=32,
        native_step=1,
        mode=NumberMode.SLIDER,
        value_fn=lambda car: car.charge.charge_current_request,
        max_fn=lambda car: car.charge.charge_current_request_max,
        send_fn=VehicleCommands.set_charging_amps,
        shown_fn=lambda _, v: {"charge_state": {"charge_current_request": int(v)}},
    ),
    VehicleNumberDescription(
        key="speed_limit",
        translation_key="speed_limit",
        endpoints=frozenset({"vehicle_state"}),
        device_class=NumberDeviceClass.SPEED,
        native_unit_of_measurement=UnitOfSpeed.MILES_PER_HOUR,
        native_min_value=SPEED_LIMIT_MIN_MPH,
        native_max_value=SPEED_LIMIT_MAX_MPH,
        native_step=1,
        mode=NumberMode.BOX,
        value_fn=lambda car: car.vehicle.speed_limit_mode.current_limit_mph,
        min_fn=lambda car: car.vehicle.speed_limit_mode.min_limit_mph,
        max_fn=lambda car: car.vehicle.speed_limit_mode.max_limit_mph,
        send_fn=VehicleCommands.speed_limit_set_limit,
        # Sections merge key by key, so the nested mode object is given whole.
        shown_fn=lambda car, v: {
            "vehicle_state": {
                "speed_limit_mode": {**car.vehicle.speed_limit_mode.raw, "current_limit_mph": v}
            }
        },
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaFleetDirectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the numbers of every car the granted scopes allow."""
    async_add_vehicle_controls(hass, entry, VEHICLE_NUMBERS, VehicleNumber, async_add_entities)
    async_add_energy_controls(hass, entry, ENERGY_NUMBERS, EnergyNumber, async_add_entities)


class VehicleNumber(VehicleControlEntity, NumberEntity):
    """A car setting with a range."""

    entity_description: VehicleNumberDescription

    def _update_attrs(self) -> None:
        desc = self.entity_description
        car = self.car
        value = desc.value_fn(car)
        self._attr_native_value = float(value) if value is not None else None
        low = desc.min_fn(car) if desc.min_fn else None
        high = desc.max_fn(car) if desc.max_fn else None
        self._attr_native_min_value = float(low if low is not None else desc.native_min_value or 0)
        self._attr_native_max_value = float(
            high if high is not None else desc.native_max_value or 100
        )

    async def async_set_native_value(self, value: float) -> None:
        """Check the value against the car's own range (whole steps), then send it."""
        desc = self.entity_description
        # Tesla takes whole percent, amps and mph; the car's range may be narrower than the
        # API's, so it is checked here (the API checks its own before sending).
        number = require_whole(
            value,
            self.native_min_value,
            self.native_max_value,
            field=self.name if isinstance(self.name, str) else desc.key,
        )
        await self.async_send(
            lambda car: desc.send_fn(car, number), **desc.shown_fn(self.car, number)
        )


# --- energy sites ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class EnergyNumberDescription(EnergyControlDescription, NumberEntityDescription):
    """A site percentage setting."""

    value_fn: Callable[[SiteInfo], float | None]
    field: str  # SiteInfo field shown at once after the command
    send_fn: Callable[[EnergySiteApi, float], Awaitable[CommandResult]]


ENERGY_NUMBERS: tuple[EnergyNumberDescription, ...] = (
    EnergyNumberDescription(
        key="backup_reserve",
        translation_key="backup_reserve",
        native_unit_of_measurement=PERCENTAGE,
        native_min_value=0,
        native_max_value=100,
        native_step=1,
        mode=NumberMode.SLIDER,
        value_fn=lambda info: info.backup_reserve_percent,
        field="backup_reserve_percent",
        send_fn=lambda api, v: api.backup(v),
    ),
    EnergyNumberDescription(
        key="off_grid_vehicle_charging_reserve",
        translation_key="off_grid_vehicle_charging_reserve",
        native_unit_of_measurement=PERCENTAGE,
        native_min_value=0,
        native_max_value=100,
        native_step=1,
        mode=NumberMode.SLIDER,
        value_fn=lambda info: info.off_grid_vehicle_charging_reserve_percent,
        field="off_grid_vehicle_charging_reserve_percent",
        send_fn=lambda api, v: api.off_grid_vehicle_charging_reserve(v),
        # HA core tesla_fleet/number.py: requires off_grid_vehicle_charging_reserve_supported.
        exists_fn=lambda info: info.off_grid_vehicle_charging_reserve_supported,
    ),
)


class EnergyNumber(EnergyControlEntity, NumberEntity):
    """A site percentage."""

    entity_description: EnergyNumberDescription

    def _update_attrs(self) -> None:
        info = self.info
        self._attr_native_value = (
            self.entity_description.value_fn(info) if info is not None else None
        )

    async def async_set_native_value(self, value: float) -> None:
        """Send; the API refuses a value outside 0-100 % before anything is sent."""
        desc = self.entity_description
        await self.async_send(
            desc.send_fn(self.coordinator.api, value), **{desc.field: round(value)}
        )
