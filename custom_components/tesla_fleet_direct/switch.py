"""Switches: charging, sentry mode, defrost, valet mode, automatic seat and wheel heat."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api.car_state import CarState
from .api.energy import EnergySiteApi
from .api.energy_data import SiteInfo
from .api.models import CommandResult
from .api.vehicle_commands import SeatCooler, VehicleCommands
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

CHARGING_STATES = frozenset({"Charging", "Starting"})


@dataclass(frozen=True, kw_only=True)
class VehicleSwitchDescription(VehicleControlDescription, SwitchEntityDescription):
    """A car setting with an on and an off command."""

    value_fn: Callable[[CarState], bool | None]
    # The field the commands change (shown at once after one).
    section: str
    field: str
    # the typed command for on (True) / off (False)
    send_fn: Callable[[VehicleCommands, bool], Awaitable[CommandResult]]
    # the field value to show at once after the command
    shown_fn: Callable[[bool], Any] = lambda on: on


VEHICLE_SWITCHES: tuple[VehicleSwitchDescription, ...] = (
    VehicleSwitchDescription(
        key="charge",
        translation_key="charge",
        scopes=CHARGING_SCOPES,
        endpoints=frozenset({"charge_state"}),
        value_fn=lambda car: (
            None if (state := car.charge.charging_state) is None else state in CHARGING_STATES
        ),
        section="charge_state",
        field="charging_state",
        send_fn=lambda car, on: car.charge_start() if on else car.charge_stop(),
        shown_fn=lambda on: "Starting" if on else "Stopped",
    ),
    VehicleSwitchDescription(
        key="sentry_mode",
        translation_key="sentry_mode",
        endpoints=frozenset({"vehicle_state"}),
        value_fn=lambda car: car.vehicle.sentry_mode,
        section="vehicle_state",
        field="sentry_mode",
        send_fn=VehicleCommands.set_sentry_mode,
        # Cars without cameras (the 2015 Model S) send neither sentry_mode nor
        # sentry_mode_available (tests/fixtures/real/models_2015_teslatte_*.json).
        exists_fn=lambda car: (
            car.vehicle.sentry_mode is not None and car.vehicle.sentry_mode_available is not False
        ),
    ),
    VehicleSwitchDescription(
        key="defrost",
        translation_key="defrost",
        endpoints=frozenset({"climate_state"}),
        value_fn=lambda car: None if (mode := car.climate.defrost_mode) is None else mode == 2,
        section="climate_state",
        field="defrost_mode",
        send_fn=VehicleCommands.set_preconditioning_max,
        shown_fn=lambda on: 2 if on else 0,
    ),
    VehicleSwitchDescription(
        key="valet_mode",
        translation_key="valet_mode",
        endpoints=frozenset({"vehicle_state"}),
        value_fn=lambda car: car.vehicle.valet_mode,
        section="vehicle_state",
        field="valet_mode",
        send_fn=lambda car, on: car.set_valet_mode(on),
    ),
    VehicleSwitchDescription(
        key="auto_seat_climate_left",
        translation_key="auto_seat_climate_left",
        endpoints=frozenset({"climate_state"}),
        value_fn=lambda car: car.climate.auto_seat_climate_left,
        section="climate_state",
        field="auto_seat_climate_left",
        send_fn=lambda car, on: car.remote_auto_seat_climate_request(SeatCooler.FRONT_LEFT, on),
        exists_fn=lambda car: car.climate.auto_seat_climate_left is not None,
    ),
    VehicleSwitchDescription(
        key="auto_seat_climate_right",
        translation_key="auto_seat_climate_right",
        endpoints=frozenset({"climate_state"}),
        value_fn=lambda car: car.climate.auto_seat_climate_right,
        section="climate_state",
        field="auto_seat_climate_right",
        send_fn=lambda car, on: car.remote_auto_seat_climate_request(SeatCooler.FRONT_RIGHT, on),
        exists_fn=lambda car: car.climate.auto_seat_climate_right is not None,
    ),
    VehicleSwitchDescription(
        key="auto_steering_wheel_heat",
        translation_key="auto_steering_wheel_heat",
        endpoints=frozenset({"climate_state"}),
        value_fn=lambda car: car.climate.auto_steering_wheel_heat,
        section="climate_state",
        field="auto_steering_wheel_heat",
        send_fn=VehicleCommands.remote_auto_steering_wheel_heat_climate_request,
        exists_fn=lambda car: car.climate.auto_steering_wheel_heat is not None,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaFleetDirectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the switches of every car the granted scopes allow."""
    async_add_vehicle_controls(hass, entry, VEHICLE_SWITCHES, VehicleSwitch, async_add_entities)
    async_add_energy_controls(hass, entry, ENERGY_SWITCHES, EnergySwitch, async_add_entities)


class VehicleSwitch(VehicleControlEntity, SwitchEntity):
    """A car setting that is on or off."""

    entity_description: VehicleSwitchDescription

    def _update_attrs(self) -> None:
        self._attr_is_on = self.entity_description.value_fn(self.car)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Send the on command."""
        await self._switch(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Send the off command."""
        await self._switch(False)

    async def _switch(self, on: bool) -> None:
        desc = self.entity_description
        await self.async_send(
            lambda car: desc.send_fn(car, on), **{desc.section: {desc.field: desc.shown_fn(on)}}
        )


# --- energy sites ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class EnergySwitchDescription(EnergyControlDescription, SwitchEntityDescription):
    """A site setting that is on or off."""

    is_on_fn: Callable[[SiteInfo], bool | None]
    # The SiteInfo field and value shown at once, for on (True) / off (False).
    shown_fn: Callable[[bool], dict[str, Any]]
    send_fn: Callable[[EnergySiteApi, bool], Awaitable[CommandResult]]


ENERGY_SWITCHES: tuple[EnergySwitchDescription, ...] = (
    EnergySwitchDescription(
        key="storm_mode",
        translation_key="storm_mode",
        is_on_fn=lambda info: info.storm_mode_enabled,
        shown_fn=lambda on: {"storm_mode_enabled": on},
        send_fn=lambda api, on: api.storm_mode(on),
        # Only sites that offer Storm Watch (HA core tesla_fleet/switch.py storm_mode_capable).
        exists_fn=lambda info: info.storm_mode_capable,
    ),
    EnergySwitchDescription(
        key="allow_charging_from_grid",
        translation_key="allow_charging_from_grid",
        # Tesla stores the opposite ("disallow"); users think in "allow".
        is_on_fn=lambda info: (
            None
            if info.disallow_charge_from_grid_with_solar_installed is None
            else not info.disallow_charge_from_grid_with_solar_installed
        ),
        shown_fn=lambda on: {"disallow_charge_from_grid_with_solar_installed": not on},
        send_fn=lambda api, on: api.grid_import_export(
            disallow_charge_from_grid_with_solar_installed=not on
        ),
        # The setting is about charging the Powerwall from the grid when solar could do it
        # (HA core tesla_fleet/switch.py: battery and solar).
        exists_fn=lambda info: info.has_battery and info.has_solar,
    ),
)


class EnergySwitch(EnergyControlEntity, SwitchEntity):
    """A site setting that is on or off."""

    entity_description: EnergySwitchDescription

    def _update_attrs(self) -> None:
        info = self.info
        self._attr_is_on = self.entity_description.is_on_fn(info) if info is not None else None

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn the setting on."""
        await self._switch(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn the setting off."""
        await self._switch(False)

    async def _switch(self, on: bool) -> None:
        desc = self.entity_description
        await self.async_send(desc.send_fn(self.coordinator.api, on), **desc.shown_fn(on))
