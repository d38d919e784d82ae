"""Entity bases: one generic base over any coordinator, one per product kind."""

from __future__ import annotations

from typing import Any

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity, DataUpdateCoordinator

from .api.car_state import CarState
from .energy_coordinator import TeslaEnergySiteCoordinator
from .vehicle_coordinator import LOCATION_ENDPOINT, TeslaVehicleCoordinator, VehicleSnapshot

_NOTHING_KNOWN = CarState()


class TeslaEntity[CoordinatorT: DataUpdateCoordinator[Any]](CoordinatorEntity[CoordinatorT]):
    """Description-driven entity of one Tesla product (a car or an energy site).

    The unique id holds the account as well as the product, so a car shared by two accounts
    (owner and driver, one config entry each) gives two sets of entities, not a clash.
    """

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: CoordinatorT,
        description: EntityDescription,
        *,
        account_id: str,
        product_id: str,
        device_info: DeviceInfo,
    ) -> None:
        """Bind the description to one product of one account."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{account_id}-{product_id}-{description.key}"
        self._attr_device_info = device_info


class TeslaVehicleEntity(TeslaEntity[TeslaVehicleCoordinator]):
    """An entity of one car: reads the typed fields of the coordinator's car state."""

    # vehicle_data endpoints this entity's value comes from; the coordinator asks Tesla only
    # for the endpoints of entities that are enabled (added to Home Assistant).
    endpoints: frozenset[str] = frozenset()

    def __init__(
        self,
        coordinator: TeslaVehicleCoordinator,
        description: EntityDescription,
        *,
        endpoints: frozenset[str],
    ) -> None:
        """Bind the description to the coordinator's car."""
        super().__init__(
            coordinator,
            description,
            account_id=coordinator.account_id,
            product_id=coordinator.vin,
            device_info=coordinator.device_info,
        )
        self.endpoints = endpoints

    async def async_added_to_hass(self) -> None:
        """Tell the coordinator which data this entity needs while it exists."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_want_endpoints(self.endpoints))

    @property
    def available(self) -> bool:
        """Available until the data is truly stale; one failed poll is not news."""
        return self.coordinator.has_fresh_data

    @property
    def car(self) -> CarState:
        """What is known of the car (every field None until Tesla first answers)."""
        return self.coordinator.data.car if self.coordinator.data else _NOTHING_KNOWN


class TeslaRememberingVehicleEntity(TeslaVehicleEntity):
    """A car entity that keeps its last known value while the car has not answered.

    Subclasses read a snapshot in `_update_from` and bring back the stored state in
    `_async_restore` (they mix in the fitting `RestoreEntity`); this class decides when.
    """

    def _has_fetched(self) -> bool:
        """Whether this run has data from Tesla for every endpoint this entity reads.

        Location data arrives inside `drive_state`, so it is not a section of its own.
        """
        data: VehicleSnapshot | None = self.coordinator.data
        return data is not None and all(
            e == LOCATION_ENDPOINT or data.car.has(e) for e in self.endpoints
        )

    def _update_from(self, snapshot: VehicleSnapshot) -> None:
        """Set the entity's value from fetched data."""
        raise NotImplementedError

    async def _async_restore(self) -> None:
        """Bring back the value stored before Home Assistant restarted."""
        raise NotImplementedError

    def _read_value(self) -> None:
        if self._has_fetched():
            self._update_from(self.coordinator.data)

    async def async_added_to_hass(self) -> None:
        """Restore the last known value when the car has not answered yet (asleep at start)."""
        await super().async_added_to_hass()
        if self._has_fetched():
            # The coordinator already has data (the first poll ran before the entity was added).
            self._read_value()
        else:
            await self._async_restore()

    @callback
    def _handle_coordinator_update(self) -> None:
        self._read_value()
        super()._handle_coordinator_update()


class TeslaEnergySiteEntity(TeslaEntity[TeslaEnergySiteCoordinator]):
    """An entity of one energy site (or of one of its wall connectors)."""

    def __init__(
        self,
        coordinator: TeslaEnergySiteCoordinator,
        description: EntityDescription,
        *,
        product_id: str | None = None,
        device_info: DeviceInfo | None = None,
    ) -> None:
        """Bind the description to the site, or to a part of it (`product_id`, its device)."""
        super().__init__(
            coordinator,
            description,
            account_id=coordinator.account_id,
            product_id=product_id or str(coordinator.site_id),
            device_info=device_info or coordinator.device_info,
        )

    @property
    def available(self) -> bool:
        """Available until the data is truly stale; one failed poll is not news."""
        return self.coordinator.data is not None and not self.coordinator.is_stale
