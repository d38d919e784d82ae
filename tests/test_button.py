"""Buttons: one-shot actions on the emulated car."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
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


async def enable(hass: HomeAssistant, *entity_ids: str) -> None:
    """Enable entities that are off by default, as a user would, and reload the entry."""
    registry = er.async_get(hass)
    for entity_id in entity_ids:
        registered = registry.async_get(entity_id)
        assert registered is not None, f"{entity_id} is not registered"
        assert registered.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        registry.async_update_entity(entity_id, disabled_by=None)
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize(
    ("entity_id", "read"),
    [
        ("button.red_pearl_flash_lights", lambda car: car.light_flashes),
        ("button.red_pearl_honk_horn", lambda car: car.horn_honks),
        ("button.red_pearl_play_fart", lambda car: car.boombox_plays),
    ],
)
async def test_button_runs_once_in_the_car(
    hass: HomeAssistant, emulator: Emulator, entity_id: str, read: Any
) -> None:
    if entity_id == "button.red_pearl_play_fart":
        await enable(hass, entity_id)
    await call(hass, "button", "press", entity_id)
    assert read(emulator.vehicle(M3)) == 1


async def test_favorites_step_through_the_cars_favourites(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    await enable(hass, "button.red_pearl_next_favorite", "button.red_pearl_previous_favorite")
    await call(hass, "button", "press", "button.red_pearl_next_favorite")
    await call(hass, "button", "press", "button.red_pearl_next_favorite")
    await call(hass, "button", "press", "button.red_pearl_previous_favorite")
    assert emulator.vehicle(M3).media_favorite == 1


async def test_keyless_driving(hass: HomeAssistant, emulator: Emulator) -> None:
    await call(hass, "button", "press", "button.red_pearl_keyless_driving")
    car = emulator.vehicle(M3)
    assert car.remote_start_until > car.now


async def test_no_homelink_button_on_a_car_without_homelink(hass: HomeAssistant) -> None:
    # Real Model 3 answers carry no homelink_* keys (tests/fixtures/real/README.md): no button.
    assert hass.states.get("button.red_pearl_homelink") is None


async def test_refresh_reads_the_car_now(hass: HomeAssistant, emulator: Emulator) -> None:
    emulator.vehicle(M3).sentry_mode = True  # changed in the car (e.g. from the phone app)
    assert state_of(hass, "switch.red_pearl_sentry_mode").state == "off"
    await call(hass, "button", "press", "button.red_pearl_refresh_data")
    assert state_of(hass, "switch.red_pearl_sentry_mode").state == "on"
    assert commands_sent(emulator) == []


async def test_wake_up_button_on_an_awake_car_costs_no_wake(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """The fresh state check says online: no billed wake is sent."""
    await call(hass, "button", "press", "button.red_pearl_wake_up")
    assert not [e for e in emulator.ledger.entries if e.path.endswith("/wake_up")]


async def test_button_entities_snapshot(
    hass: HomeAssistant,
    snapshot: SnapshotAssertion,  # noqa: F811
) -> None:
    """Registry facts and attributes of the car's button entities (names, icons, features)."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    summary = summarise(hass, entry, M3)
    assert {k: v for k, v in summary.items() if k.startswith("button.")} == snapshot
