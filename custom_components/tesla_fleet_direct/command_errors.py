"""A command's failures in Home Assistant's terms: the one place API errors become user errors.

Polling failures go the other way, through `update_failures.py`. Refused input raises a
translated `ServiceValidationError` before anything is sent; anything Tesla or the network
refused raises a translated `HomeAssistantError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

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
from .const import DOMAIN, LOGGER
from .signing_repairs import async_create_key_not_paired_issue, async_signing_error

# Reasons meaning the car only accepts signed commands.
SIGNING_REASONS = frozenset({"unsigned_cmds_hardlocked"})
# The wait suggested after a 429 that named none.
RATE_LIMIT_FALLBACK_S = 60.0


@dataclass(frozen=True, slots=True)
class CarIdentity:
    """What errors and repair issues say about the car."""

    vin: str
    name: str
    app_domain: str | None = None
    is_owner: bool = True


def require_range(value: float, minimum: float, maximum: float, *, field: str) -> None:
    """Refuse a value outside the range the car reports before anything is sent."""
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
    """A whole number in the car's range (percent, amps, mph), refused unsent otherwise."""
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


class CommandErrors:
    """Maps what a command to one car or site raised to the translated error users see.

    Used as a context manager around the request(s); `check(result)` turns Tesla's
    `result: false` into an error unless its reason is one of the API's benign reasons.
    """

    def __init__(self, hass: HomeAssistant, name: str, car: CarIdentity | None = None) -> None:
        """`name` is what messages call the target; `car` adds the car-only mappings."""
        self._hass = hass
        self._name = name
        self._car = car

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        err: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if err is None or isinstance(err, HomeAssistantError) or not isinstance(err, Exception):
            return
        if (mapped := self.error_for(err)) is not None:
            raise mapped from err

    def check(self, result: CommandResult) -> None:
        """Raise for `result: false`, unless Tesla's reason means it is done already."""
        if result.ok:
            if not result.result:
                LOGGER.debug(
                    "%s: %s counts as done (%s)", self._name, result.command, result.reason
                )
            return
        raise self.refused(result.command, result.reason)

    def refused(self, command: str, reason: str) -> HomeAssistantError:
        """The error for a command Tesla refused with `reason` (not a benign one)."""
        if reason in SIGNING_REASONS and self._car is not None:
            return self.signing_required()
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_failed",
            translation_placeholders={
                "name": self._name,
                "command": command,
                "reason": reason or "no reason given",
            },
        )

    def signing_required(self) -> HomeAssistantError:
        """File the car's repair issue with the signing steps; the error names where to look."""
        car = self._car
        assert car is not None
        async_create_key_not_paired_issue(
            self._hass,
            vin=car.vin,
            name=car.name,
            app_domain=car.app_domain,
            is_owner=car.is_owner,
        )
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="signing_required",
            translation_placeholders={"name": car.name},
        )

    def error_for(self, err: Exception) -> HomeAssistantError | None:
        """The translated error for `err` (None: not an error of the client or signer)."""
        car = self._car
        if car is not None:
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
                return self.signing_required()
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
        if isinstance(err, CommandFailedError):
            return self.refused(err.command, err.reason)
        return account_error(err)


def account_error(err: Exception) -> HomeAssistantError | None:
    """The translated error for a failure that is not about one car's state."""
    if isinstance(err, RateLimitedError):
        # Never suggest a retry sooner than Tesla asked; a minute when it did not say.
        seconds = err.retry_after if err.retry_after is not None else RATE_LIMIT_FALLBACK_S
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
