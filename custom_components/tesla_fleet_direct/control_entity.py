"""The bases of every control: car and site entities that send commands, and how they are added.

Platforms describe their controls with `VehicleControlDescription` / `EnergyControlDescription`
and add them with `async_add_vehicle_controls` / `async_add_energy_controls`, which gate them by
the granted scopes and by what the car or site has.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, replace
import time
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api.car_state import CarState
from .api.energy_data import SiteInfo
from .api.models import CommandResult
from .command_registry import async_vehicle_commander
from .command_runner import VehicleCall, VehicleCommander, async_run_site_command
from .devices import TeslaFleetDirectConfigEntry, async_listen_vehicles
from .energy_coordinator import TeslaEnergySiteCoordinator
from .energy_sites import async_listen_energy_sites
from .entity import TeslaEnergySiteEntity, TeslaVehicleEntity
from .vehicle_coordinator import LOCATION_ENDPOINT, TeslaVehicleCoordinator

SCOPE_VEHICLE_CMDS = "vehicle_cmds"
SCOPE_CHARGING_CMDS = "vehicle_charging_cmds"
SCOPE_ENERGY_CMDS = "energy_cmds"
# Tesla accepts charging commands with either scope; all other car commands need vehicle_cmds.
VEHICLE_SCOPES = frozenset({SCOPE_VEHICLE_CMDS})
CHARGING_SCOPES = frozenset({SCOPE_VEHICLE_CMDS, SCOPE_CHARGING_CMDS})
ENERGY_SCOPES = frozenset({SCOPE_ENERGY_CMDS})


@dataclass(frozen=True, kw_only=True)
class VehicleControlDescription(EntityDescription):
    """What every car control declares: the scopes that allow it and the data it reads."""

    scopes: frozenset[str] = VEHICLE_SCOPES
    endpoints: frozenset[str] = frozenset()
    # Whether this car has the thing at all (e.g. a sunroof); such controls are added once the
    # car's data is known. None: every car has it, added at once.
    exists_fn: Callable[[CarState], bool] | None = None
    # Sections `exists_fn` reads besides `endpoints` (usually vehicle_config): asked for only
    # until the car's fittings are known.
    fitting_endpoints: frozenset[str] = frozenset()


def granted(description: VehicleControlDescription, scopes: Collection[str]) -> bool:
    """Whether the user granted a scope that allows the control's commands."""
    return not description.scopes.isdisjoint(scopes)


class VehicleControlEntity(TeslaVehicleEntity):
    """A car entity that sends commands through the car's shared commander."""

    entity_description: VehicleControlDescription

    def __init__(
        self,
        coordinator: TeslaVehicleCoordinator,
        description: VehicleControlDescription,
        commander: VehicleCommander,
    ) -> None:
        """Bind to the car and its commander."""
        super().__init__(coordinator, description, endpoints=description.endpoints)
        self.commander = commander
        self._update_attrs()

    async def async_send(self, call: VehicleCall, **updates: Any) -> None:
        """Run a typed command; `updates` (section -> fields) show its effect at once."""
        await self.commander.async_send(call, updates=updates or None)

    @callback
    def _handle_coordinator_update(self) -> None:
        self._update_attrs()
        super()._handle_coordinator_update()

    def _update_attrs(self) -> None:
        """Read the entity's state from the vehicle data (platforms override)."""


@callback
def async_add_vehicle_controls[D: VehicleControlDescription](
    hass: HomeAssistant,
    entry: TeslaFleetDirectConfigEntry,
    descriptions: Iterable[D],
    factory: Callable[[TeslaVehicleCoordinator, D, VehicleCommander], Entity],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a platform's controls to every car (now and later) the granted scopes allow."""
    descriptions = tuple(descriptions)

    @callback
    def _add(coordinator: TeslaVehicleCoordinator) -> None:
        allowed = [d for d in descriptions if granted(d, coordinator.scopes)]
        if not allowed:
            return
        commander = async_vehicle_commander(hass, entry, coordinator)
        async_add_entities(
            factory(coordinator, d, commander) for d in allowed if d.exists_fn is None
        )
        optional = [d for d in allowed if d.exists_fn is not None]
        if optional:
            _add_when_known(coordinator, commander, optional)

    @callback
    def _add_when_known(
        coordinator: TeslaVehicleCoordinator, commander: VehicleCommander, optional: list[D]
    ) -> None:
        """Fittings (seats, sunroof, ...) are known from the car's first data answer."""
        remove: Callable[[], None] | None = None
        # Ask for the sections that tell the fittings until the controls exist.
        needed = frozenset().union(*(d.endpoints | d.fitting_endpoints for d in optional))
        unwant: Callable[[], None] | None = coordinator.async_want_endpoints(needed)
        asked_at = time.time()
        sections = needed - {LOCATION_ENDPOINT}

        @callback
        def _check() -> None:
            nonlocal remove, unwant
            snapshot = coordinator.data
            if snapshot is None or snapshot.car.empty:
                return
            car = snapshot.car
            answered = (snapshot.data_time or 0.0) >= asked_at
            if not answered and not all(car.has(section) for section in sections):
                # Data from before these sections were asked for: deciding now would leave out
                # what the car has (a missing section reads as "not fitted").
                return
            if remove is not None:
                remove()
                remove = None
            if unwant is not None:
                unwant()
                unwant = None
            async_add_entities(
                factory(coordinator, d, commander)
                for d in optional
                if d.exists_fn is not None and d.exists_fn(car)
            )

        @callback
        def _unload() -> None:
            if remove is not None:
                remove()
            if unwant is not None:
                unwant()

        remove = coordinator.async_add_listener(_check)
        entry.async_on_unload(_unload)
        _check()

    async_listen_vehicles(hass, entry, _add)


# --- energy sites ---------------------------------------------------------------------------


def _battery(info: SiteInfo) -> bool:
    return info.has_battery


@dataclass(frozen=True, kw_only=True)
class EnergyControlDescription(EntityDescription):
    """A site setting; `exists_fn` says whether the site has what it controls."""

    exists_fn: Callable[[SiteInfo], bool] = _battery


class EnergyControlEntity(TeslaEnergySiteEntity):
    """A site entity that changes a setting (sites never sleep: no waking)."""

    entity_description: EnergyControlDescription

    def __init__(
        self, coordinator: TeslaEnergySiteCoordinator, description: EnergyControlDescription
    ) -> None:
        """Bind to the site."""
        super().__init__(coordinator, description)
        self._update_attrs()

    @property
    def info(self) -> SiteInfo | None:
        """The site's latest settings."""
        return self.coordinator.data.info if self.coordinator.data else None

    async def async_send(self, call: Awaitable[CommandResult], **changes: Any) -> None:
        """Run the site command; show the changed settings at once, then re-read them."""
        name = self.coordinator.site_name or str(self.coordinator.site_id)
        await async_run_site_command(self.hass, name, call)
        if (data := self.coordinator.data) is not None and changes:
            self.coordinator.async_set_updated_data(
                replace(data, info=replace(data.info, **changes))
            )
        await self.coordinator.async_request_site_info_refresh()

    @callback
    def _handle_coordinator_update(self) -> None:
        self._update_attrs()
        super()._handle_coordinator_update()

    def _update_attrs(self) -> None:
        """Read the entity's state from the site info (platforms override)."""


@callback
def async_add_energy_controls[D: EnergyControlDescription](
    hass: HomeAssistant,
    entry: TeslaFleetDirectConfigEntry,
    descriptions: Iterable[D],
    factory: Callable[[TeslaEnergySiteCoordinator, D], Entity],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a platform's site controls when the user granted `energy_cmds`."""
    if SCOPE_ENERGY_CMDS not in entry.runtime_data.scopes:
        return
    descriptions = tuple(descriptions)

    @callback
    def _add(coordinator: TeslaEnergySiteCoordinator) -> None:
        info = coordinator.data.info if coordinator.data else None
        async_add_entities(
            factory(coordinator, d) for d in descriptions if info is None or d.exists_fn(info)
        )

    async_listen_energy_sites(hass, entry, _add)
