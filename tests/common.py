"""Helpers shared by the integration's tests: the emulator-backed domain and a signed-in entry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
import time
from typing import Any

from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import SOURCE_REAUTH, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.tesla_fleet_direct.const import (
    CONF_BASE_URL,
    CONF_EMULATOR_URL,
    CONF_REGION,
    DOMAIN,
)
from custom_components.tesla_fleet_direct.token import token_claims
from fleet_emulator import Emulator
from fleet_emulator.tokens import RefreshGrant

# The emulator's default scenario registers these apps (docs/architecture.md).
CLIENT_ID = "tfd-client"
CLIENT_SECRET = "tfd-secret"
PKCE_CLIENT_ID = "tfd-pkce-client"
DEFAULT_TITLE = "Tesla Fleet"


async def async_setup_domain(
    hass: HomeAssistant,
    emulator: Emulator,
    *,
    client_id: str = CLIENT_ID,
    client_secret: str = CLIENT_SECRET,
) -> None:
    """Set the integration up against the emulator and register its app's credentials."""
    assert await async_setup_component(hass, "application_credentials", {})
    assert await async_setup_component(hass, DOMAIN, {DOMAIN: {CONF_EMULATOR_URL: emulator.url}})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(client_id, client_secret, name="Emulated app")
    )


def token_for_entry(tokens: dict[str, Any]) -> dict[str, Any]:
    """A token answer as the config flow stores it (with `expires_at`)."""
    return {**tokens, "expires_at": time.time() + float(tokens["expires_in"])}


def entry_data(emulator: Emulator, tokens: dict[str, Any], region: str) -> dict[str, Any]:
    """Config entry data exactly as the config flow writes it."""
    return {
        "auth_implementation": DOMAIN,
        "token": token_for_entry(tokens),
        CONF_REGION: region,
        CONF_BASE_URL: emulator.base_url(region),
    }


def create_entry(
    hass: HomeAssistant,
    emulator: Emulator,
    *,
    scopes: Sequence[str] | None = None,
    account_id: str = "owner",
    options: Mapping[str, Any] | None = None,
) -> MockConfigEntry:
    """An entry for an emulator account with freshly minted tokens, added but not set up."""
    tokens = emulator.mint_tokens(account_id, list(scopes) if scopes is not None else None)
    account = emulator.world.accounts[account_id]
    granted = token_claims(tokens["access_token"]).get("scp", [])
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=account.full_name if "user_data" in granted else DEFAULT_TITLE,
        unique_id=account.sub,
        data=entry_data(emulator, tokens, account.region),
        options=dict(options or {}),
        version=1,
    )
    entry.add_to_hass(hass)
    return entry


async def setup_integration(
    hass: HomeAssistant,
    emulator: Emulator,
    *,
    scopes: Sequence[str] | None = None,
    account_id: str = "owner",
    options: Mapping[str, Any] | None = None,
) -> MockConfigEntry:
    """A signed-in Tesla account (all scopes unless `scopes`), set up against the emulator."""
    await async_setup_domain(hass, emulator)
    entry = create_entry(hass, emulator, scopes=scopes, account_id=account_id, options=options)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@dataclass
class RefreshLog:
    """Every refresh-token use the emulator saw: the token and whether it was accepted."""

    attempts: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        """Refreshes that worked."""
        return sum(ok for _, ok in self.attempts)

    @property
    def reused(self) -> list[str]:
        """Refresh tokens presented again after their first use."""
        seen: set[str] = set()
        again = []
        for token, _ in self.attempts:
            if token in seen:
                again.append(token)
            seen.add(token)
        return again


def record_refreshes(emulator: Emulator) -> RefreshLog:
    """Record every refresh-token use at the emulator's token service from now on."""
    log = RefreshLog()
    rotate = emulator.tokens.rotate

    def recording_rotate(refresh_token: str, client_id: str) -> RefreshGrant | None:
        grant = rotate(refresh_token, client_id)
        log.attempts.append((refresh_token, grant is not None))
        return grant

    emulator.tokens.rotate = recording_rotate  # type: ignore[method-assign]
    return log


def reauth_flows(hass: HomeAssistant) -> list[ConfigFlowResult]:
    """The reauthentication flows in progress for this integration."""
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"].get("source") == SOURCE_REAUTH
    ]


def placeholders(result: Mapping[str, object]) -> Mapping[str, str]:
    """The description placeholders a flow step shows; fails the test when it shows none."""
    shown = result.get("description_placeholders")
    assert isinstance(shown, Mapping), "the step shows no description placeholders"
    return shown


def form_schema(result: Mapping[str, object]) -> vol.Schema:
    """The schema of the form a flow step shows; fails the test when it shows no form."""
    schema = result.get("data_schema")
    assert isinstance(schema, vol.Schema), "the step shows no form"
    return schema
