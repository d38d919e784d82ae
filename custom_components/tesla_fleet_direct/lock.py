"""Locks: the doors, and the charge cable (Tesla can only release it remotely)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.lock import LockEntity, LockEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api.car_state import CarState
from .api.models import CommandResult
from .api.vehicle_commands import VehicleCommands
from .const import DOMAIN
from .control_entity import (
    CHARGING_SCOPES,
    VehicleControlDescription,
    VehicleControlEntity,
    async_add_vehicle_controls,
)
from .devices import TeslaFleetDirectConfigEntry

PARALLEL_UPDATES = 0


type LockCall = Callable[[VehicleCommands], Awaitable[CommandResult]]


@dataclass(frozen=True, kw_only=True)
class VehicleLockDescription(VehicleControlDescription, LockEntityDescription):
    """A lock read from one field; `lock` is None where Tesla has no remote lock command."""

    value_fn: Callable[[CarState], bool | None]
    # The field the commands change (shown at once after one).
    section: str
    field: str
    lock: tuple[LockCall, Any] | None  # typed command, value shown afterwards
    unlock: tuple[LockCall, Any]
    # Whether there is anything to lock right now (None: always).
    applies_fn: Callable[[CarState], bool] | None = None


def _cable_in(car: CarState) -> bool:
    """A cable is plugged in (Tesla: conn_charge_cable "<invalid>" and Disconnected without)."""
    if (cable := car.charge.conn_charge_cable) is not None:
        return cable not in ("", "<invalid>")
    return car.charge.charging_state not in (None, "Disconnected")


VEHICLE_LOCKS: tuple[VehicleLockDescription, ...] = (
    VehicleLockDescription(
        key="doors",
        translation_key="doors",
        endpoints=frozenset({"vehicle_state"}),
        value_fn=lambda car: car.vehicle.locked,
        section="vehicle_state",
        field="locked",
        lock=(VehicleCommands.door_lock, True),
        unlock=(VehicleCommands.door_unlock, False),
    ),
    VehicleLockDescription(
        key="charge_cable",
        translation_key="charge_cable",
        scopes=CHARGING_SCOPES,
        endpoints=frozenset({"charge_state"}),
        value_fn=lambda car: (
            None if (latch := car.charge.charge_port_latch) is None else latch == "Engaged"
        ),
        section="charge_state",
        field="charge_port_latch",
        # Opening the charge port door is how Tesla releases the latch.
        lock=None,
        unlock=(VehicleCommands.charge_port_door_open, "Disengaged"),
        # Without a cable the latch holds nothing: shown unavailable, not "unlocked" (which
        # Home Assistant's overview would count as an unlocked lock).
        applies_fn=_cable_in,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaFleetDirectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the locks of every car the granted scopes allow."""
    async_add_vehicle_controls(hass, entry, VEHICLE_LOCKS, VehicleLock, async_add_entities)


class VehicleLock(VehicleControlEntity, LockEntity):
    """A lock on the car."""

    entity_description: VehicleLockDescription

    def _update_attrs(self) -> None:
        self._attr_is_locked = self.entity_description.value_fn(self.car)

    @property
    def available(self) -> bool:
        """Available while the data is fresh and there is something to lock."""
        applies = self.entity_description.applies_fn
        return super().available and (applies is None or applies(self.car))

    async def async_lock(self, **kwargs: Any) -> None:
        """Lock (where Tesla can)."""
        desc = self.entity_description
        if desc.lock is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="charge_cable_lock_unsupported"
            )
        call, shown = desc.lock
        await self.async_send(call, **{desc.section: {desc.field: shown}})

    async def async_unlock(self, **kwargs: Any) -> None:
        """Unlock."""
        desc = self.entity_description
        call, shown = desc.unlock
        await self.async_send(call, **{desc.section: {desc.field: shown}})
