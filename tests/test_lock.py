"""Locks: doors lock and unlock; the charge cable can only be released."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
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


async def test_doors_unlock_and_lock(hass: HomeAssistant, emulator: Emulator) -> None:
    assert state_of(hass, "lock.red_pearl_doors").state == "locked"
    await call(hass, "lock", "unlock", "lock.red_pearl_doors")
    assert emulator.vehicle(M3).locked is False
    assert state_of(hass, "lock.red_pearl_doors").state == "unlocked"
    await call(hass, "lock", "lock", "lock.red_pearl_doors")
    assert emulator.vehicle(M3).locked is True
    assert state_of(hass, "lock.red_pearl_doors").state == "locked"


async def test_charge_cable_is_released_but_never_locked_remotely(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    emulator.vehicle(M3).plug_in()
    await call(hass, "button", "press", "button.red_pearl_refresh_data")
    assert state_of(hass, "lock.red_pearl_charge_cable").state == "locked"
    await call(hass, "lock", "unlock", "lock.red_pearl_charge_cable")
    assert commands_sent(emulator) == ["charge_port_door_open"]
    before = len(emulator.ledger.entries)
    with pytest.raises(ServiceValidationError):
        await call(hass, "lock", "lock", "lock.red_pearl_charge_cable")
    assert len(emulator.ledger.entries) == before


async def test_charge_cable_of_an_unplugged_car_is_not_an_unlocked_lock(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """No cable, nothing to lock: unavailable, so the overview counts no unlocked lock."""
    assert emulator.vehicle(M3).plugged_in is False
    assert _state(hass, "lock.red_pearl_charge_cable") == "unavailable"
    unlocked = [s.entity_id for s in hass.states.async_all("lock") if s.state == "unlocked"]
    assert unlocked == []
    # The second car is plugged in: its latch holds the cable.
    assert _state(hass, "lock.midnight_charge_cable") == "locked"
    emulator.vehicle(M3).plug_in()
    await call(hass, "button", "press", "button.red_pearl_refresh_data")
    assert _state(hass, "lock.red_pearl_charge_cable") == "locked"


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_signing_required_car_shows_the_repair_issue(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Midnight needs signed commands and has not got the app's key: a repair, not a trace."""
    with pytest.raises(HomeAssistantError, match="virtual key"):
        await call(hass, "lock", "unlock", "lock.midnight_doors")
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "key_not_paired_7SAYGDEE0PA000002")
    assert issue is not None
    assert emulator.vehicle("7SAYGDEE0PA000002").locked is True


async def test_lock_entities_snapshot(
    hass: HomeAssistant,
    snapshot: SnapshotAssertion,  # noqa: F811
) -> None:
    """Registry facts and attributes of the car's lock entities (names, icons, features)."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    summary = summarise(hass, entry, M3)
    assert {k: v for k, v in summary.items() if k.startswith("lock.")} == snapshot
