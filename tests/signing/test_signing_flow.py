"""Signing set-up through the UI flow against the emulator, then a signed command."""

from __future__ import annotations

from pathlib import Path

from aiohttp import ClientSession
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.tesla_fleet_direct.app_key import async_get_app_key
from fleet_emulator import Emulator
from tests.common import CLIENT_ID, placeholders, setup_integration

MY = "7SAYGDEE0PA000002"


@pytest.fixture(autouse=True)
def private_config_dir(hass: HomeAssistant, tmp_path: Path) -> None:
    """A fresh config directory, so the app key is made for this test."""
    hass.config.config_dir = str(tmp_path)


async def _admin(emulator: Emulator, method: str, path: str, body: dict[str, str]) -> None:
    async with (
        ClientSession() as http,
        http.request(method, f"{emulator.url}/_emulator{path}", json=body) as response,
    ):
        assert response.status == 200


async def test_reconfigure_sets_up_signing_and_the_car_obeys(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Host key, enter domain, registration, QR, pair in the 'Tesla app': commands then work."""
    entry = await setup_integration(hass, emulator)
    app_key = await async_get_app_key(hass)
    await _admin(
        emulator,
        "POST",
        "/hosted_keys",
        {"domain": "tesla.example.com", "public_key": app_key.public_pem},
    )

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "signing_domain"}
    )
    assert result["step_id"] == "signing_domain"
    assert placeholders(result)["public_key"] == app_key.public_pem
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"app_domain": "https://Tesla.Example.com"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "signing_pair", result.get("errors")
    link = "https://tesla.com/_ak/tesla.example.com"
    assert placeholders(result)["url"] == link
    registered = emulator.partner_domains[(CLIENT_ID, "na")]
    assert registered == ("tesla.example.com", app_key.public_point.hex())

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data["app_domain"] == "tesla.example.com"
    # The config entry holds the domain, never the key.
    secret = "".join(app_key.path.read_text().splitlines()[1:-1])
    assert secret not in str(entry.data)
    assert secret not in str(entry.options)

    await _admin(
        emulator,
        "POST",
        f"/vehicles/{MY}/keys",
        {"public_key": app_key.public_pem, "role": "owner"},
    )
    emulator.vehicle(MY).locked = True
    outcome = await entry.runtime_data.client.vehicle(MY).command("door_unlock")
    assert outcome.result
    assert emulator.vehicle(MY).locked is False
    assert ir.async_get(hass).async_get_issue("tesla_fleet_direct", f"key_not_paired_{MY}") is None


async def test_412_is_explained_as_allowed_origin(hass: HomeAssistant, emulator: Emulator) -> None:
    """Key hosted, but Tesla answers 412: the user reads the allowed-origin explanation."""
    entry = await setup_integration(hass, emulator)
    app_key = await async_get_app_key(hass)
    emulator.hosted_keys["tesla.example.com"] = app_key.public_pem
    emulator.faults.inject("*/partner_accounts", 412)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "signing_domain"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"app_domain": "tesla.example.com"}
    )
    assert result["step_id"] == "signing_domain"
    assert result["errors"] == {"base": "domain_not_allowed"}
    assert "app_domain" not in entry.data


async def test_missing_hosted_key_is_reported_before_registration(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Nothing hosted: the check says what it found and Tesla is not asked."""
    entry = await setup_integration(hass, emulator)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "signing_domain"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"app_domain": "tesla.example.com"}
    )
    assert result["errors"] == {"base": "key_not_served"}
    assert placeholders(result)["found"] == "HTTP 404"
    assert not emulator.partner_domains
