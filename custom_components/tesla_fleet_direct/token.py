"""Token lifecycle: one refresh at a time, the rotated refresh token saved before use.

Tesla's refresh tokens are single use: a refresh answers a new refresh token and (in the
strict case) invalidates the old one. Two refreshes racing, or a refresh whose answer is lost,
locks the user out. So every caller shares one in-flight refresh, that refresh runs in its own
task (a cancelled caller cannot cancel it half way), and the new token is written to the config
entry before any caller gets the new access token.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import time
from typing import Any

from aiohttp import ClientError
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    OAuth2TokenRequestError,
    OAuth2TokenRequestReauthError,
    OAuth2TokenRequestTransientError,
)
from homeassistant.helpers.config_entry_oauth2_flow import AbstractOAuth2Implementation
import jwt

from .api.errors import LoginRequiredError, ServerError
from .const import LOGGER

CONF_TOKEN = "token"
# Refresh this long before Tesla's expiry, so a request never leaves with a dying token.
EXPIRY_MARGIN_S = 60.0
REFRESH_TIMEOUT_S = 30.0
# After a transient token-endpoint failure, callers fail fast for this long instead of
# each sending a token request of its own.
TRANSIENT_BACKOFF_S = 30.0


class RefreshTokenRejectedError(LoginRequiredError):
    """Tesla refused the refresh token (`login_required`, revoked): the user must sign in."""


class TokenEndpointUnavailableError(ServerError):
    """The token endpoint did not answer usefully (timeout, 5xx, 429); try again later."""


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


class TeslaTokenManager:
    """The config entry's tokens, kept valid for every API call (the client's token provider)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        implementation: AbstractOAuth2Implementation,
    ) -> None:
        """Tokens live in the entry's data; this object only guards their refresh."""
        self._hass = hass
        self._entry = entry
        self._implementation = implementation
        self._refreshing: asyncio.Task[str] | None = None
        # The refresh token Tesla refused: never sent again (reauth replaces it).
        self._rejected_refresh_token: str | None = None
        self._backoff_until = 0.0
        self._backoff_status: int | None = None

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
        return await self._async_refresh(rejected)

    async def _async_refresh(self, stale: str) -> str:
        if self._refreshing is None:
            current = self.token
            if current["access_token"] != stale and self._fresh(current):
                # Another caller already replaced the token this one saw.
                return str(current["access_token"])
            self._check_refresh_allowed(current)
            # Not eager: the task's own `finally` must run after `_refreshing` is assigned.
            self._refreshing = self._hass.async_create_task(
                self._async_do_refresh(dict(current)),
                "tesla_fleet_direct token refresh",
                eager_start=False,
            )
        # Shielded: a caller's timeout must not cancel a refresh whose answer we must keep.
        return await asyncio.shield(self._refreshing)

    def _check_refresh_allowed(self, current: Mapping[str, Any]) -> None:
        if self._rejected_refresh_token == current.get("refresh_token"):
            raise RefreshTokenRejectedError("Tesla refused the refresh token", status=401)
        if time.time() < self._backoff_until:
            raise TokenEndpointUnavailableError(
                "Tesla's token endpoint failed moments ago; retrying later",
                status=self._backoff_status,
            )

    async def _async_do_refresh(self, current: dict[str, Any]) -> str:
        try:
            return await self._async_request_refresh(current)
        finally:
            self._refreshing = None

    async def _async_request_refresh(self, current: dict[str, Any]) -> str:
        LOGGER.debug("Refreshing the Tesla access token")
        try:
            async with asyncio.timeout(REFRESH_TIMEOUT_S):
                new_token = await self._implementation.async_refresh_token(current)
        except OAuth2TokenRequestReauthError as err:
            self._rejected_refresh_token = current.get("refresh_token")
            LOGGER.warning(
                "Tesla refused the refresh token (HTTP %s); sign in again to continue",
                err.status,
            )
            # Started here so reauth appears whatever the caller does with the error.
            self._entry.async_start_reauth(self._hass)
            raise RefreshTokenRejectedError(
                "Tesla refused the refresh token", status=err.status, error="login_required"
            ) from err
        except (
            OAuth2TokenRequestTransientError,
            OAuth2TokenRequestError,
            ClientError,
            TimeoutError,
        ) as err:
            status = getattr(err, "status", None)
            self._backoff_status = status if isinstance(status, int) and status else None
            self._backoff_until = time.time() + TRANSIENT_BACKOFF_S
            LOGGER.debug("Token refresh failed for now (%s)", status or type(err).__name__)
            raise TokenEndpointUnavailableError(
                "Tesla's token endpoint is unavailable; retrying later",
                status=self._backoff_status,
            ) from err
        if not new_token.get("access_token"):
            raise TokenEndpointUnavailableError("Tesla answered a refresh without a token")
        self._backoff_until = 0.0
        # Saved before anyone uses the new access token: the old refresh token is now spent.
        self._hass.config_entries.async_update_entry(
            self._entry, data={**self._entry.data, CONF_TOKEN: new_token}
        )
        LOGGER.debug("Stored the rotated Tesla tokens")
        return str(new_token["access_token"])
