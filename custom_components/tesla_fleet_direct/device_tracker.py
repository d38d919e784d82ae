"""Device trackers: where the car is and where its active route goes (location scope only)."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.device_tracker.entity import TrackerEntity, TrackerEntityDescription
from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .devices import TeslaFleetDirectConfigEntry, async_listen_vehicles
from .entity import TeslaRememberingVehicleEntity
from .vehicle_coordinator import LOCATION_ENDPOINT, TeslaVehicleCoordinator, VehicleSnapshot

PARALLEL_UPDATES = 0

ENDPOINTS = frozenset({"drive_state", LOCATION_ENDPOINT})


@dataclass(frozen=True, kw_only=True)
class TeslaTrackerEntityDescription(TrackerEntityDescription):
    """Which drive_state fields hold the coordinates."""

    latitude_key: str
    longitude_key: str
    # A drive_state field that must be non-empty for the coordinates to mean anything.
    requires_key: str | None = None


TRACKERS: tuple[TeslaTrackerEntityDescription, ...] = (
    TeslaTrackerEntityDescription(
        key="location",
        translation_key="location",
        latitude_key="latitude",
        longitude_key="longitude",
    ),
    TeslaTrackerEntityDescription(
        key="route",
        translation_key="route",
        latitude_key="active_route_latitude",
        longitude_key="active_route_longitude",
        # Newer firmware sends the car's own position as the route's when no route is set;
        # only a destination makes it a route (real captures, tests/fixtures/real/README.md).
        requires_key="active_route_destination",
    ),
)


def _coordinates(
    snapshot: VehicleSnapshot, description: TeslaTrackerEntityDescription
) -> tuple[float, float] | None:
    if description.requires_key and not snapshot.value("drive_state", description.requires_key):
        return None
    lat = snapshot.value("drive_state", description.latitude_key)
    lon = snapshot.value("drive_state", description.longitude_key)
    if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
        return float(lat), float(lon)
    return None


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
        self._position = _coordinates(snapshot, self.entity_description)

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
