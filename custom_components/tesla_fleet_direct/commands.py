"""The one place a command runs: wake if needed, send, turn Tesla's answer into HA's terms.

Entities and actions call `VehicleCommander.async_send` (vehicles) or `async_energy_command`
(energy sites); nothing else talks to the command endpoints, so waking, retrying and error
wording are the same everywhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.util.hass_dict import HassKey

from .api.signing import SigningError
from .const import DOMAIN, LOGGER
from .signing_repairs import (
    async_clear_key_not_paired_issue,
    async_create_key_not_paired_issue,
    async_signing_error,
)

# Reasons Tesla gives with `result: false` that mean "the car is already as you asked".
BENIGN_REASONS = frozenset({"already_set", "not_charging", "requested", "is_charging"})
# Reasons meaning the car only accepts signed commands.
SIGNING_REASONS = frozenset({"unsigned_cmds_hardlocked"})
# Waking: one wake_up, then the free state endpoint every few seconds for a bounded time.
# Bounded by a count, not a clock, so a stalled clock can never make the wait endless.
WAKE_POLL_INTERVAL = 5.0
WAKE_POLLS = 12  # 60 s; Tesla cars typically wake in 10-30 s

ONLINE = "online"
# One commander per car, shared by its entities and the actions (VIN -> commander).
COMMANDERS: HassKey[dict[str, VehicleCommander]] = HassKey(f"{DOMAIN}_commanders")


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """Tesla's answer to a command: `{"result": bool, "reason": str}`."""

    result: bool
    reason: str = ""


class CommandError(Exception):
    """Why the API could not run a command, in the categories this module acts on."""


class VehicleAsleepError(CommandError):
    """HTTP 408: the car is asleep or offline."""


class RateLimitedError(CommandError):
    """HTTP 429: too many requests; `retry_after` seconds until the next may go."""

    def __init__(self, retry_after: float | None) -> None:
        """Keep the wait Tesla asked for."""
        super().__init__(f"rate limited, retry after {retry_after}")
        self.retry_after = retry_after


class SigningRequiredError(CommandError):
    """HTTP 403: the car only accepts commands signed with a paired key."""


class VehicleCommandApi(Protocol):
    """What the commander needs from the vehicle API client."""

    async def async_state(self) -> str:
        """The free state check: online, asleep or offline (never wakes the car)."""

    async def async_wake_up(self) -> str:
        """Ask the car to wake; returns the state reported with the answer."""

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


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class VehicleCommander:
    """Runs commands for one car; waking is shared by everything that commands it."""

    def __init__(
        self,
        hass: HomeAssistant,
        api: VehicleCommandApi,
        car: CarIdentity,
        *,
        on_success: Callable[[], Awaitable[None]] | None = None,
        on_awake: Callable[[], None] | None = None,
        location: Callable[[], tuple[float, float] | None] | None = None,
    ) -> None:
        """`on_success` asks the coordinator for a confirming refresh."""
        self._hass = hass
        self._api = api
        self.car = car
        self._on_success = on_success
        self._on_awake = on_awake
        self._location = location
        self._wake: asyncio.Future[None] | None = None

    async def async_send(self, command: str, params: Mapping[str, Any] | None = None) -> None:
        """Wake the car if a fresh state check says so, run the command, map the answer."""
        with self._errors():
            if await self._api.async_state() != ONLINE:
                await self.async_wake_up()
            try:
                outcome = await self._api.async_command(command, params)
            except VehicleAsleepError:
                # The state check said online but the car fell asleep (or was misreported):
                # wake it and try exactly once more.
                LOGGER.debug("%s answered 408 to %s; waking and retrying", self.car.name, command)
                await self.async_wake_up()
                outcome = await self._api.async_command(command, params)
        self._check(command, outcome)
        if self.car.app_domain is not None:
            async_clear_key_not_paired_issue(self._hass, self.car.vin)
        if self._on_success is not None:
            await self._on_success()

    def location(self) -> tuple[float, float] | None:
        """Where the car last reported itself (HomeLink and schedules need it)."""
        return self._location() if self._location is not None else None

    async def async_wake_up(self) -> None:
        """Wake the car; concurrent callers share one wake and its bounded wait."""
        if self._wake is None:
            self._wake = self._hass.loop.create_future()
            try:
                with self._errors():
                    await self._async_wake()
            except BaseException as err:
                self._wake.set_exception(err)
                raise
            else:
                self._wake.set_result(None)
            finally:
                fut, self._wake = self._wake, None
                # Retrieve the result so an unshared failure is not reported as unhandled.
                if fut.done() and not fut.cancelled():
                    fut.exception()
            return
        await asyncio.shield(self._wake)

    async def _async_wake(self) -> None:
        state = await self._api.async_wake_up()
        for _ in range(WAKE_POLLS):
            if state == ONLINE:
                if self._on_awake is not None:
                    self._on_awake()
                return
            await asyncio.sleep(WAKE_POLL_INTERVAL)
            state = await self._api.async_state()
        if state == ONLINE:
            if self._on_awake is not None:
                self._on_awake()
            return
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="wake_timeout",
            translation_placeholders={
                "name": self.car.name,
                "seconds": _number(WAKE_POLL_INTERVAL * WAKE_POLLS),
            },
        )

    def _check(self, command: str, outcome: CommandOutcome) -> None:
        if outcome.result:
            return
        if outcome.reason in BENIGN_REASONS:
            LOGGER.debug("%s: %s counts as done (%s)", self.car.name, command, outcome.reason)
            return
        if outcome.reason in SIGNING_REASONS:
            raise self._signing_required()
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_failed",
            translation_placeholders={
                "name": self.car.name,
                "command": command,
                "reason": outcome.reason or "no reason given",
            },
        )

    def _signing_required(self) -> HomeAssistantError:
        async_create_key_not_paired_issue(
            self._hass,
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
        return _ErrorMapper(self._hass, self)


@callback
def async_register_commander(
    hass: HomeAssistant, entry: ConfigEntry[Any], commander: VehicleCommander
) -> VehicleCommander:
    """Make the car's commander findable by actions until the entry unloads."""
    commanders = hass.data.setdefault(COMMANDERS, {})
    vin = commander.car.vin
    commanders[vin] = commander

    @callback
    def _forget() -> None:
        if commanders.get(vin) is commander:
            del commanders[vin]

    entry.async_on_unload(_forget)
    return commander


@callback
def async_commander_for_device(hass: HomeAssistant, device_id: str) -> VehicleCommander:
    """The commander of the car an action targets (a device of this integration)."""
    device = dr.async_get(hass).async_get(device_id)
    commanders = hass.data.get(COMMANDERS, {})
    if device is not None:
        for domain, identifier in device.identifiers:
            if domain == DOMAIN and identifier in commanders:
                return commanders[identifier]
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="not_a_vehicle",
        translation_placeholders={"device_id": device_id},
    )


class _ErrorMapper:
    """Maps client and signing errors to the translated errors users see (one place)."""

    def __init__(self, hass: HomeAssistant, commander: VehicleCommander | None) -> None:
        self._hass = hass
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
                    self._hass,
                    err,
                    vin=car.vin,
                    name=car.name,
                    app_domain=car.app_domain,
                    is_owner=car.is_owner,
                )
            if isinstance(err, SigningRequiredError):
                return commander._signing_required()  # noqa: SLF001
            if isinstance(err, VehicleAsleepError):
                return HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="vehicle_asleep",
                    translation_placeholders={"name": car.name},
                )
        return map_command_error(err)


def map_command_error(err: Exception) -> HomeAssistantError | None:
    """The translated error for a failure that is not about one car's state."""
    if isinstance(err, RateLimitedError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="rate_limited",
            translation_placeholders={
                "seconds": _number(err.retry_after) if err.retry_after is not None else "60"
            },
        )
    if isinstance(err, CommandError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_error",
            translation_placeholders={"error": str(err)},
        )
    return None


async def async_energy_command(call: Awaitable[object]) -> None:
    """Run an energy-site command (sites never sleep), mapping failures for the user."""
    try:
        await call
    except HomeAssistantError:
        raise
    except Exception as err:
        if (mapped := map_command_error(err)) is not None:
            raise mapped from err
        raise
