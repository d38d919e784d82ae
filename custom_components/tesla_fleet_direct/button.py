"""Buttons: wake up, lights, horn, HomeLink, keyless driving, boombox, favourites, refresh."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api.models import CommandResult
from .api.vehicle_commands import VehicleCommands
from .const import DOMAIN
from .control_entity import (
    VEHICLE_SCOPES,
    VehicleControlDescription,
    VehicleControlEntity,
    async_add_vehicle_controls,
)
from .devices import TeslaFleetDirectConfigEntry

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class VehicleButtonDescription(VehicleControlDescription, ButtonEntityDescription):
    """A one-shot action on the car."""

    press_fn: Callable[[VehicleButton], Awaitable[None]]


async def _homelink(entity: VehicleButton) -> None:
    # Tesla opens the garage only when the car is near it, so it wants the car's position.
    if (here := entity.commander.location()) is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="homelink_needs_location"
        )
    lat, lon = here
    await entity.async_send(lambda car: car.trigger_homelink(lat, lon))


async def _refresh(entity: VehicleButton) -> None:
    # Asks for data now (the coordinator decides what is free to fetch); never wakes the car.
    await entity.coordinator.async_request_refresh()


def _send(
    call: Callable[[VehicleCommands], Awaitable[CommandResult]],
) -> Callable[[VehicleButton], Awaitable[None]]:
    async def press(entity: VehicleButton) -> None:
        await entity.async_send(call)

    return press


async def _wake(entity: VehicleButton) -> None:
    # The commander asks the coordinator for a prompt refresh once the car is online.
    await entity.commander.async_wake_up()


VEHICLE_BUTTONS: tuple[VehicleButtonDescription, ...] = (
    VehicleButtonDescription(key="wake_up", translation_key="wake_up", press_fn=_wake),
    VehicleButtonDescription(
        key="flash_lights",
        translation_key="flash_lights",
        press_fn=_send(VehicleCommands.flash_lights),
    ),
    VehicleButtonDescription(
        key="honk", translation_key="honk", press_fn=_send(VehicleCommands.honk_horn)
    ),
    VehicleButtonDescription(
        key="homelink",
        translation_key="homelink",
        press_fn=_homelink,
        # The car's position comes with drive_state's location fields.
        endpoints=frozenset({"location_data"}),
        exists_fn=lambda car: bool(car.vehicle.homelink_device_count),
    ),
    VehicleButtonDescription(
        key="remote_start",
        translation_key="remote_start",
        press_fn=_send(VehicleCommands.remote_start_drive),
        exists_fn=lambda car: car.vehicle.remote_start_supported is not False,
    ),
    VehicleButtonDescription(
        key="boombox",
        translation_key="boombox",
        press_fn=_send(lambda car: car.remote_boombox(2000)),
        # A party trick: most users never want it on their dashboard.
        entity_registry_enabled_default=False,
    ),
    # Stepping through saved favourites from a dashboard is niche (the media player has
    # next/previous track for everyday use).
    VehicleButtonDescription(
        key="next_favorite",
        translation_key="next_favorite",
        press_fn=_send(VehicleCommands.media_next_fav),
        entity_registry_enabled_default=False,
    ),
    VehicleButtonDescription(
        key="previous_favorite",
        translation_key="previous_favorite",
        press_fn=_send(VehicleCommands.media_prev_fav),
        entity_registry_enabled_default=False,
    ),
    VehicleButtonDescription(
        key="refresh",
        translation_key="refresh",
        press_fn=_refresh,
        # Reading data needs no command scope, but the button belongs with the controls.
        scopes=VEHICLE_SCOPES | {"vehicle_device_data"},
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaFleetDirectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the buttons of every car the granted scopes allow."""
    async_add_vehicle_controls(hass, entry, VEHICLE_BUTTONS, VehicleButton, async_add_entities)


class VehicleButton(VehicleControlEntity, ButtonEntity):
    """Presses send one command."""

    entity_description: VehicleButtonDescription

    @property
    def available(self) -> bool:
        """Buttons work whenever the car can be woken, also with stale data."""
        return True

    async def async_press(self) -> None:
        """Run the button's action."""
        await self.entity_description.press_fn(self)
