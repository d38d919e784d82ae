"""Application credentials: the user's Tesla developer app as an OAuth2 implementation.

Apps with a client secret authenticate with it; "Open Source App" registrations have none and
must use PKCE (S256). The authorize URL comes from Tesla's discovery document (read once per
run); the token URL is always the fleet-auth host, as Tesla requires.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, override

from aiohttp import ClientError
from homeassistant.components.application_credentials import ClientCredential
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.config_entry_oauth2_flow import (
    AUTH_CALLBACK_PATH,
    MY_AUTH_CALLBACK_PATH,
    AbstractOAuth2Implementation,
    LocalOAuth2Implementation,
    LocalOAuth2ImplementationWithPkce,
)
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util.hass_dict import HassKey

from .api.regions import is_trusted_url
from .const import LOGGER
from .endpoints import TeslaEndpoints, get_endpoints

DEVELOPER_URL = "https://developer.tesla.com/dashboard"
DISCOVERY_TIMEOUT_S = 10.0
# After a failed discovery, the known URL is used this long before discovery is tried again.
DISCOVERY_RETRY_S = 900.0
# What users type in the required secret field when their app has no secret.
NO_SECRET_VALUES = frozenset({"", "-", "none"})

DATA_AUTHORIZE_URL: HassKey[str] = HassKey("tesla_fleet_direct_authorize_url")
DATA_DISCOVERY_RETRY_AT: HassKey[float] = HassKey("tesla_fleet_direct_discovery_retry_at")


def has_secret(client_secret: str) -> bool:
    """Whether the app was registered with a client secret (not blank, `-` or `none`)."""
    return client_secret.strip().lower() not in NO_SECRET_VALUES


async def async_authorize_url(hass: HomeAssistant, endpoints: TeslaEndpoints) -> str:
    """The authorize endpoint from Tesla's discovery document, read once; the known one if not."""
    if (cached := hass.data.get(DATA_AUTHORIZE_URL)) is not None:
        return cached
    url = endpoints.authorize_url
    if time.time() < hass.data.get(DATA_DISCOVERY_RETRY_AT, 0.0):
        return url
    try:
        async with (
            asyncio.timeout(DISCOVERY_TIMEOUT_S),
            async_get_clientsession(hass).get(endpoints.discovery_url) as response,
        ):
            response.raise_for_status()
            document: Any = await response.json(content_type=None)
    except (ClientError, TimeoutError, ValueError) as err:
        # Every entry set-up lists the implementations: do not wait on a dead host each time.
        hass.data[DATA_DISCOVERY_RETRY_AT] = time.time() + DISCOVERY_RETRY_S
        LOGGER.debug("Tesla's discovery document is unavailable (%s); using the known URL", err)
        return url
    found = document.get("authorization_endpoint") if isinstance(document, dict) else None
    if isinstance(found, str) and is_trusted_url(found, endpoints.trusted_hosts):
        url = found
    else:
        LOGGER.debug("Discovery document has no usable authorize URL; using the known one")
    hass.data[DATA_AUTHORIZE_URL] = url
    return url


class _TeslaAuthorization(LocalOAuth2Implementation):
    """What Tesla adds to the standard exchange: the audience, and the app's name."""

    _name: str | None = None
    # The account's region when it signs in on a host of its own (China), else None.
    _region: str | None = None

    def use_region(self, region: str | None) -> None:
        """Sign in, exchange and refresh where the account's region does (China: tesla.cn).

        Other regions share the global hosts, so nothing changes for them.
        """
        if (own := get_endpoints(self.hass).auth_for(region)) is None:
            return
        self.authorize_url = own.authorize_url
        self.token_url = own.token_url
        self._region = region

    @property
    def region(self) -> str | None:
        """The region whose own sign-in hosts this uses (None: the global ones)."""
        return self._region

    @property
    @override
    def name(self) -> str:
        """The name the user gave the credentials."""
        return self._name or self.client_id

    @property
    @override
    def extra_token_resolve_data(self) -> dict[str, Any]:
        """Tesla requires the Fleet API audience on the code exchange."""
        # The account's region is only known after sign-in (`ou_code`, 421 answers), so the
        # exchange names the default region's base URL; a China account names China's.
        return {
            **super().extra_token_resolve_data,
            "audience": get_endpoints(self.hass).base_url(self._region),
        }

    @override
    async def _token_request(self, data: dict[str, Any]) -> dict[str, Any]:
        """China's token host wants the audience on refreshes too.

        (xrunda/tesla-fleet-api-demo, tesla_oauth_demo.py: without it Tesla answers
        "unsupported issuer".)
        """
        if self._region is not None and data.get("grant_type") == "refresh_token":
            data = {**data, "audience": get_endpoints(self.hass).base_url(self._region)}
        return await super()._token_request(data)


def use_account_region(implementation: AbstractOAuth2Implementation, region: str | None) -> None:
    """Point one of our implementations at the account region's sign-in hosts."""
    if isinstance(implementation, _TeslaAuthorization):
        implementation.use_region(region)


class TeslaOAuth2Implementation(_TeslaAuthorization):
    """An app with a client secret."""

    def __init__(
        self,
        hass: HomeAssistant,
        auth_domain: str,
        credential: ClientCredential,
        authorize_url: str,
        token_url: str,
    ) -> None:
        """Authenticate the app with its secret."""
        super().__init__(
            hass,
            auth_domain,
            credential.client_id,
            credential.client_secret,
            authorize_url,
            token_url,
        )
        self._name = credential.name


class TeslaPkceOAuth2Implementation(_TeslaAuthorization, LocalOAuth2ImplementationWithPkce):
    """An app without a secret ("Open Source App"): PKCE proves the code is ours."""

    def __init__(
        self,
        hass: HomeAssistant,
        auth_domain: str,
        credential: ClientCredential,
        authorize_url: str,
        token_url: str,
    ) -> None:
        """No secret is ever sent; the verifier and challenge come from the PKCE base."""
        LocalOAuth2ImplementationWithPkce.__init__(
            self, hass, auth_domain, credential.client_id, authorize_url, token_url
        )
        self._name = credential.name


async def async_get_auth_implementation(
    hass: HomeAssistant, auth_domain: str, credential: ClientCredential
) -> AbstractOAuth2Implementation:
    """The OAuth2 implementation for one set of credentials."""
    endpoints = get_endpoints(hass)
    authorize_url = await async_authorize_url(hass, endpoints)
    if has_secret(credential.client_secret):
        return TeslaOAuth2Implementation(
            hass, auth_domain, credential, authorize_url, endpoints.token_url
        )
    return TeslaPkceOAuth2Implementation(
        hass, auth_domain, credential, authorize_url, endpoints.token_url
    )


async def async_get_description_placeholders(hass: HomeAssistant) -> dict[str, str]:
    """Where to create the app and which redirect URI to register with it."""
    if "my" in hass.config.components:
        redirect_uri = MY_AUTH_CALLBACK_PATH
    else:
        try:
            # The browser's address for Home Assistant ends up in the redirect; the external
            # URL is the likelier one to be registered with Tesla (which wants https).
            base = get_url(hass, allow_ip=True, prefer_external=True)
            redirect_uri = f"{base}{AUTH_CALLBACK_PATH}"
        except NoURLAvailableError:
            redirect_uri = f"<your Home Assistant URL>{AUTH_CALLBACK_PATH}"
    return {"developer_url": DEVELOPER_URL, "redirect_uri": redirect_uri}
