"""Covers: windows, frunk, trunk and charge port door move the emulated car's closures."""

from __future__ import annotations

import time

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_fleet_direct.const import DOMAIN
from fleet_emulator import Emulator

from .control_helpers import (
    call,
    commands_sent,
    loaded,  # noqa: F401  (autouse set-up)
)
from .entity_helpers import snapshot, state_of, summarise  # noqa: F401
from .vehicle_helpers import M3


async def test_windows_vent_and_close(hass: HomeAssistant, emulator: Emulator) -> None:
    assert state_of(hass, "cover.red_pearl_windows").state == "closed"
    await call(hass, "cover", "open_cover", "cover.red_pearl_windows")
    assert emulator.vehicle(M3).windows_vented is True
    assert state_of(hass, "cover.red_pearl_windows").state == "open"
    await call(hass, "cover", "close_cover", "cover.red_pearl_windows")
    assert emulator.vehicle(M3).windows_vented is False
    assert state_of(hass, "cover.red_pearl_windows").state == "closed"


async def test_frunk_opens_and_offers_no_close(hass: HomeAssistant, emulator: Emulator) -> None:
    await call(hass, "cover", "open_cover", "cover.red_pearl_frunk")
    assert emulator.vehicle(M3).frunk_open is True
    state = state_of(hass, "cover.red_pearl_frunk")
    assert state.state == "open"
    assert state.attributes["supported_features"] == 1  # open only


async def test_trunk_opens_and_closes_without_toggling_twice(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    await call(hass, "cover", "open_cover", "cover.red_pearl_trunk")
    assert emulator.vehicle(M3).trunk_open is True
    assert state_of(hass, "cover.red_pearl_trunk").state == "open"
    # Opening an open trunk sends nothing (Tesla's command toggles).
    await call(hass, "cover", "open_cover", "cover.red_pearl_trunk")
    assert emulator.vehicle(M3).trunk_open is True
    assert commands_sent(emulator) == ["actuate_trunk"]
    await call(hass, "cover", "close_cover", "cover.red_pearl_trunk")
    assert emulator.vehicle(M3).trunk_open is False
    assert state_of(hass, "cover.red_pearl_trunk").state == "closed"


async def test_charge_port_door(hass: HomeAssistant, emulator: Emulator) -> None:
    await call(hass, "cover", "open_cover", "cover.red_pearl_charge_port_door")
    assert emulator.vehicle(M3).charge_port_door_open is True
    assert state_of(hass, "cover.red_pearl_charge_port_door").state == "open"
    await call(hass, "cover", "close_cover", "cover.red_pearl_charge_port_door")
    assert emulator.vehicle(M3).charge_port_door_open is False
    assert state_of(hass, "cover.red_pearl_charge_port_door").state == "closed"


async def test_no_sunroof_on_a_model_3(hass: HomeAssistant) -> None:
    assert hass.states.get("cover.red_pearl_sunroof") is None


async def test_cover_entities_snapshot(
    hass: HomeAssistant,
    snapshot: SnapshotAssertion,  # noqa: F811
) -> None:
    """Registry facts and attributes of the car's cover entities (names, icons, features)."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    summary = summarise(hass, entry, M3)
    assert {k: v for k, v in summary.items() if k.startswith("cover.")} == snapshot


async def test_closing_windows_without_a_known_location_sends_nothing(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    coordinator = entry.runtime_data.vehicles.coordinators[M3]
    # The car stopped reporting its position (Tesla sends nulls without a GPS fix).
    coordinator.async_observe(
        {"drive_state": {"latitude": None, "longitude": None}},
        observed_at=time.time(),
        source="poll",
    )
    before = len(emulator.ledger.entries)
    with pytest.raises(ServiceValidationError):
        await call(hass, "cover", "close_cover", "cover.red_pearl_windows")
    assert len(emulator.ledger.entries) == before
