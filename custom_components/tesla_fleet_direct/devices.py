"""The account's cars as devices: added when they appear in the products list, removed when gone.

Platforms subscribe once (`async_listen_vehicles`) and get a call per car now and per car that
appears later, so a new car needs no restart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_call_later

from .const import DOMAIN, LOGGER
from .vehicle_coordinator import TeslaVehicleCoordinator

if TYPE_CHECKING:
    # models imports this module (VehicleFleet is part of the runtime data).
    from . import models

NEW_VEHICLE_DELAY_S = 2.0

# The platforms import the entry type from here; it is the one defined in models.
type TeslaFleetDirectConfigEntry = models.TeslaFleetDirectConfigEntry
type VehicleListener = Callable[[TeslaVehicleCoordinator], None]
type CoordinatorFactory = Callable[[Mapping[str, Any]], TeslaVehicleCoordinator]


class VehicleFleet:
    """The coordinators of one account's cars, by VIN."""

    def __init__(
        self, hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry, factory: CoordinatorFactory
    ) -> None:
        """Start empty; `async_sync` fills it from the products list."""
        self.hass = hass
        self.entry = entry
        self._factory = factory
        self.coordinators: dict[str, TeslaVehicleCoordinator] = {}
        self._listeners: list[VehicleListener] = []
        self._started = False

    @callback
    def async_listen(self, listener: VehicleListener) -> Callable[[], None]:
        """Call `listener` for every car now and for every car added later."""
        for coordinator in self.coordinators.values():
            listener(coordinator)
        self._listeners.append(listener)

        @callback
        def _remove() -> None:
            self._listeners.remove(listener)

        return _remove

    @callback
    def async_sync(self, products: Iterable[Mapping[str, Any]]) -> list[TeslaVehicleCoordinator]:
        """Match the coordinators to the products list's vehicles; returns the new ones.

        A car that left the account loses its device (and so its entities) for this entry.
        """
        vehicles = {str(p["vin"]): p for p in products if p.get("vin")}
        added: list[TeslaVehicleCoordinator] = []
        for vin, product in vehicles.items():
            if vin in self.coordinators:
                continue
            coordinator = self._factory(product)
            self.coordinators[vin] = coordinator
            added.append(coordinator)
            for listener in list(self._listeners):
                listener(coordinator)
            if self._started:
                # A moment later, so the new entities have registered the data they need.
                self._first_poll_later(coordinator)
        for vin in set(self.coordinators) - set(vehicles):
            coordinator = self.coordinators.pop(vin)
            self._remove_device(coordinator)
        return added

    @callback
    def async_start(self) -> None:
        """First poll of every car, in the background: set-up never waits on a car.

        Called once the platforms have added their entities, so the first data request
        already asks for everything the enabled entities show.
        """
        self._started = True
        for coordinator in self.coordinators.values():
            self.entry.async_create_background_task(
                self.hass, coordinator.async_refresh(), f"{DOMAIN} first poll"
            )

    def _first_poll_later(self, coordinator: TeslaVehicleCoordinator) -> None:
        @callback
        def _poll(_now: Any) -> None:
            self.entry.async_create_background_task(
                self.hass, coordinator.async_refresh(), f"{DOMAIN} new vehicle"
            )

        self.entry.async_on_unload(async_call_later(self.hass, NEW_VEHICLE_DELAY_S, _poll))

    def _remove_device(self, coordinator: TeslaVehicleCoordinator) -> None:
        registry = dr.async_get(self.hass)
        device = registry.async_get_device_by_identifier(
            (DOMAIN, coordinator.vin), self.entry.entry_id
        )
        if device is not None:
            LOGGER.info("A car left the Tesla account; removing its device")
            registry.async_remove_device(device.id)
        # Its entities go with the device; stop the timer so nothing polls a car we lost.
        self.entry.async_create_background_task(
            self.hass, coordinator.async_shutdown(), f"{DOMAIN} forget vehicle"
        )


class _HasVehicles(Protocol):
    vehicles: VehicleFleet


def vehicle_fleet(entry: TeslaFleetDirectConfigEntry) -> VehicleFleet:
    """The entry's cars (runtime data carries a `vehicles: VehicleFleet`)."""
    data: _HasVehicles = entry.runtime_data
    return data.vehicles


@callback
def async_listen_vehicles(
    hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry, listener: VehicleListener
) -> None:
    """For a platform: `listener` for every car now and later, until the entry unloads."""
    entry.async_on_unload(vehicle_fleet(entry).async_listen(listener))
