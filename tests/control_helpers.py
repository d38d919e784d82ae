"""Shared set-up of the control platforms' tests: both cars loaded, services called as a user would."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
import pytest

from fleet_emulator import Emulator

from .common import setup_integration


@pytest.fixture(autouse=True)
async def loaded(hass: HomeAssistant, emulator: Emulator) -> None:
    """Both cars set up against the emulator, with their first data."""
    await setup_integration(hass, emulator)
    await hass.async_block_till_done(wait_background_tasks=True)


async def call(hass: HomeAssistant, domain: str, service: str, entity_id: str, **data: Any) -> None:
    """Call an entity action and wait for it, as the UI does."""
    await hass.services.async_call(domain, service, {"entity_id": entity_id, **data}, blocking=True)


def commands_sent(emulator: Emulator) -> list[str]:
    """The command names the emulated cars received, in order."""
    return [e.path.rsplit("/", 1)[-1] for e in emulator.ledger.entries if "/command/" in e.path]
