"""One hierarchy for everything the Fleet API client raises.

Every error carries the HTTP status (None when no answer came), Tesla's error text and the
request path, so the integration can map it to Home Assistant's terms in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Tesla's texts that decide the class when the status alone does not.
VEHICLE_UNAVAILABLE_TEXT = "vehicle unavailable"
SIGNING_REQUIRED_TEXT = "vehicle command protocol required"
MISSING_SCOPES_TEXT = "missing scopes"
LOGIN_REQUIRED_TEXT = "login_required"
MOBILE_ACCESS_TEXT = "mobile_access_disabled"


class TeslaFleetError(Exception):
    """Root of the client's errors."""

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        error: str | None = None,
        description: str | None = None,
        path: str | None = None,
    ) -> None:
        """Keep what Tesla said and where; `message` defaults to Tesla's text."""
        self.status = status
        self.error = error
        self.description = description
        self.path = path
        super().__init__(message or error or type(self).__name__)


class InvalidArgumentError(TeslaFleetError, ValueError):
    """An argument was refused before anything was sent."""


class ResponseFormatError(TeslaFleetError):
    """The answer was not the JSON envelope Tesla documents (non-JSON, truncated, wrong shape)."""


class TeslaConnectionError(TeslaFleetError):
    """No answer: the connection failed or was closed."""


class TeslaTimeoutError(TeslaConnectionError):
    """No answer within the request timeout."""


class AuthenticationError(TeslaFleetError):
    """401: the access token was refused."""


class InvalidTokenError(AuthenticationError):
    """401 `invalid bearer token` / `token expired (401)`, still refused after one refresh."""


class LoginRequiredError(AuthenticationError):
    """401 `login_required`: the refresh token is gone; the user must sign in again."""


class MobileAccessDisabledError(AuthenticationError):
    """401 `mobile_access_disabled`: the owner turned off mobile access in the car."""


class PaymentRequiredError(TeslaFleetError):
    """402: the developer account is out of credit."""


class ForbiddenError(TeslaFleetError):
    """403 for a reason other than scopes or signing (e.g. unsupported vehicle)."""


class MissingScopeError(ForbiddenError):
    """403 `Unauthorized missing scopes`: the user did not grant the scope this call needs."""


class SigningRequiredError(ForbiddenError):
    """403: the car only accepts commands signed with the Vehicle Command Protocol."""


class NotFoundError(TeslaFleetError):
    """404: the vehicle or site is not on this account (any more)."""


class InvalidRequestError(TeslaFleetError):
    """400 or 422: Tesla refused the request or a field in it."""


class VehicleUnavailableError(TeslaFleetError):
    """408 (or 5xx with the same text): the car is asleep or offline. Not a failure."""


class WakeTimeoutError(VehicleUnavailableError):
    """The car did not come online within the allowed time after `wake_up`."""


class PreconditionFailedError(TeslaFleetError):
    """412: e.g. the app's domain is not registered in this region."""


class WrongRegionError(TeslaFleetError):
    """421 that persisted after re-resolving the region once."""


class AccountLockedError(TeslaFleetError):
    """423: the Tesla account is locked."""


class UpstreamError(TeslaFleetError):
    """424: Tesla's upstream answered something invalid."""


class PrivacyRestrictedError(TeslaFleetError):
    """451: the owner's privacy settings forbid this."""


class RateLimitedError(TeslaFleetError):
    """429: wait `retry_after` seconds (None when Tesla sent no usable header) before retrying."""

    def __init__(
        self,
        message: str = "",
        *,
        retry_after: float | None = None,
        status: int | None = 429,
        error: str | None = None,
        description: str | None = None,
        path: str | None = None,
    ) -> None:
        """Keep Tesla's requested wait."""
        super().__init__(message, status=status, error=error, description=description, path=path)
        self.retry_after = retry_after


class RateLimitWaitError(RateLimitedError):
    """Not sent: the account still waits out an earlier 429 (`retry_after` = the rest of it)."""


class ServerError(TeslaFleetError):
    """5xx: Tesla's server or the car timed out; retry later with backoff."""


class VehicleNotRespondingError(ServerError):
    """540: the car did not respond (it may be booting)."""


class CommandFailedError(TeslaFleetError):
    """A command answered `result: false` with a reason that is not benign."""

    def __init__(self, reason: str, *, command: str, path: str | None = None) -> None:
        """Keep Tesla's reason and the command name."""
        super().__init__(
            f"{command} failed: {reason or 'no reason given'}",
            status=200,
            error=reason,
            path=path,
        )
        self.reason = reason
        self.command = command


# Plain status -> class; 401, 403 and 408 are decided by text as well (see error_for_status).
_BY_STATUS: Mapping[int, type[TeslaFleetError]] = {
    400: InvalidRequestError,
    402: PaymentRequiredError,
    404: NotFoundError,
    408: VehicleUnavailableError,
    412: PreconditionFailedError,
    421: WrongRegionError,
    422: InvalidRequestError,
    423: AccountLockedError,
    424: UpstreamError,
    451: PrivacyRestrictedError,
    540: VehicleNotRespondingError,
}


def error_for_status(
    status: int,
    body: Mapping[str, Any] | None,
    *,
    path: str,
    retry_after: float | None = None,
) -> TeslaFleetError:
    """The error for a failed answer, from its status and Tesla's error text."""
    error = _text(body, "error")
    description = _text(body, "error_description")
    lowered = f"{error or ''} {description or ''}".lower()
    kwargs: dict[str, Any] = {
        "status": status,
        "error": error,
        "description": description,
        "path": path,
    }
    message = f"HTTP {status}: {error or description or 'no error text'}"
    if status == 429:
        return RateLimitedError(message, retry_after=retry_after, **kwargs)
    # Tesla sometimes reports a sleeping car with 500/503 instead of 408.
    if VEHICLE_UNAVAILABLE_TEXT in lowered and (status == 408 or status >= 500):
        return VehicleUnavailableError(message, **kwargs)
    if status == 401:
        if LOGIN_REQUIRED_TEXT in lowered:
            return LoginRequiredError(message, **kwargs)
        if MOBILE_ACCESS_TEXT in lowered:
            return MobileAccessDisabledError(message, **kwargs)
        return InvalidTokenError(message, **kwargs)
    if status == 403:
        if SIGNING_REQUIRED_TEXT in lowered:
            return SigningRequiredError(message, **kwargs)
        if MISSING_SCOPES_TEXT in lowered:
            return MissingScopeError(message, **kwargs)
        return ForbiddenError(message, **kwargs)
    if (cls := _BY_STATUS.get(status)) is not None:
        return cls(message, **kwargs)
    if status >= 500:
        return ServerError(message, **kwargs)
    if status >= 400:
        return InvalidRequestError(message, **kwargs)
    return ResponseFormatError(message, **kwargs)


def _text(body: Mapping[str, Any] | None, key: str) -> str | None:
    if body is None:
        return None
    value = body.get(key)
    return value if isinstance(value, str) and value else None
