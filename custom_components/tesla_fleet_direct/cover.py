"""Covers: windows (vent/close), frunk (open), trunk, charge port door, sunroof (if fitted)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from homeassistant.components.cover import (
    CoverDeviceClass,
    CoverEntity,
    CoverEntityDescription,
    CoverEntityFeature,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api.car_state import CarState
from .api.vehicle_commands import VehicleCommands
from .command_runner import Updates, VehicleCall
from .const import DOMAIN
from .control_entity import (
    CHARGING_SCOPES,
    VehicleControlDescription,
    VehicleControlEntity,
    async_add_vehicle_controls,
)
from .devices import TeslaFleetDirectConfigEntry

PARALLEL_UPDATES = 0

WINDOWS = ("fd_window", "fp_window", "rd_window", "rp_window")

type Action = Callable[[VehicleCover], tuple[VehicleCall, Updates]]


@dataclass(frozen=True, kw_only=True)
class VehicleCoverDescription(VehicleControlDescription, CoverEntityDescription):
    """Something on the car that opens; `close` is None where Tesla cannot close it."""

    value_fn: Callable[[CarState], bool | None]  # closed?
    open: Action
    close: Action | None = None


def _shut(position: int | None) -> bool | None:
    # Doors, windows and trunks: 0 closed, anything else (1, or a vent position) open.
    return None if position is None else position == 0


def _windows_closed(car: CarState) -> bool | None:
    # Tesla reports doors, windows and trunks in vehicle_state.
    state = car.vehicle
    values = [state.fd_window, state.fp_window, state.rd_window, state.rp_window]
    if any(v is None for v in values):
        return None
    return all(v == 0 for v in values)


def _windows(command: Literal["vent", "close"], position: int) -> Action:
    def action(entity: VehicleCover) -> tuple[VehicleCall, Updates]:
        # Closing needs the car's position (Tesla checks it is near); venting does not care.
        here = entity.commander.location()
        if here is None and command == "close":
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="windows_need_location"
            )
        lat, lon = here if here is not None else (None, None)
        return (
            lambda car: car.window_control(command, lat, lon),
            {"vehicle_state": dict.fromkeys(WINDOWS, position)},
        )

    return action


def _fixed(call: VehicleCall, updates: Updates) -> Action:
    return lambda entity: (call, updates)


def _trunk(entity: VehicleCover) -> tuple[VehicleCall, Updates]:
    # actuate_trunk toggles the rear trunk; the caller only sends it when a change is wanted.
    closed = entity.is_closed
    return lambda car: car.actuate_trunk("rear"), {"vehicle_state": {"rt": 1 if closed else 0}}


def _sunroof(state: Literal["vent", "close"]) -> Action:
    return _fixed(
        lambda car: car.sun_roof_control(state),
        {"vehicle_state": {"sun_roof_state": "vent" if state == "vent" else "closed"}},
    )


def _has_sunroof(car: CarState) -> bool:
    # vehicle_config.sun_roof_installed (as HA core teslemetry/cover.py checks it).
    return car.config.has_sun_roof


VEHICLE_COVERS: tuple[VehicleCoverDescription, ...] = (
    VehicleCoverDescription(
        key="windows",
        translation_key="windows",
        device_class=CoverDeviceClass.WINDOW,
        endpoints=frozenset({"vehicle_state"}),
        value_fn=_windows_closed,
        open=_windows("vent", 1),
        close=_windows("close", 0),
    ),
    VehicleCoverDescription(
        key="frunk",
        translation_key="frunk",
        device_class=CoverDeviceClass.DOOR,
        endpoints=frozenset({"vehicle_state"}),
        value_fn=lambda car: _shut(car.vehicle.ft),
        open=_fixed(lambda car: car.actuate_trunk("front"), {"vehicle_state": {"ft": 1}}),
    ),
    VehicleCoverDescription(
        key="trunk",
        translation_key="trunk",
        device_class=CoverDeviceClass.DOOR,
        endpoints=frozenset({"vehicle_state"}),
        value_fn=lambda car: _shut(car.vehicle.rt),
        open=_trunk,
        close=_trunk,
    ),
    VehicleCoverDescription(
        key="charge_port_door",
        translation_key="charge_port_door",
        device_class=CoverDeviceClass.DOOR,
        scopes=CHARGING_SCOPES,
        endpoints=frozenset({"charge_state"}),
        value_fn=lambda car: (
            None if (door_open := car.charge.charge_port_door_open) is None else not door_open
        ),
        open=_fixed(
            VehicleCommands.charge_port_door_open,
            {"charge_state": {"charge_port_door_open": True}},
        ),
        close=_fixed(
            VehicleCommands.charge_port_door_close,
            {"charge_state": {"charge_port_door_open": False}},
        ),
    ),
    VehicleCoverDescription(
        key="sunroof",
        translation_key="sunroof",
        device_class=CoverDeviceClass.WINDOW,
        endpoints=frozenset({"vehicle_state"}),
        fitting_endpoints=frozenset({"vehicle_config"}),
        value_fn=lambda car: (
            None if (roof := car.vehicle.sun_roof_state) is None else roof == "closed"
        ),
        open=_sunroof("vent"),
        close=_sunroof("close"),
        exists_fn=_has_sunroof,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaFleetDirectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the covers of every car the granted scopes allow."""
    async_add_vehicle_controls(hass, entry, VEHICLE_COVERS, VehicleCover, async_add_entities)


class VehicleCover(VehicleControlEntity, CoverEntity):
    """Something on the car that opens (and, where Tesla can, closes)."""

    entity_description: VehicleCoverDescription

    def __init__(self, *args: Any) -> None:
        """Offer close only where Tesla can close it."""
        super().__init__(*args)
        features = CoverEntityFeature.OPEN
        if self.entity_description.close is not None:
            features |= CoverEntityFeature.CLOSE
        self._attr_supported_features = features

    def _update_attrs(self) -> None:
        self._attr_is_closed = self.entity_description.value_fn(self.car)

    async def async_open_cover(self, **kwargs: Any) -> None:
        """Open (vent the windows)."""
        if self.is_closed is False and self.entity_description.key == "trunk":
            return  # the trunk command toggles: never close what the user asked to open
        call, updates = self.entity_description.open(self)
        await self.async_send(call, **updates)

    async def async_close_cover(self, **kwargs: Any) -> None:
        """Close."""
        if (close := self.entity_description.close) is None:
            return
        if self.is_closed is True and self.entity_description.key == "trunk":
            return
        call, updates = close(self)
        await self.async_send(call, **updates)
