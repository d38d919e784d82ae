"""Config-flow steps that set up signed commands: domain, hosted key, registration, pairing.

A mixin so the sign-in flow (and its reconfigure path, and the repair) can offer the same
steps: the flow class supplies how to register the domain in the account's region and what to
do when the user is done. The app key itself stays in `app_key.py`; only its public half is
shown here.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    QrCodeSelector,
    QrCodeSelectorConfig,
    QrErrorCorrectionLevel,
    TextSelector,
)
import voluptuous as vol

from .api.signing.hosting import (
    HostedKeyStatus,
    InvalidDomainError,
    async_check_hosted_key,
    normalize_domain,
    pairing_url,
    public_key_url,
)
from .app_key import async_get_app_key
from .const import LOGGER

CONF_APP_DOMAIN = "app_domain"
DEVELOPER_DASHBOARD = "https://developer.tesla.com/dashboard"
_HOSTING_ERRORS = {
    HostedKeyStatus.UNREACHABLE: "key_unreachable",
    HostedKeyStatus.HTTP_ERROR: "key_not_served",
    HostedKeyStatus.NOT_A_KEY: "key_not_a_key",
    HostedKeyStatus.DIFFERENT_KEY: "key_different",
}


class PartnerRegistrationError(Exception):
    """Registering the domain failed; `status` is the HTTP status when Tesla answered."""

    def __init__(self, status: int | None = None) -> None:
        """Keep the status: 412 has a specific, well-known meaning."""
        super().__init__(status)
        self.status = status


class SigningSetupFlowMixin(ConfigFlow):
    """Steps `signing_domain` -> `signing_pair`; mix into the integration's flow handler."""

    _signing_domain: str | None = None

    async def async_register_app_domain(self, domain: str) -> str:
        """Register `domain` with a partner token in the account's region.

        Returns the public key Tesla now holds for the domain (hex of the uncompressed point).
        Raises PartnerRegistrationError. Provided by the flow that knows region and secret.
        """
        raise NotImplementedError

    async def async_signing_done(self, app_domain: str) -> ConfigFlowResult:
        """Store the domain (entry data) and finish; provided by the flow."""
        raise NotImplementedError

    def signing_key_url(self, domain: str) -> str:
        """Where to check the hosted key; the dev configuration points it at the emulator."""
        return public_key_url(domain)

    def signing_vin(self) -> str | None:
        """A car to name in the pairing link, when the flow knows which one needs it."""
        return None

    async def async_step_signing_domain(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the app's domain, check its hosted key, then register it with Tesla."""
        app_key = await async_get_app_key(self.hass)
        errors: dict[str, str] = {}
        placeholders = {
            "public_key": app_key.public_pem,
            "dashboard": DEVELOPER_DASHBOARD,
            "url": public_key_url("<domain>"),
            "found": "",
        }
        if user_input is not None:
            try:
                domain = normalize_domain(user_input[CONF_APP_DOMAIN])
            except InvalidDomainError:
                errors[CONF_APP_DOMAIN] = "invalid_domain"
            else:
                url = self.signing_key_url(domain)
                placeholders["url"] = url
                check = await async_check_hosted_key(
                    async_get_clientsession(self.hass), url, app_key.public_pem
                )
                if not check.ok:
                    errors["base"] = _HOSTING_ERRORS[check.status]
                    placeholders["found"] = check.found
                else:
                    errors = await self._async_register(domain, app_key.public_point.hex())
                    if not errors:
                        self._signing_domain = domain
                        return await self.async_step_signing_pair()
        return self.async_show_form(
            step_id="signing_domain",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema({vol.Required(CONF_APP_DOMAIN): TextSelector()}), user_input
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_register(self, domain: str, our_point: str) -> dict[str, str]:
        try:
            registered = await self.async_register_app_domain(domain)
        except PartnerRegistrationError as err:
            LOGGER.debug("Partner registration of the app domain failed: %s", err.status)
            # 412 almost always means the domain is not the app's allowed origin.
            return {"base": "domain_not_allowed" if err.status == 412 else "registration_failed"}
        if registered.lower() != our_point:
            return {"base": "registered_key_mismatch"}
        return {}

    async def async_step_signing_pair(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the Tesla-app link and its QR code; finishing stores the domain."""
        domain = self._signing_domain
        if domain is None:
            return await self.async_step_signing_domain()
        if user_input is not None:
            return await self.async_signing_done(domain)
        link = pairing_url(domain, self.signing_vin())
        schema = vol.Schema(
            {
                vol.Optional("qr_code"): QrCodeSelector(
                    QrCodeSelectorConfig(
                        data=link, scale=6, error_correction_level=QrErrorCorrectionLevel.QUARTILE
                    )
                )
            }
        )
        return self.async_show_form(
            step_id="signing_pair", data_schema=schema, description_placeholders={"url": link}
        )
