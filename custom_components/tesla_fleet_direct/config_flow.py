"""Sign-in: scopes -> Tesla's consent page -> granted-scope check -> region and products -> entry.

The same steps serve reauthentication (same account only) and reconfiguration (change the
granted scopes without removing the entry). Options live in `options_flow.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import logging
import time
from typing import TYPE_CHECKING, Any, override

from aiohttp import ClientError
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_RECONFIGURE, ConfigFlowResult
from homeassistant.core import callback
from homeassistant.exceptions import OAuth2TokenRequestError, OAuth2TokenRequestReauthError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.config_entry_oauth2_flow import (
    AbstractOAuth2FlowHandler,
    LocalOAuth2Implementation,
    async_get_config_entry_implementation,
)
from homeassistant.helpers.selector import SelectSelector, SelectSelectorConfig, SelectSelectorMode
from homeassistant.helpers.translation import async_get_translations
import voluptuous as vol

from .api import StaticTokenProvider, TeslaFleetClient, async_fetch_partner_token
from .api.errors import AuthenticationError, TeslaFleetError
from .api.models import Products
from .api.regions import region_from_hint
from .api.signing.hosting import WELL_KNOWN_PATH, public_key_url
from .application_credentials import has_secret, use_account_region
from .const import CONF_BASE_URL, CONF_REGION, DOMAIN, LOGGER, MANDATORY_SCOPES, OPTIONAL_SCOPES
from .endpoints import get_endpoints
from .options_flow import TeslaFleetDirectOptionsFlow
from .signing_setup import CONF_APP_DOMAIN, PartnerRegistrationError, SigningSetupFlowMixin
from .streaming_setup import StreamingSetupFlowMixin
from .token import CONF_TOKEN, token_claims, token_scopes

if TYPE_CHECKING:
    # Only for types: the flow does not load the runtime modules.
    from .models import TeslaFleetDirectConfigEntry

CONF_SCOPES = "scopes"
CONF_ACCOUNT_REGION = "account_region"
# Where the Tesla account lives: China's accounts sign in on their own host (endpoints.py);
# every other region signs in on the global one and is found after sign-in.
GLOBAL = "global"
CHINA = "cn"
ACCOUNT_REGIONS = (GLOBAL, CHINA)
DEFAULT_TITLE = "Tesla Fleet"
TOKEN_TIMEOUT_S = 30.0
VEHICLE_SCOPES = frozenset(
    {"vehicle_device_data", "vehicle_location", "vehicle_cmds", "vehicle_charging_cmds"}
)
ENERGY_SCOPES = frozenset({"energy_device_data", "energy_cmds"})


def usable_products(products: Products, granted: frozenset[str]) -> bool:
    """Whether the account has anything the granted scopes let Home Assistant show or control."""
    return bool(
        (products.vehicles and granted & VEHICLE_SCOPES)
        or (products.energy_sites and granted & ENERGY_SCOPES)
    )


class TeslaFleetDirectConfigFlow(
    SigningSetupFlowMixin, StreamingSetupFlowMixin, AbstractOAuth2FlowHandler, domain=DOMAIN
):
    """Sign in to a Tesla account through the user's own Tesla developer app."""

    DOMAIN = DOMAIN
    VERSION = 1

    def __init__(self) -> None:
        """Start with every scope asked for."""
        super().__init__()
        self._requested: tuple[str, ...] = OPTIONAL_SCOPES
        self._oauth_data: dict[str, Any] = {}
        # CHINA when the account signs in on Tesla's China host, else None.
        self._sign_in_region: str | None = None

    @property
    @override
    def logger(self) -> logging.Logger:
        """The integration's logger."""
        return LOGGER

    @property
    @override
    def extra_authorize_data(self) -> dict[str, Any]:
        """The chosen scopes; Tesla asks again for any the account has not granted yet."""
        data = {
            "scope": " ".join((*MANDATORY_SCOPES, *self._requested)),
            "prompt_missing_scopes": "true",
        }
        if self.source == SOURCE_REAUTH:
            # The browser may still be signed in to another Tesla account: ask who signs in.
            data["prompt"] = "login"
        return data

    @staticmethod
    @callback
    def async_get_options_flow(
        config_entry: TeslaFleetDirectConfigEntry,
    ) -> TeslaFleetDirectOptionsFlow:
        """Polling intervals and the API budget."""
        return TeslaFleetDirectOptionsFlow()

    # --- entry points ---------------------------------------------------------------------

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A new account: choose the scopes first."""
        return await self.async_step_scopes()

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Tesla refused the refresh token: sign in again, asking for what was granted before."""
        self._requested = self._granted_optional(entry_data) or OPTIONAL_SCOPES
        self._sign_in_region = self._own_sign_in(entry_data)
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain why, then go to Tesla's sign-in page."""
        if user_input is None:
            return self.async_show_form(
                step_id="reauth_confirm",
                description_placeholders={"title": self._get_reauth_entry().title},
            )
        return await self._async_start_oauth()

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the granted scopes, set up signed commands or streaming of an account."""
        self._requested = self._granted_optional(self._get_reconfigure_entry().data)
        self._sign_in_region = self._own_sign_in(self._get_reconfigure_entry().data)
        return self.async_show_menu(
            step_id="reconfigure", menu_options=["scopes", "signing_domain", "streaming"]
        )

    # --- steps ----------------------------------------------------------------------------

    async def async_step_scopes(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Which parts of the Tesla account Home Assistant may use."""
        errors: dict[str, str] = {}
        if user_input is not None:
            chosen = set(user_input.get(CONF_SCOPES, []))
            self._requested = tuple(scope for scope in OPTIONAL_SCOPES if scope in chosen)
            if self.source not in (SOURCE_REAUTH, SOURCE_RECONFIGURE):
                region = user_input.get(CONF_ACCOUNT_REGION, GLOBAL)
                self._sign_in_region = CHINA if region == CHINA else None
            if self._requested:
                return await self._async_start_oauth()
            errors["base"] = "no_scopes"
        fields: dict[Any, Any] = {
            vol.Required(CONF_SCOPES, default=list(self._requested)): SelectSelector(
                SelectSelectorConfig(
                    options=list(OPTIONAL_SCOPES),
                    multiple=True,
                    mode=SelectSelectorMode.LIST,
                    translation_key="scopes",
                )
            )
        }
        if self.source not in (SOURCE_REAUTH, SOURCE_RECONFIGURE):
            # An existing account keeps where it signs in (its entry's region).
            fields[vol.Required(CONF_ACCOUNT_REGION, default=self._sign_in_region or GLOBAL)] = (
                SelectSelector(
                    SelectSelectorConfig(
                        options=list(ACCOUNT_REGIONS),
                        mode=SelectSelectorMode.DROPDOWN,
                        translation_key=CONF_ACCOUNT_REGION,
                    )
                )
            )
        return self.async_show_form(step_id="scopes", data_schema=vol.Schema(fields), errors=errors)

    @override
    async def async_generate_authorize_url(self) -> str:
        """Tesla's sign-in page for the account's region (China has its own)."""
        use_account_region(self.flow_impl, self._sign_in_region)
        return await super().async_generate_authorize_url()

    async def _async_start_oauth(self) -> ConfigFlowResult:
        if self.source in (SOURCE_REAUTH, SOURCE_RECONFIGURE):
            # The entry's own credentials; the user picks only when they are gone.
            entry = self._entry()
            return await self.async_step_pick_implementation(
                {"implementation": entry.data["auth_implementation"]}
            )
        return await self.async_step_pick_implementation()

    @override
    async def async_step_creation(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Exchange the code for tokens, saying precisely what failed if Tesla refuses."""
        try:
            async with asyncio.timeout(TOKEN_TIMEOUT_S):
                token = await self.flow_impl.async_resolve_external_data(self.external_data)
        except TimeoutError:
            return self.async_abort(reason="oauth_timeout")
        except OAuth2TokenRequestReauthError as err:
            LOGGER.debug("Tesla refused the code exchange (HTTP %s)", err.status)
            # 401 is Tesla's answer to a wrong client secret; 400 to a bad code/redirect.
            reason = "invalid_client" if err.status == 401 else "code_rejected"
            return self.async_abort(reason=reason)
        except (OAuth2TokenRequestError, ClientError) as err:
            LOGGER.debug("Token endpoint failed during sign-in: %s", type(err).__name__)
            return self.async_abort(reason="token_unavailable")
        try:
            expires_in = int(token["expires_in"])
            access_token = str(token["access_token"])
        except KeyError, TypeError, ValueError:
            return self.async_abort(reason="invalid_token")
        token["expires_in"] = expires_in
        token["expires_at"] = time.time() + expires_in
        claims = token_claims(access_token)
        if not isinstance(sub := claims.get("sub"), str) or not sub:
            return self.async_abort(reason="invalid_token")
        self._oauth_data = {"auth_implementation": self.flow_impl.domain, CONF_TOKEN: token}
        await self.async_set_unique_id(sub)
        if self.source in (SOURCE_REAUTH, SOURCE_RECONFIGURE):
            self._abort_if_unique_id_mismatch(reason="wrong_account")
        else:
            self._abort_if_unique_id_configured()
        if self._missing_scopes():
            return await self.async_step_missing_scopes()
        return await self.async_step_finish()

    async def async_step_missing_scopes(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Some scopes were unticked on Tesla's page: say what will be missing."""
        labels = await self._async_scope_labels()
        missing = "\n".join(f"- {labels.get(scope, scope)}" for scope in self._missing_scopes())
        return self.async_show_menu(
            step_id="missing_scopes",
            menu_options=["finish", "scopes"],
            description_placeholders={"missing": missing},
        )

    async def async_step_finish(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Find the account's region and products, then create or update the entry."""
        access_token = str(self._oauth_data[CONF_TOKEN]["access_token"])
        granted = token_scopes(access_token)
        endpoints = get_endpoints(self.hass)
        # An account that signed in on China's host is served there; the others say where.
        hint = self._sign_in_region or region_from_hint(
            str(token_claims(access_token).get("ou_code") or "")
        )
        client = TeslaFleetClient(
            async_get_clientsession(self.hass),
            StaticTokenProvider(access_token),
            base_url=endpoints.base_url(hint) if hint else None,
            region_urls=endpoints.base_urls,
            trusted_hosts=endpoints.trusted_hosts,
        )
        try:
            products = await client.products()
            profile = await client.users.me() if "user_data" in granted else None
        except AuthenticationError as err:
            LOGGER.debug("Tesla refused the new token: %s", err)
            return self.async_abort(reason="token_refused")
        except TeslaFleetError as err:
            LOGGER.debug("Reading the account failed during sign-in: %s", err)
            return self.async_show_form(
                step_id="finish",
                errors={"base": "cannot_connect"},
                description_placeholders={"error": str(err)},
            )
        if not usable_products(products, granted):
            return self.async_abort(reason="no_products")
        region = endpoints.region_of(client.base_url or "") or hint or "na"
        data = {
            **self._oauth_data,
            CONF_REGION: region,
            CONF_BASE_URL: client.base_url or endpoints.base_url(region),
        }
        if self.source in (SOURCE_REAUTH, SOURCE_RECONFIGURE):
            # Merged: what the other set-ups stored (app domain, streaming) stays.
            return self.async_update_reload_and_abort(self._entry(), data_updates=data)
        title = (profile.full_name or profile.email if profile else None) or DEFAULT_TITLE
        # The create-entry dialog says where streaming is set up (config.create_entry).
        return self.async_create_entry(title=title, data=data, description="streaming_note")

    # --- signed commands (steps in signing_setup.py) --------------------------------------

    @override
    async def async_register_app_domain(self, domain: str) -> str:
        """Register the app's domain in the account's region with a partner token."""
        entry = self._get_reconfigure_entry()
        implementation = await async_get_config_entry_implementation(self.hass, entry)
        if not isinstance(implementation, LocalOAuth2Implementation) or not has_secret(
            implementation.client_secret
        ):
            # Apps without a secret get no partner token, so they cannot register a domain.
            raise PartnerRegistrationError(None)
        endpoints = get_endpoints(self.hass)
        base_url = endpoints.base_url(entry.data.get(CONF_REGION))
        session = async_get_clientsession(self.hass)
        try:
            token = await async_fetch_partner_token(
                session,
                endpoints.token_url_for(entry.data.get(CONF_REGION)),
                client_id=implementation.client_id,
                client_secret=implementation.client_secret,
                audience=base_url,
            )
            partner = StaticTokenProvider(token)
            client = TeslaFleetClient(
                session,
                partner,
                base_url=base_url,
                region_urls=endpoints.base_urls,
                trusted_hosts=endpoints.trusted_hosts,
            )
            account = await client.partner(partner).register(domain)
        except TeslaFleetError as err:
            raise PartnerRegistrationError(err.status) from err
        return account.public_key

    @override
    async def async_signing_done(self, app_domain: str) -> ConfigFlowResult:
        """Remember the app's domain; the entry reloads and signs commands from now on."""
        return self.async_update_reload_and_abort(
            self._get_reconfigure_entry(), data_updates={CONF_APP_DOMAIN: app_domain}
        )

    @override
    def signing_key_url(self, domain: str) -> str:
        """Tesla fetches the key from the domain; the emulator serves what it was given."""
        endpoints = get_endpoints(self.hass)
        if endpoints.is_emulator:
            return f"{endpoints.emulator_url}/hosted/{domain}{WELL_KNOWN_PATH}"
        return public_key_url(domain)

    # --- helpers --------------------------------------------------------------------------

    def _entry(self) -> TeslaFleetDirectConfigEntry:
        if self.source == SOURCE_REAUTH:
            return self._get_reauth_entry()
        return self._get_reconfigure_entry()

    @staticmethod
    def _own_sign_in(data: Mapping[str, Any]) -> str | None:
        """CHINA for an entry of a China account (it signs in on tesla.cn), else None."""
        return CHINA if data.get(CONF_REGION) == CHINA else None

    @staticmethod
    def _granted_optional(data: Mapping[str, Any]) -> tuple[str, ...]:
        granted = token_scopes(str(data.get(CONF_TOKEN, {}).get("access_token", "")))
        return tuple(scope for scope in OPTIONAL_SCOPES if scope in granted)

    def _missing_scopes(self) -> list[str]:
        granted = token_scopes(str(self._oauth_data[CONF_TOKEN]["access_token"]))
        return [scope for scope in self._requested if scope not in granted]

    async def _async_scope_labels(self) -> dict[str, str]:
        """The scopes' descriptions in the user's language (the selector's translations)."""
        translations = await async_get_translations(
            self.hass, self.hass.config.language, "selector", [DOMAIN]
        )
        prefix = f"component.{DOMAIN}.selector.scopes.options."
        return {
            key.removeprefix(prefix): value
            for key, value in translations.items()
            if key.startswith(prefix)
        }
