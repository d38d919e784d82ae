"""Software update: shows the waiting version; install schedules it in the car."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_fleet_direct.const import DOMAIN
from fleet_emulator import Emulator

from .control_helpers import (
    call,
    loaded,  # noqa: F401  (autouse set-up)
)
from .entity_helpers import snapshot, state_of, summarise  # noqa: F401
from .vehicle_helpers import M3


async def test_install_schedules_the_update(hass: HomeAssistant, emulator: Emulator) -> None:
    entity = "update.red_pearl_software_update"
    state = state_of(hass, entity)
    assert state.state == "on"
    assert state.attributes["installed_version"] == "2025.20.6"
    assert state.attributes["latest_version"] == "2025.32.1"
    await call(hass, "update", "install", entity)
    car = emulator.vehicle(M3)
    assert car.software_update_status == "scheduled"
    assert car.software_update_at is not None
    # Scheduled, not yet installing: still offered, with no progress shown.
    state = state_of(hass, entity)
    assert (state.state, state.attributes["in_progress"]) == ("on", False)


async def test_installing_shows_progress(hass: HomeAssistant, emulator: Emulator) -> None:
    emulator.vehicle(M3).software_update_status = "installing"
    await call(hass, "button", "press", "button.red_pearl_refresh_data")
    state = state_of(hass, "update.red_pearl_software_update")
    assert state.attributes["in_progress"] is True
    assert state.attributes["update_percentage"] == 1


async def test_no_update_waiting(hass: HomeAssistant, emulator: Emulator) -> None:
    emulator.vehicle(M3).software_update_status = ""
    await call(hass, "button", "press", "button.red_pearl_refresh_data")
    assert state_of(hass, "update.red_pearl_software_update").state == "off"


async def test_update_entities_snapshot(
    hass: HomeAssistant,
    snapshot: SnapshotAssertion,  # noqa: F811
) -> None:
    """Registry facts and attributes of the car's update entities (names, icons, features)."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    summary = summarise(hass, entry, M3)
    assert {k: v for k, v in summary.items() if k.startswith("update.")} == snapshot
