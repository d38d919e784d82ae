"""The signing set-up steps: domain, hosted-key check, registration (412 explained), QR link."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from homeassistant.config_entries import ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.tesla_fleet_direct.api.signing.hosting import WELL_KNOWN_PATH
from custom_components.tesla_fleet_direct.app_key import async_get_app_key
from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.signing_setup import (
    PartnerRegistrationError,
    SigningSetupFlowMixin,
)
from tests.common import form_schema, placeholders


class _Flow(SigningSetupFlowMixin):
    """The mixin inside a flow, with registration answered like Tesla would."""

    def __init__(self, key_url: str, register: Any) -> None:
        self.key_url = key_url
        self.register = register
        self.registered: list[str] = []

    async def async_register_app_domain(self, domain: str) -> str:
        self.registered.append(domain)
        result: str = await self.register(domain)
        return result

    async def async_signing_done(self, app_domain: str) -> ConfigFlowResult:
        return self.async_abort(reason="signing_ready", description_placeholders={"d": app_domain})

    def signing_key_url(self, domain: str) -> str:
        return self.key_url


@pytest.fixture(autouse=True)
def private_config_dir(hass: HomeAssistant, tmp_path: Path) -> None:
    """A fresh config directory, so every test makes its own app key."""
    hass.config.config_dir = str(tmp_path)


@pytest.fixture
async def hosted(socket_enabled: None) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """A loopback web server for the app's well-known public key."""
    served: dict[str, str] = {}

    async def serve(_request: web.Request) -> web.Response:
        if "pem" not in served:
            return web.Response(status=404)
        return web.Response(text=served["pem"])

    app = web.Application()
    app.router.add_get(WELL_KNOWN_PATH, serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]  # the port the system picked for port 0
    yield f"http://127.0.0.1:{port}{WELL_KNOWN_PATH}", served
    await runner.cleanup()


def _flow(hass: HomeAssistant, url: str, register: Any) -> _Flow:
    flow = _Flow(url, register)
    flow.hass = hass
    flow.handler = DOMAIN
    flow.flow_id = "signing-test"
    flow.context = {"source": "user"}
    return flow


async def test_happy_path_shows_public_key_then_qr_then_finishes(
    hass: HomeAssistant, hosted: tuple[str, dict[str, str]]
) -> None:
    """Key hosted and registered: the user gets the QR step, then the flow finishes."""
    url, served = hosted
    app_key = await async_get_app_key(hass)
    served["pem"] = app_key.public_pem

    async def register(_domain: str) -> str:
        return app_key.public_point.hex()

    flow = _flow(hass, url, register)
    result = await flow.async_step_signing_domain()
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "signing_domain"
    assert placeholders(result)["public_key"] == app_key.public_pem
    assert "PRIVATE" not in str(result)

    result = await flow.async_step_signing_domain({"app_domain": "https://Tesla.Example.com/"})
    assert flow.registered == ["tesla.example.com"]
    assert result["step_id"] == "signing_pair"
    assert placeholders(result)["url"] == "https://tesla.com/_ak/tesla.example.com"
    qr = form_schema(result).schema["qr_code"]
    assert qr.config["data"] == "https://tesla.com/_ak/tesla.example.com"

    result = await flow.async_step_signing_pair({})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "signing_ready"
    assert result["description_placeholders"] == {"d": "tesla.example.com"}


async def test_invalid_domain_is_a_field_error(
    hass: HomeAssistant, hosted: tuple[str, dict[str, str]]
) -> None:
    """Nothing is fetched or registered for an input that is not a domain."""

    async def register(_domain: str) -> str:
        raise AssertionError("must not register")

    flow = _flow(hass, hosted[0], register)
    result = await flow.async_step_signing_domain({"app_domain": "192.168.1.2:8123"})
    assert result["errors"] == {"app_domain": "invalid_domain"}


async def test_missing_or_wrong_hosted_key_says_what_was_found(
    hass: HomeAssistant, hosted: tuple[str, dict[str, str]]
) -> None:
    """404 and a foreign key are reported with what the URL served; no registration."""
    url, served = hosted

    async def register(_domain: str) -> str:
        raise AssertionError("must not register")

    flow = _flow(hass, url, register)
    result = await flow.async_step_signing_domain({"app_domain": "example.com"})
    assert result["errors"] == {"base": "key_not_served"}
    assert placeholders(result)["found"] == "HTTP 404"

    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    served["pem"] = other.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    result = await flow.async_step_signing_domain({"app_domain": "example.com"})
    assert result["errors"] == {"base": "key_different"}
    assert "BEGIN PUBLIC KEY" in placeholders(result)["found"]
    assert flow.registered == []


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (PartnerRegistrationError(412), "domain_not_allowed"),
        (PartnerRegistrationError(500), "registration_failed"),
        (PartnerRegistrationError(None), "registration_failed"),
        ("00" * 65, "registered_key_mismatch"),
    ],
)
async def test_registration_failures(
    hass: HomeAssistant, hosted: tuple[str, dict[str, str]], failure: Any, error: str
) -> None:
    """A 412 is explained as the allowed-origin mismatch; a foreign registered key is caught."""
    url, served = hosted
    served["pem"] = (await async_get_app_key(hass)).public_pem

    async def register(_domain: str) -> str:
        if isinstance(failure, Exception):
            raise failure
        return str(failure)

    flow = _flow(hass, url, register)
    result = await flow.async_step_signing_domain({"app_domain": "example.com"})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}


async def test_pair_step_without_domain_goes_back(
    hass: HomeAssistant, hosted: tuple[str, dict[str, str]]
) -> None:
    """Reaching the QR step without a registered domain starts at the domain step."""

    async def register(_domain: str) -> str:
        return ""

    flow = _flow(hass, hosted[0], register)
    result = await flow.async_step_signing_pair()
    assert result["step_id"] == "signing_domain"
