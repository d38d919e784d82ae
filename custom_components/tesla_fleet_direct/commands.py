"""The one place a command runs: wake if needed, send, turn Tesla's answer into HA's terms.

Entities and actions call `VehicleCommander.async_send` (vehicles) or `async_energy_command`
(energy sites); nothing else talks to the command endpoints, so waking, retrying and error
wording are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
import re
import time
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util.hass_dict import HassKey

from .api.energy_data import SiteInfo
from .api.errors import (
    CommandFailedError,
    InvalidArgumentError,
    MissingScopeError,
    RateLimitedError,
    SigningRequiredError,
    TeslaConnectionError,
    TeslaFleetError,
    VehicleUnavailableError,
    WakeTimeoutError,
)
from .api.models import CommandResult
from .api.signing import SigningError
from .api.vehicle import VehicleApi
from .api.vehicle_data import VehicleConfig
from .const import DOMAIN, LOGGER
from .devices import async_listen_vehicles
from .energy_coordinator import TeslaEnergySiteCoordinator
from .energy_sites import async_listen_energy_sites
from .entity import TeslaEnergySiteEntity, TeslaVehicleEntity
from .polling import RateLimitGate
from .signing_repairs import (
    async_clear_key_not_paired_issue,
    async_create_key_not_paired_issue,
    async_signing_error,
)
from .vehicle_coordinator import LOCATION_ENDPOINT, TeslaVehicleCoordinator

# Reasons Tesla gives with `result: false` that mean "the car is already as you asked".
BENIGN_REASONS = frozenset({"already_set", "not_charging", "requested", "is_charging"})
# 17 capital letters and digits, never I, O or Q (ISO 3779), at least one letter.
VIN_PATTERN = re.compile(r"(?=.*[A-Z])[A-HJ-NPR-Z0-9]{17}")
# Reasons meaning the car only accepts signed commands.
SIGNING_REASONS = frozenset({"unsigned_cmds_hardlocked"})
type Updates = Mapping[str, Mapping[str, Any]]
# A car believed online is sent a command at once: one request, no state check. It is believed
# online for this long after it answered a command or a wake found it online, and while the
# coordinator's latest look found it online, until that look's successor is due (plus this long
# for a late timer). Any other car gets the free state check first and is woken only if it is
# not online. A 408 (asleep after all) wakes the car the same way and the command is tried once
# more. Guessing wrong costs one command request (1,000 per $1), less than the state check it
# saves on every press under the billed reading of the state endpoints (500 per $1).
ONLINE_TRUST_S = 60.0
# One commander per car and account, shared by its entities and the actions. Keyed by
# (entry id, VIN): a car shared by an owner and a driver account has one device per entry.
COMMANDERS: HassKey[dict[tuple[str, str], VehicleCommander]] = HassKey(f"{DOMAIN}_commanders")


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """Tesla's answer to a command: `{"result": bool, "reason": str}`."""

    result: bool
    reason: str = ""


class VehicleCommandApi(Protocol):
    """What the commander needs from the vehicle API client."""

    async def async_ensure_online(self) -> None:
        """Fresh (free) state check; if not online, wake (shared, bounded) and wait."""

    async def async_command(
        self, name: str, params: Mapping[str, Any] | None = None
    ) -> CommandOutcome:
        """Run one command (signed or plain, the client decides)."""


@dataclass(frozen=True, slots=True)
class CarIdentity:
    """What errors and repair issues say about the car."""

    vin: str
    name: str
    app_domain: str | None = None
    is_owner: bool = True


def require_range(value: float, minimum: float, maximum: float, *, field: str) -> None:
    """Refuse a value outside Tesla's range before anything is sent."""
    if not minimum <= value <= maximum:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="value_out_of_range",
            translation_placeholders={
                "field": field,
                "value": _number(value),
                "min": _number(minimum),
                "max": _number(maximum),
            },
        )


def require_whole(value: float, minimum: float, maximum: float, *, field: str) -> int:
    """A whole number in Tesla's range (percent, amps, mph), refused unsent otherwise."""
    require_range(value, minimum, maximum, field=field)
    if not float(value).is_integer():
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="whole_number_required",
            translation_placeholders={
                "field": field,
                "min": _number(minimum),
                "max": _number(maximum),
            },
        )
    return int(value)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class VehicleCommander:
    """Runs commands for one car (the client shares one wake per car among all callers)."""

    def __init__(
        self,
        hass: HomeAssistant,
        api: VehicleCommandApi,
        car: CarIdentity,
        *,
        on_success: Callable[[Updates | None], Awaitable[None]] | None = None,
        location: Callable[[], tuple[float, float] | None] | None = None,
        gate: RateLimitGate | None = None,
        online_until: Callable[[], float | None] | None = None,
    ) -> None:
        """`on_success(updates)` shows the command's effect at once and asks for a refresh.

        `gate` is the account's rate-limit gate: while Tesla asked the account to wait, no
        command is sent, and a 429 to a command closes it for polling too. `online_until()` is
        the time until which the car's polling vouches for it being online (None: it does not,
        e.g. its latest look found the car asleep).
        """
        self.hass = hass
        self._api = api
        self.car = car
        self._on_success = on_success
        self._location = location
        self._gate = gate
        self._online_until = online_until
        # When the car itself last answered a command, or a state check or wake found it online.
        self._answered_at: float | None = None

    def believed_online(self) -> bool:
        """Whether a command can go to the car at once (see `ONLINE_TRUST_S`)."""
        now = time.time()
        if self._answered_at is not None and now - self._answered_at <= ONLINE_TRUST_S:
            return True
        until = self._online_until() if self._online_until is not None else None
        return until is not None and now <= until

    async def async_send(
        self,
        command: str,
        params: Mapping[str, Any] | None = None,
        *,
        updates: Updates | None = None,
    ) -> None:
        """Run the command, waking the car first if it may be asleep; map the answer.

        A car believed online gets the command at once (one request); any other is checked
        first (free state check) and woken only if it is not online.
        `updates` are the vehicle data fields the command changes (by section); they are shown
        at once on success, before the confirming refresh.
        """
        with self._errors():
            self._check_gate()
            if not self.believed_online():
                await self._ensure_online()
            try:
                outcome = await self._command(command, params)
            except VehicleUnavailableError:
                # Asleep after all (it fell asleep since it was seen, or was misreported): the
                # state check wakes it only if it really is not online; try exactly once more.
                LOGGER.debug("%s answered 408 to %s; waking and retrying", self.car.name, command)
                self._answered_at = None
                await self._ensure_online()
                outcome = await self._command(command, params)
            # Whatever it said, the car answered: it is online.
            self._answered_at = time.time()
        self._check(command, outcome)
        if self.car.app_domain is not None:
            async_clear_key_not_paired_issue(self.hass, self.car.vin)
        if self._on_success is not None:
            await self._on_success(updates)

    async def _ensure_online(self) -> None:
        await self._api.async_ensure_online()
        self._answered_at = time.time()

    def _check_gate(self) -> None:
        if self._gate is not None and (wait := self._gate.remaining()) > 0:
            # Tesla counts requests sooner than Retry-After as faulty; refuse locally.
            raise RateLimitedError("account is rate limited", retry_after=wait)

    async def _command(self, command: str, params: Mapping[str, Any] | None) -> CommandOutcome:
        try:
            return await self._api.async_command(command, params)
        except RateLimitedError as err:
            if self._gate is not None and err.retry_after is not None:
                self._gate.block(err.retry_after)
            raise
        except CommandFailedError as err:
            # Whether the client raises or returns `result: false`, one rule decides.
            return CommandOutcome(False, err.reason)

    def location(self) -> tuple[float, float] | None:
        """Where the car last reported itself (HomeLink and schedules need it)."""
        return self._location() if self._location is not None else None

    async def async_wake_up(self) -> None:
        """Wake the car (if a fresh state check says it sleeps) and wait until it is online."""
        with self._errors():
            await self._ensure_online()
        if self._on_success is not None:
            await self._on_success(None)

    def _check(self, command: str, outcome: CommandOutcome) -> None:
        if not outcome.result and (error := self.refused(command, outcome.reason)) is not None:
            raise error

    def refused(self, command: str, reason: str) -> HomeAssistantError | None:
        """The error for `result: false` (None when the reason means it is done already)."""
        if reason in BENIGN_REASONS:
            LOGGER.debug("%s: %s counts as done (%s)", self.car.name, command, reason)
            return None
        if reason in SIGNING_REASONS:
            return self.signing_required()
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_failed",
            translation_placeholders={
                "name": self.car.name,
                "command": command,
                "reason": reason or "no reason given",
            },
        )

    def signing_required(self) -> HomeAssistantError:
        """File the repair issue with the signing steps; the error names where to look."""
        async_create_key_not_paired_issue(
            self.hass,
            vin=self.car.vin,
            name=self.car.name,
            app_domain=self.car.app_domain,
            is_owner=self.car.is_owner,
        )
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="signing_required",
            translation_placeholders={"name": self.car.name},
        )

    def _errors(self) -> _ErrorMapper:
        return _ErrorMapper(self)


@callback
def async_register_commander(
    hass: HomeAssistant, entry: ConfigEntry[Any], commander: VehicleCommander
) -> VehicleCommander:
    """Make the car's commander findable by actions until the entry unloads."""
    commanders = hass.data.setdefault(COMMANDERS, {})
    key = (entry.entry_id, commander.car.vin)
    commanders[key] = commander

    @callback
    def _forget() -> None:
        if commanders.get(key) is commander:
            del commanders[key]

    entry.async_on_unload(_forget)
    return commander


@callback
def async_commander_for_device(hass: HomeAssistant, device_id: str) -> VehicleCommander:
    """The commander of the car an action targets (a device of this integration).

    Any other device is refused by its name: an energy site, a wall connector, a device of
    another integration, or a car whose account is not loaded.
    """
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        raise _not_a_car("device_not_found", device_id=device_id)
    commanders = hass.data.get(COMMANDERS, {})
    ours = {identifier for domain, identifier in device.identifiers if domain == DOMAIN}
    for entry_id in _device_entry_ids(device):
        for identifier in ours:
            if (commander := commanders.get((entry_id, identifier))) is not None:
                return commander
    name = device.name_by_user or device.name or device_id
    if any(_looks_like_vin(identifier) for identifier in ours):
        raise _not_a_car("vehicle_not_loaded", name=name)
    raise _not_a_car("not_a_vehicle", name=name)


def _device_entry_ids(device: dr.BaseDeviceEntry) -> set[str]:
    """The config entries of a device: one, or several for a pre-split composite device id.

    A device belongs to one config entry (`config_entry_id`); only the read-only composite that
    an id from before Home Assistant split shared devices resolves to still names them all,
    and reading `config_entries` of any other device is deprecated (logged as a warning).
    """
    if device.is_composite_device:
        return set(device.config_entries)
    return {device.config_entry_id}


def _looks_like_vin(identifier: str) -> bool:
    """A car's identifier; site ids (digits only) and wall connector DINs are not VINs."""
    return VIN_PATTERN.fullmatch(identifier) is not None


def _not_a_car(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


class _ErrorMapper:
    """Maps client and signing errors to the translated errors users see (one place)."""

    def __init__(self, commander: VehicleCommander | None) -> None:
        self._commander = commander

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, err: BaseException | None, tb: object) -> None:
        if err is None or isinstance(err, HomeAssistantError):
            return
        if isinstance(err, Exception) and (mapped := self._map(err)) is not None:
            raise mapped from err

    def _map(self, err: Exception) -> HomeAssistantError | None:
        commander = self._commander
        if commander is not None:
            car = commander.car
            if isinstance(err, SigningError):
                return async_signing_error(
                    commander.hass,
                    err,
                    vin=car.vin,
                    name=car.name,
                    app_domain=car.app_domain,
                    is_owner=car.is_owner,
                )
            if isinstance(err, SigningRequiredError):
                return commander.signing_required()
            if isinstance(err, CommandFailedError):
                return commander.refused(err.command, err.reason)
            if isinstance(err, WakeTimeoutError):
                return HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="wake_timeout",
                    translation_placeholders={"name": car.name},
                )
            if isinstance(err, VehicleUnavailableError):
                return HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="vehicle_asleep",
                    translation_placeholders={"name": car.name},
                )
        return map_command_error(err)


def map_command_error(err: Exception) -> HomeAssistantError | None:
    """The translated error for a failure that is not about one car's state."""
    if isinstance(err, RateLimitedError):
        # Never suggest a retry sooner than Tesla asked; a minute when it did not say.
        seconds = err.retry_after if err.retry_after is not None else 60.0
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="rate_limited",
            translation_placeholders={"seconds": _number(round(seconds))},
        )
    if isinstance(err, InvalidArgumentError):
        # The client checked the value before sending anything.
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_argument",
            translation_placeholders={"error": str(err)},
        )
    if isinstance(err, MissingScopeError):
        return HomeAssistantError(translation_domain=DOMAIN, translation_key="scope_refused")
    if isinstance(err, TeslaConnectionError):
        return HomeAssistantError(translation_domain=DOMAIN, translation_key="command_no_answer")
    if isinstance(err, TeslaFleetError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_error",
            translation_placeholders={"error": str(err)},
        )
    return None


async def async_energy_command(call: Awaitable[object]) -> None:
    """Run an energy-site command (sites never sleep), mapping failures for the user."""
    with _ErrorMapper(None):
        await call


# --- entities -------------------------------------------------------------------------------

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
    exists_fn: Callable[[Mapping[str, Any]], bool] | None = None
    # Sections `exists_fn` reads besides `endpoints` (usually vehicle_config): asked for only
    # until the car's fittings are known.
    fitting_endpoints: frozenset[str] = frozenset()


def car_config(data: Mapping[str, Any]) -> VehicleConfig:
    """The car's `vehicle_config`, typed (every field None when it was not fetched)."""
    return VehicleConfig.parse(data.get("vehicle_config"))


def car_section(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """One section of the car's data as Tesla sent it (empty when not fetched)."""
    section = data.get(name)
    return section if isinstance(section, Mapping) else {}


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

    def field(self, section: str, name: str) -> Any:
        """One field of the latest vehicle data (None when unknown)."""
        return self.coordinator.data.value(section, name) if self.coordinator.data else None

    async def async_send(
        self, command: str, params: Mapping[str, Any] | None = None, **updates: Any
    ) -> None:
        """Run a command; `updates` (section -> fields) show its effect at once."""
        await self.commander.async_send(command, params, updates=updates or None)

    @callback
    def _handle_coordinator_update(self) -> None:
        self._update_attrs()
        super()._handle_coordinator_update()

    def _update_attrs(self) -> None:
        """Read the entity's state from the vehicle data (platforms override)."""


class ClientCommandApi:
    """Adapts the Fleet API client's vehicle (`client.vehicle(vin)`) to the commander."""

    def __init__(self, vehicle: VehicleApi) -> None:
        """One car of the account's client."""
        self._vehicle = vehicle

    async def async_ensure_online(self) -> None:
        """The client checks the free state first and wakes only a car that is not online."""
        await self._vehicle.wait_until_online()

    async def async_command(
        self, name: str, params: Mapping[str, Any] | None = None
    ) -> CommandOutcome:
        """Run the command; the client signs it when the car requires that."""
        answer = await self._vehicle.command(name, params)
        return CommandOutcome(answer.result, answer.reason)


def _command_api(
    entry: ConfigEntry[Any], coordinator: TeslaVehicleCoordinator
) -> VehicleCommandApi:
    """The car's command path from the entry's Fleet API client."""
    client = entry.runtime_data.client
    return ClientCommandApi(client.vehicle(coordinator.vin))


@callback
def async_vehicle_commander(
    hass: HomeAssistant, entry: ConfigEntry[Any], coordinator: TeslaVehicleCoordinator
) -> VehicleCommander:
    """The car's one commander (created with the first control that needs it)."""
    commanders = hass.data.setdefault(COMMANDERS, {})
    if (existing := commanders.get((entry.entry_id, coordinator.vin))) is not None:
        return existing
    name = str(coordinator.device_info.get("name") or coordinator.vin)

    def location() -> tuple[float, float] | None:
        drive = (coordinator.data.data if coordinator.data else {}).get("drive_state") or {}
        lat, lon = drive.get("latitude"), drive.get("longitude")
        return (float(lat), float(lon)) if lat is not None and lon is not None else None

    def online_until() -> float | None:
        # The coordinator's latest look (state check or data read) vouches for an online car
        # until its next look is due, with a minute's grace for a late timer.
        snapshot, seen = coordinator.data, coordinator.last_success_at
        if snapshot is None or not snapshot.online or seen is None:
            return None
        interval = coordinator.update_interval
        return seen + (interval.total_seconds() if interval else 0.0) + ONLINE_TRUST_S

    commander = VehicleCommander(
        hass,
        _command_api(entry, coordinator),
        CarIdentity(
            vin=coordinator.vin,
            name=name,
            app_domain=getattr(entry.runtime_data, "app_domain", None),
            is_owner=getattr(entry.runtime_data, "is_owner", True),
        ),
        on_success=coordinator.async_command_sent,
        location=location,
        gate=coordinator.polling.gate,
        online_until=online_until,
    )
    return async_register_commander(hass, entry, commander)


@callback
def async_add_vehicle_controls[D: VehicleControlDescription](
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
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
            data = snapshot.data if snapshot else {}
            if not data:
                return
            answered = snapshot is not None and (snapshot.data_time or 0.0) >= asked_at
            if not answered and not sections <= data.keys():
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
                if d.exists_fn is not None and d.exists_fn(data)
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
        with _ErrorMapper(None):
            result = await call
        if not result.ok:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_failed",
                translation_placeholders={
                    "name": self.coordinator.site_name or str(self.coordinator.site_id),
                    "command": self.entity_description.key,
                    "reason": result.reason or "no reason given",
                },
            )
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
    entry: ConfigEntry[Any],
    descriptions: Iterable[D],
    factory: Callable[[TeslaEnergySiteCoordinator, D], Entity],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a platform's site controls when the user granted `energy_cmds`."""
    if SCOPE_ENERGY_CMDS not in getattr(entry.runtime_data, "scopes", ()):
        return
    descriptions = tuple(descriptions)

    @callback
    def _add(coordinator: TeslaEnergySiteCoordinator) -> None:
        info = coordinator.data.info if coordinator.data else None
        async_add_entities(
            factory(coordinator, d) for d in descriptions if info is None or d.exists_fn(info)
        )

    async_listen_energy_sites(hass, entry, _add)
