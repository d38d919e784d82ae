"""Setting up streaming from the reconfigure menu, against the emulator and a real TLS server.

Every live check is run for real on loopback: the server's name resolves (the event loop's
resolver, or one that fails), its port answers TLS, the certificate is valid for the name and
chains to a trusted CA (the test's own root stands in for the commonly trusted ones), Home
Assistant's MQTT integration is set up (a loaded MQTT config entry; no broker runs yet), then the
emulator plays Tesla for fleet_status, the signed configuration and each car's answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
import socket
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.tesla_fleet_direct.streaming_upkeep import (
    DATA_PROBE,
    EXPIRY,
    ServerProbe,
    StreamingSettings,
)
from custom_components.tesla_fleet_direct.telemetry_fields import BY_NAME, FIELDS, plan
from fleet_emulator import Emulator
from tests.common import CLIENT_ID
from tests.streaming_helpers import (
    APP_DOMAIN,
    HOST,
    M3,
    MY,
    Pki,
    TlsServer,
    add_mqtt,
    config_sends,
    issue,
    open_streaming,
    remove_mqtt,
    server_input,
    streaming_account,
    submit,
    trust_only,
)

ALL_GROUPS = [
    "battery",
    "charging",
    "driving",
    "route",
    "climate",
    "security",
    "tyres",
    "software",
    "media",
]


@pytest.fixture(autouse=True)
def private_config_dir(hass: HomeAssistant, tmp_path: Path) -> None:
    """A fresh config directory, so every test makes its own app key."""
    hass.config.config_dir = str(tmp_path)


@pytest.fixture
def pki() -> Pki:
    """The test's certificate authority."""
    return Pki()


@pytest.fixture
async def server(tmp_path: Path, pki: Pki, socket_enabled: None) -> AsyncIterator[TlsServer]:
    """The user's telemetry server: a certificate for 127.0.0.1 with its intermediate."""
    tls = TlsServer(tmp_path)
    tls.serve(pki.server(), pki.intermediate)
    await tls.start()
    yield tls
    await tls.stop()


@pytest.fixture
def mqtt(hass: HomeAssistant) -> Iterator[None]:
    """Home Assistant's MQTT integration set up (as far as the check looks)."""
    entry = add_mqtt(hass)
    yield
    remove_mqtt(hass, entry)


@pytest.fixture
async def account(hass: HomeAssistant, emulator: Emulator, pki: Pki, mqtt: None) -> Any:
    """Signed commands set up, key on the Model Y, MQTT set up, the test CA trusted."""
    trust_only(hass, pki)
    entry, _key = await streaming_account(hass, emulator)
    return entry


def telemetry(emulator: Emulator, vin: str = MY) -> Any:
    """What the emulated car holds for our app (None: nothing)."""
    return emulator.telemetry.car(vin).configs.get(CLIENT_ID)


async def through_server(hass: HomeAssistant, entry: Any, port: int, **extra: Any) -> Any:
    """Menu > streaming > server step submitted; the fields step (or an error) comes back."""
    result = await open_streaming(hass, entry)
    assert result["step_id"] == "streaming_server"
    return await submit(hass, result, server_input(port, **extra))


async def send(hass: HomeAssistant, entry: Any, port: int, budget: float = 1.0) -> Any:
    """The whole walk up to the cars' summary."""
    result = await through_server(hass, entry, port)
    assert result["step_id"] == "streaming_fields", result.get("errors")
    return await submit(hass, result, {"groups": ALL_GROUPS, "budget": budget})


def car_line(result: Any, name: str) -> str:
    """The summary's line for one car."""
    summary: str = result["description_placeholders"]["cars"]
    lines = [line for line in summary.splitlines() if name in line]
    assert len(lines) == 1, summary
    return lines[0]


# --- the happy path -------------------------------------------------------------------------


async def test_happy_path_sends_the_signed_config_and_lists_each_car(
    hass: HomeAssistant, emulator: Emulator, account: Any, server: TlsServer, pki: Pki
) -> None:
    """The paired Model Y streams; the Model 3 (no key) is listed with its pairing link."""
    entry = account
    result = await through_server(hass, entry, server.port)
    assert result["step_id"] == "streaming_fields"
    # The default set's typical month, in dollars, before anything is sent.
    default = plan(ALL_GROUPS, 1.0)
    assert default is not None
    assert default.cost < 1.0
    assert result["description_placeholders"]["cost"] == f"{default.cost:.2f}"
    assert result["description_placeholders"]["cars"] == "2"
    assert config_sends(emulator) == 0

    result = await submit(hass, result, {"groups": ALL_GROUPS, "budget": 1.0})
    assert result["step_id"] == "streaming_cars"
    assert "streams to your server" in car_line(result, emulator.vehicle(MY).display_name)
    m3 = car_line(result, emulator.vehicle(M3).display_name)
    assert "virtual key is not on the car" in m3
    assert f"https://tesla.com/_ak/{APP_DOMAIN}?vin={M3}" in m3

    held = telemetry(emulator)
    assert held is not None
    assert held.accepted
    assert held.synced
    claims = held.claims
    assert (claims["hostname"], claims["port"]) == (HOST, server.port)
    # The chain above the server's certificate, root included, read from the server.
    assert claims["ca"] == pki.ca_pem
    # Every field of the table, at the listed intervals (the default budget covers them).
    assert claims["fields"] == {f.name: {"interval_seconds": f.interval_s} for f in FIELDS}
    now = datetime.now(UTC).timestamp()
    assert abs(claims["exp"] - (now + EXPIRY.total_seconds())) < 120
    assert telemetry(emulator, M3) is None

    result = await submit(hass, result, {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "streaming_ready"
    settings = StreamingSettings.from_entry(entry)
    assert settings is not None
    assert settings.exp == claims["exp"]
    assert settings.cars == {MY: "streaming", M3: "missing_key"}
    assert settings.topic_base == "telemetry"
    assert settings.ca_from_host
    assert config_sends(emulator) == 1


async def test_pasted_chain_is_sent_as_pasted(
    hass: HomeAssistant, emulator: Emulator, account: Any, server: TlsServer, pki: Pki
) -> None:
    """A pasted chain that verifies the server is what the cars get."""
    result = await through_server(hass, account, server.port, ca=pki.ca_pem)
    assert result["step_id"] == "streaming_fields", result.get("errors")
    await submit(hass, result, {"groups": ["battery"], "budget": 1.0})
    held = telemetry(emulator)
    assert held.claims["ca"] == pki.ca_pem
    assert set(held.claims["fields"]) == {f.name for f in FIELDS if f.group == "battery"}
    settings = StreamingSettings.from_entry(account)
    assert settings is not None
    assert not settings.ca_from_host


async def test_small_budget_stretches_intervals_and_too_small_is_refused(
    hass: HomeAssistant, emulator: Emulator, account: Any, server: TlsServer
) -> None:
    """Intervals grow until a typical month fits the budget; below the cheapest, an error."""
    result = await through_server(hass, account, server.port)
    result = await submit(hass, result, {"groups": ALL_GROUPS, "budget": 0.001})
    assert result["errors"] == {"budget": "streaming_budget_too_small"}
    assert float(result["description_placeholders"]["minimum"]) > 0.001
    assert config_sends(emulator) == 0

    result = await submit(hass, result, {"groups": ALL_GROUPS, "budget": 0.2})
    assert result["step_id"] == "streaming_cars"
    fields = telemetry(emulator).claims["fields"]
    assert fields["Location"]["interval_seconds"] > BY_NAME["Location"].interval_s
    chosen = plan(ALL_GROUPS, 0.2)
    assert chosen is not None
    assert chosen.cost <= 0.2
    assert {k: v["interval_seconds"] for k, v in fields.items()} == dict(chosen.intervals)


async def test_no_group_chosen(
    hass: HomeAssistant, emulator: Emulator, account: Any, server: TlsServer
) -> None:
    result = await through_server(hass, account, server.port)
    result = await submit(hass, result, {"groups": [], "budget": 1.0})
    assert result["errors"] == {"groups": "streaming_no_fields"}


# --- each live check failing with its message ----------------------------------------------


async def test_name_that_does_not_resolve(
    hass: HomeAssistant, emulator: Emulator, account: Any, server: TlsServer, pki: Pki
) -> None:
    async def no_such_host(host: str, port: int) -> Sequence[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    hass.data[DATA_PROBE] = ServerProbe(trust=pki.trust(), resolve=no_such_host)
    result = await through_server(hass, account, server.port)
    assert result["errors"] == {"base": "streaming_host_not_found"}
    assert "not known" in result["description_placeholders"]["detail"]


async def test_closed_port(hass: HomeAssistant, emulator: Emulator, account: Any) -> None:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        closed = probe.getsockname()[1]
    result = await through_server(hass, account, closed)
    assert result["errors"] == {"base": "streaming_port_closed"}


async def test_port_that_does_not_speak_tls(
    hass: HomeAssistant, emulator: Emulator, account: Any
) -> None:
    """A plain web server on the port (or a proxy answering in clear text)."""

    async def http(reader: Any, writer: Any) -> None:
        await reader.read(100)
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    plain = await asyncio.start_server(http, HOST, 0)
    try:
        result = await through_server(hass, account, plain.sockets[0].getsockname()[1])
    finally:
        plain.close()
        await plain.wait_closed()
    assert result["errors"] == {"base": "streaming_not_tls"}


@pytest.mark.parametrize(
    ("serve", "error"),
    [
        # Valid name and CA, but expired yesterday.
        (
            lambda pki: (
                pki.server(
                    valid_from=datetime.now(UTC) - timedelta(days=30),
                    valid_until=datetime.now(UTC) - timedelta(days=1),
                ),
                pki.intermediate,
            ),
            "streaming_cert_expired",
        ),
        # From the trusted CA, but for another name.
        (
            lambda pki: (pki.server(hosts=("telemetry.example.net",)), pki.intermediate),
            "streaming_hostname_mismatch",
        ),
        # A CA nobody trusts (self-made).
        (lambda pki: (Pki().server(), Pki().intermediate), "streaming_untrusted"),
        # Trusted CA, but the server leaves out the intermediate certificate.
        (lambda pki: (pki.server(),), "streaming_untrusted"),
    ],
    ids=["expired", "wrong_name", "untrusted_ca", "no_intermediate"],
)
async def test_certificate_problems(
    hass: HomeAssistant,
    emulator: Emulator,
    *,
    account: Any,
    server: TlsServer,
    pki: Pki,
    serve: Any,
    error: str,
) -> None:
    server.serve(*serve(pki))
    result = await through_server(hass, account, server.port)
    assert result["errors"] == {"base": error}
    assert result["description_placeholders"]["detail"]
    assert config_sends(emulator) == 0


async def test_pasted_chain_that_is_not_pem_or_does_not_fit(
    hass: HomeAssistant, emulator: Emulator, account: Any, server: TlsServer
) -> None:
    result = await through_server(hass, account, server.port, ca="not a certificate")
    assert result["errors"] == {"base": "streaming_ca_not_pem"}
    other = Pki()
    result = await submit(hass, result, server_input(server.port, ca=other.ca_pem))
    assert result["errors"] == {"base": "streaming_ca_mismatch"}
    # Without its root the car could not verify the server either.
    pki_intermediate_only = issue("Lone Issuing CA", ca=True)
    result = await submit(hass, result, server_input(server.port, ca=pki_intermediate_only.pem))
    assert result["errors"] == {"base": "streaming_ca_mismatch"}


async def test_mqtt_integration_missing(
    hass: HomeAssistant, emulator: Emulator, server: TlsServer, pki: Pki
) -> None:
    trust_only(hass, pki)
    entry, _key = await streaming_account(hass, emulator)
    result = await through_server(hass, entry, server.port)
    assert result["errors"] == {"base": "streaming_mqtt_missing"}


@pytest.mark.parametrize(
    ("given", "error"),
    [
        (
            {"hostname": "https://telemetry.example.com:4443/"},
            {"hostname": "streaming_hostname_invalid"},
        ),
        ({"hostname": "telemetry"}, {"hostname": "streaming_hostname_invalid"}),
        ({"topic_base": "tesla/#"}, {"topic_base": "streaming_topic_invalid"}),
        ({"topic_base": "/telemetry"}, {"topic_base": "streaming_topic_invalid"}),
    ],
)
async def test_input_that_is_not_a_server(
    hass: HomeAssistant,
    emulator: Emulator,
    account: Any,
    given: dict[str, str],
    error: dict[str, str],
) -> None:
    result = await open_streaming(hass, account)
    result = await submit(hass, result, {**server_input(443), **given})
    assert result["errors"] == error


async def test_streaming_needs_signed_commands_first(
    hass: HomeAssistant, emulator: Emulator, pki: Pki
) -> None:
    trust_only(hass, pki)
    entry, _key = await streaming_account(hass, emulator)
    hass.config_entries.async_update_entry(
        entry, data={k: v for k, v in entry.data.items() if k != "app_domain"}
    )
    result = await open_streaming(hass, entry)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "streaming_needs_signing"


# --- cars that cannot stream ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "state", "says"),
    [
        ({"firmware": "2024.20.1"}, "unsupported_firmware", "(2024.20.1 < 2024.26)"),
        ({"computer": "mcu1"}, "unsupported_hardware", "computer is too old"),
        (
            {"computer": "intel_atom_sx", "firmware": "2025.20.3"},
            "needs_toggle",
            "Allow Third-Party App Data Streaming",
        ),
        (
            {"computer": "intel_atom_sx", "firmware": "2025.14.1", "streaming_toggle": True},
            "unsupported_firmware",
            "(2025.14.1 < 2025.20)",
        ),
        ({"other_apps": 3, "limit_mode": "skip"}, "max_configs", "too many other apps"),
        # Tesla counts the car as updated, but it keeps nothing (fleet-telemetry#294).
        ({"other_apps": 3}, "limit_reached", "too many other apps"),
    ],
    ids=[
        "old_firmware",
        "mcu1",
        "intel_atom_toggle_off",
        "intel_atom_old_firmware",
        "max_configs",
        "app_limit",
    ],
)
async def test_car_that_cannot_stream_is_listed_with_what_to_do(
    hass: HomeAssistant,
    emulator: Emulator,
    *,
    account: Any,
    server: TlsServer,
    settings: dict[str, Any],
    state: str,
    says: str,
) -> None:
    for name, value in settings.items():
        setattr(emulator.telemetry.car(MY), name, value)
    result = await send(hass, account, server.port)
    assert result["step_id"] == "streaming_cars"
    line = car_line(result, emulator.vehicle(MY).display_name)
    assert says in line
    assert "keeps polling" in line
    stored = StreamingSettings.from_entry(account)
    assert stored is not None
    assert stored.cars[MY] == state
    held = telemetry(emulator)
    assert held is None or not held.accepted


@pytest.mark.usefixtures("mqtt")
async def test_missing_key_on_a_car_that_takes_keys(
    hass: HomeAssistant, emulator: Emulator, server: TlsServer, pki: Pki
) -> None:
    """The Model Y without the app's key: its own pairing link."""
    trust_only(hass, pki)
    entry, _key = await streaming_account(hass, emulator, pair=False)
    result = await send(hass, entry, server.port)
    line = car_line(result, emulator.vehicle(MY).display_name)
    assert f"https://tesla.com/_ak/{APP_DOMAIN}?vin={MY}" in line
    assert telemetry(emulator) is None


async def test_sleeping_car_takes_it_when_awake(
    hass: HomeAssistant, emulator: Emulator, account: Any, server: TlsServer
) -> None:
    emulator.vehicle(MY).power_state = "asleep"
    result = await send(hass, account, server.port)
    assert "next awake" in car_line(result, emulator.vehicle(MY).display_name)
    settings = StreamingSettings.from_entry(account)
    assert settings is not None
    assert settings.cars[MY] == "pending"


async def test_read_back_failing_still_keeps_what_was_sent(
    hass: HomeAssistant, emulator: Emulator, account: Any, server: TlsServer
) -> None:
    """Tesla took the configuration but the read-back fails: saved anyway, shown as waiting."""
    emulator.faults.inject(f"*/vehicles/{MY}/fleet_telemetry_config", 503)
    result = await send(hass, account, server.port)
    assert result["step_id"] == "streaming_cars"
    assert "next awake" in car_line(result, emulator.vehicle(MY).display_name)
    settings = StreamingSettings.from_entry(account)
    assert settings is not None
    assert settings.cars[MY] == "pending"
    # Known to the entry, so removing it deletes the configuration from the car.
    await hass.config_entries.async_remove(account.entry_id)
    await hass.async_block_till_done()
    assert telemetry(emulator) is None


async def test_app_not_registered_in_the_region(
    hass: HomeAssistant, emulator: Emulator, account: Any, server: TlsServer
) -> None:
    emulator.partner_domains.clear()
    result = await send(hass, account, server.port)
    assert result["errors"] == {"base": "streaming_app_not_registered"}
    assert StreamingSettings.from_entry(account) is None


# --- changing, turning off, removing -------------------------------------------------------


async def test_changing_the_settings_sends_them_at_once(
    hass: HomeAssistant, emulator: Emulator, account: Any, server: TlsServer
) -> None:
    """Change: the form starts from what is set; the new field choice reaches the car."""
    await send(hass, account, server.port)
    result = await open_streaming(hass, account)
    result = await submit(hass, result, {"next_step_id": "streaming_server"})
    schema = result["data_schema"].schema
    suggested = {str(k): (k.description or {}).get("suggested_value") for k in schema}
    assert suggested["hostname"] == HOST
    assert suggested["port"] == server.port
    result = await submit(hass, result, server_input(server.port))
    result = await submit(hass, result, {"groups": ["tyres"], "budget": 1.0})
    assert result["step_id"] == "streaming_cars"
    assert set(telemetry(emulator).claims["fields"]) == {
        f.name for f in FIELDS if f.group == "tyres"
    }
    assert config_sends(emulator) == 2


async def test_turning_streaming_off_deletes_the_configs(
    hass: HomeAssistant, emulator: Emulator, account: Any, server: TlsServer
) -> None:
    await send(hass, account, server.port)
    assert telemetry(emulator) is not None
    result = await open_streaming(hass, account)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["streaming_server", "streaming_off"]
    result = await submit(hass, result, {"next_step_id": "streaming_off"})
    assert result["step_id"] == "streaming_off"
    result = await submit(hass, result, {})
    assert result["reason"] == "streaming_off_done"
    assert telemetry(emulator) is None
    deletes = [
        e.path
        for e in emulator.ledger.entries
        if e.method == "DELETE" and e.path.endswith("/fleet_telemetry_config")
    ]
    # Only the car that held it; the Model 3 never took one.
    assert len(deletes) == 1
    assert deletes[0].endswith(f"/api/1/vehicles/{MY}/fleet_telemetry_config")
    assert StreamingSettings.from_entry(account) is None


async def test_removing_the_entry_deletes_the_configs(
    hass: HomeAssistant, emulator: Emulator, account: Any, server: TlsServer
) -> None:
    await send(hass, account, server.port)
    assert telemetry(emulator) is not None
    await hass.config_entries.async_remove(account.entry_id)
    await hass.async_block_till_done()
    assert telemetry(emulator) is None
    assert any(
        e.method == "DELETE" and e.path.endswith(f"/vehicles/{MY}/fleet_telemetry_config")
        for e in emulator.ledger.entries
    )


@pytest.mark.usefixtures("current_request_with_host")
async def test_sign_in_again_keeps_the_streaming_settings(
    hass: HomeAssistant,
    emulator: Emulator,
    account: Any,
    server: TlsServer,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A reauthentication replaces the token, not what signing and streaming stored."""
    await send(hass, account, server.port)
    streaming = account.data["streaming"]
    emulator.revoke_refresh_tokens("owner")
    result = await account.start_reauth_flow(hass)
    result = await submit(hass, result, {})
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    auto = str(URL(result["url"]).update_query({"emulator_auto_approve": "1"}))
    async with (
        aiohttp.ClientSession() as browser,
        browser.get(auto, allow_redirects=False) as consent,
    ):
        back = urlsplit(consent.headers["Location"])
    client = await hass_client_no_auth()
    assert (await client.get(f"{back.path}?{back.query}")).status == 200
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert account.data["streaming"] == streaming
    assert account.data["app_domain"] == APP_DOMAIN
