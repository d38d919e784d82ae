"""Keeping streaming true over weeks of virtual time: re-sends, checks and repair issues.

Home Assistant's clock (the freezer) and the emulator's follow each other; the TLS server is
real and its certificates are valid on the machine's clock, so OpenSSL accepts them however
far the virtual clock moves. Each tick moves six hours, the upkeep's own period.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.streaming_upkeep import CHECK_EVERY, StreamingSettings
from fleet_emulator import Emulator
from tests.common import CLIENT_ID
from tests.streaming_helpers import (
    MY,
    Pki,
    TlsServer,
    add_mqtt,
    config_sends,
    open_streaming,
    remove_mqtt,
    server_input,
    streaming_account,
    submit,
    trust_only,
)

TICKS_PER_DAY = int(timedelta(days=1) / CHECK_EVERY)


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
    """The telemetry server with a certificate valid for a year."""
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
async def streaming(
    hass: HomeAssistant, emulator: Emulator, pki: Pki, server: TlsServer, mqtt: None
) -> Any:
    """An account whose Model Y streams, set up through the flow (one config sent)."""
    trust_only(hass, pki)
    entry, _key = await streaming_account(hass, emulator)
    result = await open_streaming(hass, entry)
    result = await submit(hass, result, server_input(server.port))
    result = await submit(hass, result, {"groups": ["battery", "driving"], "budget": 1.0})
    await submit(hass, result, {})
    assert config_sends(emulator) == 1
    return entry


async def run_days(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, days: float, **at_day: Any
) -> None:
    """Move the clocks `days` forward in upkeep ticks; `at_day={"10": fn}` runs fn on day 10."""
    for tick in range(round(days * TICKS_PER_DAY)):
        day = (tick + 1) / TICKS_PER_DAY
        freezer.tick(CHECK_EVERY)
        if (action := at_day.get(f"d{day:g}")) is not None:
            action()
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)


def held_exp(emulator: Emulator) -> int:
    """The `exp` of the configuration the Model Y holds."""
    config = emulator.telemetry.car(MY).configs[CLIENT_ID]
    exp: int = config.claims["exp"]
    return exp


def issue(hass: HomeAssistant, issue_id: str) -> ir.IssueEntry | None:
    """One of the integration's repair issues."""
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id)


async def test_sixty_days_re_send_only_before_expiry(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator, streaming: Any
) -> None:
    """A 30-day config is re-sent in its last week: day 0, 23 and 46, and never otherwise."""
    first_exp = held_exp(emulator)
    await run_days(hass, freezer, 60)
    assert config_sends(emulator) == 3
    # The car never went without: each re-send came a week before the last one expired.
    assert held_exp(emulator) == first_exp + 2 * 23 * 86400
    settings = StreamingSettings.from_entry(streaming)
    assert settings is not None
    assert settings.exp == held_exp(emulator)
    assert issue(hass, f"streaming_certificate_expiring_{streaming.entry_id}") is None


async def test_sixty_days_with_a_new_chain_on_day_ten(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    emulator: Emulator,
    streaming: Any,
    server: TlsServer,
    pki: Pki,
) -> None:
    """A renewed certificate under another intermediate is sent on the next tick, once."""
    rotated = pki.new_intermediate("Test Issuing CA 2")

    def renew() -> None:
        pki.intermediate = rotated
        server.serve(pki.server(), rotated)

    await run_days(hass, freezer, 60, d10=renew)
    # Day 0, day 10 (new chain), then a week before each expiry: days 33 and 56.
    assert config_sends(emulator) == 4
    held = emulator.telemetry.car(MY).configs[CLIENT_ID].claims
    assert held["ca"] == rotated.pem + pki.root.pem


async def test_same_chain_renewed_leaf_is_not_re_sent(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    emulator: Emulator,
    streaming: Any,
    server: TlsServer,
    pki: Pki,
) -> None:
    """A new server certificate from the same intermediate changes nothing the car holds."""
    await run_days(hass, freezer, 10, d5=lambda: server.serve(pki.server(), pki.intermediate))
    assert config_sends(emulator) == 1


async def test_certificate_about_to_expire_raises_an_issue(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    emulator: Emulator,
    streaming: Any,
    server: TlsServer,
    pki: Pki,
) -> None:
    """Two weeks before the server's certificate expires, the owner is told; renewal clears it."""
    soon = datetime.now(UTC) + timedelta(days=20)
    server.serve(pki.server(valid_until=soon), pki.intermediate)
    issue_id = f"streaming_certificate_expiring_{streaming.entry_id}"
    await run_days(hass, freezer, 5)
    assert issue(hass, issue_id) is None
    await run_days(hass, freezer, 2)
    found = issue(hass, issue_id)
    assert found is not None
    assert found.translation_placeholders == {
        "hostname": "127.0.0.1",
        "date": soon.date().isoformat(),
    }
    server.serve(pki.server(), pki.intermediate)
    await run_days(hass, freezer, 0.25)
    assert issue(hass, issue_id) is None
    # Same chain: renewing the certificate sent nothing new.
    assert config_sends(emulator) == 1


async def test_errors_the_car_reports_raise_an_issue_until_resent(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator, streaming: Any
) -> None:
    """An error reported after the send shows at the next daily check with Tesla's text."""
    await run_days(hass, freezer, 1)
    assert issue(hass, f"streaming_errors_{MY}") is None
    emulator.telemetry.add_error(MY, CLIENT_ID, "tls: bad certificate", "config_manager_error")
    await run_days(hass, freezer, 1)
    found = issue(hass, f"streaming_errors_{MY}")
    assert found is not None
    assert found.translation_placeholders is not None
    assert found.translation_placeholders["error"] == "tls: bad certificate"
    # Sending again (here: the re-send before expiry) makes old errors history.
    await run_days(hass, freezer, 23)
    assert config_sends(emulator) == 2
    assert issue(hass, f"streaming_errors_{MY}") is None


async def test_config_dropped_raises_an_issue(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator, streaming: Any
) -> None:
    """The car no longer holds the configuration (access revoked): an issue, no re-send."""
    await run_days(hass, freezer, 1)
    emulator.telemetry.car(MY).configs.pop(CLIENT_ID)
    await run_days(hass, freezer, 1)
    found = issue(hass, f"streaming_config_dropped_{MY}")
    assert found is not None
    assert found.translation_placeholders == {"name": emulator.vehicle(MY).display_name}
    assert config_sends(emulator) == 1


async def test_daily_check_costs_two_reads_per_streaming_car(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator, streaming: Any
) -> None:
    """Once a day: the car's config and its errors; nothing for the car that cannot stream."""
    before = len(emulator.ledger.entries)
    await run_days(hass, freezer, 3)
    telemetry = [e.path for e in emulator.ledger.entries[before:] if "fleet_telemetry" in e.path]
    assert sorted(telemetry) == sorted(
        [f"/na/api/1/vehicles/{MY}/fleet_telemetry_config"] * 3
        + [f"/na/api/1/vehicles/{MY}/fleet_telemetry_errors"] * 3
    )
