"""Partner endpoints (app-level, client-credentials token): domain registration and its key.

Registration happens once per region; the integration fetches the partner token and passes a
token provider for it, so this module never sees the client secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from ._parse import as_mapping, opt_str
from .errors import AuthenticationError, ResponseFormatError, TeslaConnectionError, error_for_status
from .telemetry import PARTNER_ERRORS_PATH, TelemetryError, parse_telemetry_errors
from .transport import TokenProvider, Transport
from .validation import check_text

PARTNER_PATH = "/api/1/partner_accounts"
TOKEN_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class PartnerAccount:
    """What Tesla holds for the app after `partner_accounts` registration."""

    domain: str | None
    public_key: str  # hex of the uncompressed EC P-256 point Tesla fetched from the domain
    raw: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True, slots=True)
class StaticTokenProvider:
    """A token provider for a token that cannot be refreshed (e.g. a fresh partner token)."""

    token: str

    async def async_get_access_token(self) -> str:
        """The token."""
        return self.token

    async def async_refresh_access_token(self, rejected: str) -> str:
        """Nothing to refresh with: hand back the same token (the retry then fails cleanly)."""
        return self.token


class PartnerApi:
    """`/api/1/partner_accounts` with a partner token, in one region."""

    def __init__(
        self, transport: Transport, token_provider: TokenProvider, *, base_url: str | None
    ) -> None:
        """`base_url` None: the account's own region."""
        self._transport = transport
        self._tokens = token_provider
        self._base_url = base_url

    async def register(self, domain: str) -> PartnerAccount:
        """Register the app's domain; Tesla fetches the hosted public key (412 if missing)."""
        name = check_text("domain", domain, max_length=253).strip().lower()
        response = await self._transport.request(
            "POST",
            PARTNER_PATH,
            json_body={"domain": name},
            token_provider=self._tokens,
            base_url=await self._base(),
        )
        return _account(response, PARTNER_PATH)

    async def public_key(self, domain: str) -> PartnerAccount:
        """The key Tesla has registered for `domain` (404 when none)."""
        path = f"{PARTNER_PATH}/public_key"
        name = check_text("domain", domain, max_length=253).strip().lower()
        response = await self._transport.request(
            "GET",
            path,
            params={"domain": name},
            token_provider=self._tokens,
            base_url=await self._base(),
        )
        account = _account(response, path)
        return PartnerAccount(account.domain or name, account.public_key, account.raw)

    async def fleet_telemetry_errors(self) -> tuple[TelemetryError, ...]:
        """Recent errors cars reported after receiving this app's telemetry configuration."""
        response = await self._transport.request(
            "GET",
            PARTNER_ERRORS_PATH,
            token_provider=self._tokens,
            base_url=await self._base(),
        )
        return parse_telemetry_errors(response)

    async def _base(self) -> str:
        return self._base_url or await self._transport.async_base_url()


def _account(response: Any, path: str) -> PartnerAccount:
    obj = as_mapping(response)
    key = opt_str(obj, "public_key")
    if not key:
        raise ResponseFormatError("partner answer has no public_key", path=path)
    return PartnerAccount(opt_str(obj, "domain"), key, obj)


async def async_fetch_partner_token(
    session: aiohttp.ClientSession,
    token_url: str,
    *,
    client_id: str,
    client_secret: str,
    audience: str,
    scope: str = "openid vehicle_device_data vehicle_cmds vehicle_charging_cmds",
) -> str:
    """A partner access token by `client_credentials` (confidential apps only)."""
    data = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
        "scope": scope,
        "audience": audience,
    }
    try:
        async with session.post(
            token_url, data=data, timeout=aiohttp.ClientTimeout(total=TOKEN_TIMEOUT_S)
        ) as response:
            status = response.status
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = None
    except (aiohttp.ClientError, TimeoutError) as err:
        raise TeslaConnectionError(
            f"token request failed: {type(err).__name__}", path="token"
        ) from err
    obj = as_mapping(body)
    if status == 429 or status >= 500:
        raise error_for_status(status, obj, path="token")
    if status >= 400:
        # The OAuth server refused the app itself (wrong secret, PKCE-only app, bad audience).
        error = opt_str(obj, "error")
        raise AuthenticationError(
            f"partner token refused: {error or status}",
            status=status,
            error=error,
            description=opt_str(obj, "error_description"),
            path="token",
        )
    token = opt_str(obj, "access_token")
    if not token:
        raise ResponseFormatError("token answer has no access_token", status=status, path="token")
    return token
