"""The dev configuration's hidden `telemetry_trust`: the streaming checks trust the dev CA too.

The dev instance (scripts/dev_instance.py) runs a telemetry server with a certificate from its
own CA and names that CA's file here, so its streaming set-up can pass the live checks; without
the key, such a server is refused as untrusted, as it is in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest

from custom_components.tesla_fleet_direct.const import CONF_TELEMETRY_TRUST, DOMAIN
from custom_components.tesla_fleet_direct.streaming_upkeep import async_check_server
from custom_components.tesla_fleet_direct.telemetry_server import (
    ServerCheckError,
    chain_fingerprint,
)
from tests.streaming_helpers import HOST, Pki, TlsServer


@pytest.fixture
def pki() -> Pki:
    """The dev instance's stand-in for a public CA."""
    return Pki()


@pytest.fixture
async def server(socket_enabled: None, tmp_path: Path, pki: Pki) -> AsyncIterator[TlsServer]:
    """The telemetry server, presenting its certificate and the issuing CA."""
    tls = TlsServer(tmp_path)
    tls.serve(pki.server(), pki.intermediate)
    await tls.start()
    yield tls
    await tls.stop()


async def _set_up(hass: HomeAssistant, settings: dict[str, str]) -> None:
    assert await async_setup_component(hass, "application_credentials", {})
    assert await async_setup_component(hass, DOMAIN, {DOMAIN: settings})
    await hass.async_block_till_done()


async def test_the_dev_ca_named_in_yaml_is_trusted(
    hass: HomeAssistant, tmp_path: Path, pki: Pki, server: TlsServer
) -> None:
    (tmp_path / "telemetry").mkdir()
    (tmp_path / "telemetry" / "ca.pem").write_text(pki.root.pem, encoding="utf-8")
    # A relative path is read from the configuration folder.
    hass.config.config_dir = str(tmp_path)
    await _set_up(hass, {CONF_TELEMETRY_TRUST: "telemetry/ca.pem"})

    chain = await async_check_server(hass, HOST, server.port)

    # What the cars would be sent: the chain above the server's certificate, root included.
    assert chain.fingerprint == chain_fingerprint(pki.ca_pem)
    assert server.handshakes == 1


async def test_without_the_key_the_dev_server_is_untrusted(
    hass: HomeAssistant, server: TlsServer
) -> None:
    await _set_up(hass, {})

    with pytest.raises(ServerCheckError) as err:
        await async_check_server(hass, HOST, server.port)

    assert err.value.key == "streaming_untrusted"


@pytest.mark.parametrize("content", [None, "not a certificate"], ids=["missing", "not_pem"])
async def test_an_unreadable_ca_file_is_reported_and_changes_nothing(
    hass: HomeAssistant,
    tmp_path: Path,
    server: TlsServer,
    caplog: pytest.LogCaptureFixture,
    content: str | None,
) -> None:
    cafile = tmp_path / "ca.pem"
    if content is not None:
        cafile.write_text(content, encoding="utf-8")
    await _set_up(hass, {CONF_TELEMETRY_TRUST: str(cafile)})

    assert f"Cannot read the telemetry CA file {cafile}" in caplog.text
    with pytest.raises(ServerCheckError) as err:
        await async_check_server(hass, HOST, server.port)
    assert err.value.key == "streaming_untrusted"
