"""Shared fixtures for the Tesla Fleet Direct tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

# Imported before the `hass` fixture runs so that Home Assistant's loader resolves the
# top-level `custom_components` package to this repository, not the harness's own.
import custom_components.tesla_fleet_direct  # noqa: F401
from fleet_emulator import Emulator
from tests.mqtt_helpers import Broker, mosquitto_binary, setup_mqtt, unload_mqtt


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom integrations in every test."""


def pytest_configure(config: pytest.Config) -> None:
    """Markers of this suite."""
    config.addinivalue_line(
        "markers", "refresh_token_reuse: the test sends a used refresh token on purpose"
    )


@pytest.fixture
async def emulator(socket_enabled: None, request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    """The Fleet API emulator with its default scenario on a free 127.0.0.1 port.

    Fails the test if a rotated refresh token is ever sent again (Tesla would lock the user
    out), unless the test is marked `refresh_token_reuse` or is one of the emulator's own.
    """
    emu = Emulator()
    await emu.start("127.0.0.1", 0)
    yield emu
    await emu.stop()
    # The emulator's own tests send used tokens on purpose to check the server's answer.
    exempt = request.node.get_closest_marker("refresh_token_reuse") is not None or (
        request.node.path.parent.name == "emulator"
    )
    if emu.tokens.reuses and not exempt:
        pytest.fail(f"the emulator saw a refresh token reused: {emu.tokens.reuses}")


@pytest.fixture
def mqtt_broker(socket_enabled: None, tmp_path: Path) -> Iterator[Broker]:
    """A real Mosquitto on a free 127.0.0.1 port (skips when it is not installed)."""
    broker = Broker(mosquitto_binary(), tmp_path)
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
async def ha_mqtt(
    hass: HomeAssistant, mqtt_broker: Broker, mock_hass_config: None
) -> AsyncIterator[MockConfigEntry]:
    """Home Assistant's own mqtt integration connected to `mqtt_broker` (no YAML config)."""
    entry = await setup_mqtt(hass, mqtt_broker)
    yield entry
    await unload_mqtt(hass, entry)
