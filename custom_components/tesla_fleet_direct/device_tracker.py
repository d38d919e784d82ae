"""Device trackers: where the car is and where its active route goes (location scope only)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.device_tracker.entity import TrackerEntity, TrackerEntityDescription
from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .api.car_state import CarState
from .devices import TeslaFleetDirectConfigEntry, async_listen_vehicles
from .entity import TeslaRememberingVehicleEntity
from .vehicle_coordinator import LOCATION_ENDPOINT, TeslaVehicleCoordinator, VehicleSnapshot

PARALLEL_UPDATES = 0

ENDPOINTS = frozenset({"drive_state", LOCATION_ENDPOINT})


@dataclass(frozen=True, kw_only=True)
class TeslaTrackerEntityDescription(TrackerEntityDescription):
    """Where the tracker's position comes from."""

    value_fn: Callable[[CarState], tuple[float, float] | None]


def _route(car: CarState) -> tuple[float, float] | None:
    """The active route's destination.

    Newer firmware sends the car's own position as the route's when no route is set; only a
    destination makes it a route (real captures, tests/fixtures/real/README.md).
    """
    location = car.location
    lat, lon = location.active_route_latitude, location.active_route_longitude
    if not location.active_route_destination or lat is None or lon is None:
        return None
    return lat, lon


TRACKERS: tuple[TeslaTrackerEntityDescription, ...] = (
    TeslaTrackerEntityDescription(
        key="location",
        translation_key="location",
        value_fn=lambda car: car.location.coordinates,
    ),
    TeslaTrackerEntityDescription(key="route", translation_key="route", value_fn=_route),
)


class TeslaVehicleTracker(TeslaRememberingVehicleEntity, TrackerEntity, RestoreEntity):
    """A position from the car's drive state; the last known one while it sleeps."""

    entity_description: TeslaTrackerEntityDescription

    def __init__(
        self, coordinator: TeslaVehicleCoordinator, description: TeslaTrackerEntityDescription
    ) -> None:
        """Bind to the car."""
        self._position: tuple[float, float] | None = None
        super().__init__(coordinator, description, endpoints=ENDPOINTS)

    def _update_from(self, snapshot: VehicleSnapshot) -> None:
        self._position = self.entity_description.value_fn(snapshot.car)

    async def _async_restore(self) -> None:
        if (last := await self.async_get_last_state()) is None:
            return
        lat, lon = last.attributes.get(ATTR_LATITUDE), last.attributes.get(ATTR_LONGITUDE)
        if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
            self._position = (float(lat), float(lon))

    @property
    def latitude(self) -> float | None:
        """Latitude of the car (or of the route's destination)."""
        return self._position[0] if self._position else None

    @property
    def longitude(self) -> float | None:
        """Longitude of the car (or of the route's destination)."""
        return self._position[1] if self._position else None


def vehicle_trackers(coordinator: TeslaVehicleCoordinator) -> list[TeslaVehicleTracker]:
    """Trackers exist only when the user granted the location scope."""
    if not (coordinator.data_allowed and coordinator.location_allowed):
        return []
    return [TeslaVehicleTracker(coordinator, description) for description in TRACKERS]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaFleetDirectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add trackers for every car now and for cars that appear later."""

    @callback
    def add_vehicle(coordinator: TeslaVehicleCoordinator) -> None:
        async_add_entities(vehicle_trackers(coordinator))

    async_listen_vehicles(hass, entry, add_vehicle)
