"""Update: the car's pending software update; install schedules it in the car."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.components.update import (
    UpdateEntity,
    UpdateEntityDescription,
    UpdateEntityFeature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api.vehicle_data import SoftwareUpdate
from .control_entity import (
    VehicleControlDescription,
    VehicleControlEntity,
    async_add_vehicle_controls,
)
from .devices import TeslaFleetDirectConfigEntry
from .vehicle_coordinator import software_version

PARALLEL_UPDATES = 0

# software_update.status values that mean an update is waiting or under way.
PENDING = frozenset({"available", "scheduled", "downloading", "downloading_wifi_wait"})
INSTALLING = "installing"
# The car starts a scheduled update this long after the command (it needs the driver out).
INSTALL_DELAY_S = 0


@dataclass(frozen=True, kw_only=True)
class VehicleUpdateDescription(VehicleControlDescription, UpdateEntityDescription):
    """The car's software."""


SOFTWARE = VehicleUpdateDescription(
    key="software", translation_key="software", endpoints=frozenset({"vehicle_state"})
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaFleetDirectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the software update of every car the granted scopes allow."""
    async_add_vehicle_controls(hass, entry, (SOFTWARE,), VehicleUpdate, async_add_entities)


class VehicleUpdate(VehicleControlEntity, UpdateEntity):
    """Shows a waiting update and its progress; install schedules it now."""

    entity_description: VehicleUpdateDescription
    _attr_supported_features = UpdateEntityFeature.INSTALL | UpdateEntityFeature.PROGRESS

    @property
    def _update(self) -> SoftwareUpdate:
        return self.car.vehicle.software_update

    def _update_attrs(self) -> None:
        update = self._update
        installed = software_version(self.car.vehicle.car_version)
        self._attr_installed_version = installed
        status = update.status
        if status in PENDING or status == INSTALLING:
            self._attr_latest_version = software_version(update.version) or installed
        else:
            self._attr_latest_version = installed
        # Home Assistant's "in progress" means installing; a scheduled update still waits.
        self._attr_in_progress = status == INSTALLING
        self._attr_update_percentage = update.install_perc if status == INSTALLING else None

    async def async_install(self, version: str | None, backup: bool, **kwargs: Any) -> None:
        """Schedule the update in the car (it installs when the car is parked and empty)."""
        await self.async_send(
            lambda car: car.schedule_software_update(INSTALL_DELAY_S),
            vehicle_state={"software_update": {**self._update.raw, "status": "scheduled"}},
        )
