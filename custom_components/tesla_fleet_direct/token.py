"""Token lifecycle: one refresh at a time, the rotated refresh token saved before use.

Tesla's refresh tokens are single use: a refresh answers a new refresh token and (in the
strict case) invalidates the old one. Two refreshes racing, or a refresh whose answer is lost,
locks the user out. So every caller shares one in-flight refresh, that refresh runs in its own
task (a cancelled caller cannot cancel it half way), and the new token is written to the config
entry before any caller gets the new access token. The in-flight refresh and what the token
endpoint last said belong to the config entry, not to one manager: an entry reloaded while a
refresh is on its way waits for that refresh instead of sending the same refresh token again.

Only a refused refresh token (the grant is lost) asks the user to sign in again. A token
endpoint that is down, slow, rate-limited or answers nonsense is waited out; an access token
Tesla refuses moments after issuing it is not refreshed again at once (each refresh spends a
single-use token), the failure goes to the caller, which decides how long to keep trying.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
import time
from typing import TYPE_CHECKING, Any

from aiohttp import ClientError
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    OAuth2TokenRequestError,
    OAuth2TokenRequestReauthError,
    OAuth2TokenRequestTransientError,
)
from homeassistant.helpers.config_entry_oauth2_flow import AbstractOAuth2Implementation
from homeassistant.util.hass_dict import HassKey
import jwt

from .api.errors import InvalidTokenError, LoginRequiredError, ServerError
from .api.transport import parse_retry_after
from .const import LOGGER

if TYPE_CHECKING:
    # models imports this module (the token manager is part of the runtime data).
    from .models import TeslaFleetDirectConfigEntry

CONF_TOKEN = "token"
# Refresh this long before Tesla's expiry, so a request never leaves with a dying token.
EXPIRY_MARGIN_S = 60.0
# How long a caller waits for a refresh. The refresh itself waits for Tesla's answer much
# longer: Tesla may have rotated the token already, and an answer dropped after that would
# leave only a spent refresh token (the user locked out). Callers meanwhile fail fast.
REFRESH_TIMEOUT_S = 30.0
REFRESH_GIVE_UP_S = 300.0
# After a transient token-endpoint failure, callers fail fast for this long instead of
# each sending a token request of its own (longer when a 429 says so).
TRANSIENT_BACKOFF_S = 30.0
# An access token Tesla refuses within this long of our refreshing it is not refreshed again:
# the refusal is Tesla's hiccup or something a new token does not fix, and every refresh
# spends a single-use refresh token.
REFUSED_REFRESH_SPACING_S = 120.0
# What a refused refresh looks like: Tesla answers 401 `login_required`, OAuth servers in
# general 400 `invalid_grant`. Any other 4xx (a proxy's 403, a 404, 408...) is the endpoint
# failing, not the grant.
GRANT_REFUSED_STATUSES = frozenset({400, 401})
REASON_NO_ANSWER = "no answer"
REASON_UNREADABLE = "unreadable answer"


class RefreshTokenRejectedError(LoginRequiredError):
    """Tesla refused the refresh token (`login_required`, revoked): the user must sign in."""


class TokenEndpointUnavailableError(ServerError):
    """The token endpoint did not answer usefully (timeout, 5xx, 429, nonsense); try later."""

    def __init__(self, message: str, *, status: int | None = None, reason: str) -> None:
        """`reason` says what went wrong for the user: "HTTP 503", "no answer", ..."""
        super().__init__(message, status=status)
        self.reason = reason


class AccessTokenRefusedError(InvalidTokenError):
    """Tesla refused an access token it issued moments ago; it is not refreshed again so soon."""


@dataclass
class _RefreshState:
    """One config entry's refresh bookkeeping (outlives a reload of the entry)."""

    refreshing: asyncio.Task[str] | None = None
    refresh_started: float = 0.0
    # The refresh token Tesla refused: never sent again (reauth replaces it).
    rejected_refresh_token: str | None = None
    backoff_until: float = 0.0
    backoff_status: int | None = None
    backoff_reason: str = REASON_NO_ANSWER
    # The access token our last refresh obtained, and when.
    refreshed_token: str | None = None
    refreshed_at: float = 0.0


# By config entry id; kept in `hass.data`, so a reloaded entry's new manager finds the refresh
# its predecessor left in flight.
DATA_TOKEN_STATE: HassKey[dict[str, _RefreshState]] = HassKey("tesla_fleet_direct_token_state")


def token_claims(access_token: str) -> dict[str, Any]:
    """The claims of a Tesla access token, read without verification (only Tesla can)."""
    try:
        claims = jwt.decode(access_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


def token_scopes(access_token: str) -> frozenset[str]:
    """The scopes granted to a token (its `scp` claim)."""
    scopes = token_claims(access_token).get("scp")
    if isinstance(scopes, str):
        return frozenset(scopes.split())
    if isinstance(scopes, list):
        return frozenset(str(scope) for scope in scopes)
    return frozenset()


def _retrieved(task: asyncio.Task[str]) -> None:
    if not task.cancelled():
        task.exception()


def _no_answer_yet() -> TokenEndpointUnavailableError:
    return TokenEndpointUnavailableError(
        "Tesla's token endpoint has not answered yet; retrying later", reason=REASON_NO_ANSWER
    )


class TeslaTokenManager:
    """The config entry's tokens, kept valid for every API call (the client's token provider)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TeslaFleetDirectConfigEntry,
        implementation: AbstractOAuth2Implementation,
    ) -> None:
        """Tokens live in the entry's data; this object only guards their refresh."""
        self._hass = hass
        self._entry = entry
        self._implementation = implementation
        self._state = hass.data.setdefault(DATA_TOKEN_STATE, {}).setdefault(
            entry.entry_id, _RefreshState()
        )

    @property
    def token(self) -> Mapping[str, Any]:
        """The stored token (access, refresh, expires_at)."""
        token: Mapping[str, Any] = self._entry.data[CONF_TOKEN]
        return token

    @property
    def scopes(self) -> frozenset[str]:
        """What the user granted, as the current access token says."""
        return token_scopes(str(self.token["access_token"]))

    def _fresh(self, token: Mapping[str, Any]) -> bool:
        return float(token.get("expires_at", 0)) > time.time() + EXPIRY_MARGIN_S

    async def async_get_access_token(self) -> str:
        """A valid access token, refreshing first when it is about to expire."""
        token = self.token
        if self._fresh(token):
            return str(token["access_token"])
        return await self._async_refresh(str(token["access_token"]))

    async def async_refresh_access_token(self, rejected: str) -> str:
        """A new access token after Tesla refused `rejected` (401 invalid/expired token)."""
        state = self._state
        if (
            state.refreshing is None
            and rejected == state.refreshed_token
            and rejected == self.token["access_token"]
            and time.time() - state.refreshed_at < REFUSED_REFRESH_SPACING_S
        ):
            raise AccessTokenRefusedError(
                "Tesla refused the access token it issued moments ago", status=401
            )
        return await self._async_refresh(rejected)

    async def _async_refresh(self, stale: str) -> str:
        state = self._state
        if state.refreshing is None:
            current = self.token
            if current["access_token"] != stale and self._fresh(current):
                # Another caller already replaced the token this one saw.
                return str(current["access_token"])
            self._check_refresh_allowed(current)
            # Not eager: the task's own `finally` must run after `refreshing` is assigned.
            state.refreshing = self._hass.async_create_task(
                self._async_do_refresh(dict(current)),
                "tesla_fleet_direct token refresh",
                eager_start=False,
            )
            # Its failure reaches the callers still waiting; nobody else needs to hear of it.
            state.refreshing.add_done_callback(_retrieved)
            state.refresh_started = time.time()
        elif time.time() - state.refresh_started >= REFRESH_TIMEOUT_S:
            # Callers already gave up on this one; it is kept waiting for Tesla's answer.
            raise _no_answer_yet()
        refreshing = state.refreshing
        # A caller's timeout (or cancellation) must not cancel a refresh whose answer we must
        # keep: `wait` leaves the task running either way.
        done, _ = await asyncio.wait({refreshing}, timeout=REFRESH_TIMEOUT_S)
        if not done:
            raise _no_answer_yet()
        return refreshing.result()

    def _check_refresh_allowed(self, current: Mapping[str, Any]) -> None:
        state = self._state
        if state.rejected_refresh_token == current.get("refresh_token"):
            raise RefreshTokenRejectedError("Tesla refused the refresh token", status=401)
        if time.time() < state.backoff_until:
            raise TokenEndpointUnavailableError(
                "Tesla's token endpoint failed moments ago; retrying later",
                status=state.backoff_status,
                reason=state.backoff_reason,
            )

    async def _async_do_refresh(self, current: dict[str, Any]) -> str:
        try:
            return await self._async_request_refresh(current)
        finally:
            self._state.refreshing = None

    def _unavailable(
        self, status: int | None, reason: str, wait: float | None = None
    ) -> TokenEndpointUnavailableError:
        """Back off (callers fail fast meanwhile) and say why."""
        state = self._state
        state.backoff_status = status
        state.backoff_reason = reason
        state.backoff_until = time.time() + max(TRANSIENT_BACKOFF_S, wait or 0.0)
        LOGGER.debug("Token refresh failed for now (%s)", reason)
        return TokenEndpointUnavailableError(
            f"Tesla's token endpoint is unavailable ({reason}); retrying later",
            status=status,
            reason=reason,
        )

    async def _async_request_refresh(self, current: dict[str, Any]) -> str:
        LOGGER.debug("Refreshing the Tesla access token")
        state = self._state
        try:
            async with asyncio.timeout(REFRESH_GIVE_UP_S):
                new_token = await self._implementation.async_refresh_token(current)
        except OAuth2TokenRequestReauthError as err:
            if err.status not in GRANT_REFUSED_STATUSES:
                raise self._unavailable(err.status, f"HTTP {err.status}") from err
            state.rejected_refresh_token = current.get("refresh_token")
            LOGGER.warning(
                "Tesla refused the refresh token (HTTP %s); sign in again to continue",
                err.status,
            )
            # Started here so reauth appears whatever the caller does with the error.
            self._entry.async_start_reauth(self._hass)
            raise RefreshTokenRejectedError(
                "Tesla refused the refresh token", status=err.status, error="login_required"
            ) from err
        except (OAuth2TokenRequestTransientError, OAuth2TokenRequestError) as err:
            status = err.status or None
            wait = parse_retry_after(err.headers.get("Retry-After")) if err.headers else None
            reason = f"HTTP {status}" if status else REASON_NO_ANSWER
            raise self._unavailable(status, reason, wait) from err
        except (ClientError, TimeoutError) as err:
            raise self._unavailable(None, REASON_NO_ANSWER) from err
        except (ValueError, KeyError, TypeError) as err:
            # A 200 whose body is not the token JSON (Home Assistant's OAuth helper lets the
            # JSON error through): Tesla's side is broken, not the grant.
            raise self._unavailable(None, REASON_UNREADABLE) from err
        if not isinstance(new_token, Mapping) or not new_token.get("access_token"):
            raise self._unavailable(None, REASON_UNREADABLE)
        state.backoff_until = 0.0
        # Saved before anyone uses the new access token: the old refresh token is now spent.
        self._hass.config_entries.async_update_entry(
            self._entry, data={**self._entry.data, CONF_TOKEN: dict(new_token)}
        )
        state.refreshed_token = str(new_token["access_token"])
        state.refreshed_at = time.time()
        LOGGER.debug("Stored the rotated Tesla tokens")
        return state.refreshed_token
