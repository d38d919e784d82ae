"""HomeLink: the button exists on a car whose answers report HomeLink devices and opens them."""

from __future__ import annotations

from collections.abc import AsyncIterator

from homeassistant.core import HomeAssistant
import pytest

from fleet_emulator import Emulator
from fleet_emulator.scenario import DEFAULT_SCENARIO, parse_scenario

from .common import setup_integration
from .control_helpers import call
from .vehicle_helpers import M3


@pytest.fixture
async def emulator(socket_enabled: None) -> AsyncIterator[Emulator]:
    """Red Pearl as a Model Y: the real Model Y answer reports three HomeLink devices
    (fleet_emulator/vehicle_profiles.py, from Tesla's Fleet API reference sample)."""
    vehicles = [dict(v) for v in DEFAULT_SCENARIO["vehicles"]]
    vehicles[0]["model"] = "modely"
    emu = Emulator(parse_scenario({**DEFAULT_SCENARIO, "vehicles": vehicles}, start=0))
    await emu.start("127.0.0.1", 0)
    yield emu
    await emu.stop()


@pytest.fixture(autouse=True)
async def loaded(hass: HomeAssistant, emulator: Emulator) -> None:
    """The account set up against the emulator, with the cars' first data."""
    await setup_integration(hass, emulator)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_homelink_opens_the_door_once_with_the_cars_position(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    await call(hass, "button", "press", "button.red_pearl_homelink")
    car = emulator.vehicle(M3)
    assert car.homelink_triggers == 1
    sent = [e for e in emulator.ledger.entries if e.path.endswith("/trigger_homelink")]
    assert len(sent) == 1
