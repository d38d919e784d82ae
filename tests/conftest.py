"""Shared fixtures for the Tesla Fleet Direct tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

# Imported before the `hass` fixture runs so that Home Assistant's loader resolves the
# top-level `custom_components` package to this repository, not the harness's own.
import custom_components.tesla_fleet_direct  # noqa: F401
from fleet_emulator import Emulator


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom integrations in every test."""


@pytest.fixture
async def emulator(socket_enabled: None) -> AsyncIterator[Emulator]:
    """The Fleet API emulator with its default scenario on a free 127.0.0.1 port."""
    emu = Emulator()
    await emu.start("127.0.0.1", 0)
    yield emu
    await emu.stop()
