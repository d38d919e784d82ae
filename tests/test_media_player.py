"""Media player: what the car plays, volume, play/pause and tracks."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_fleet_direct.const import DOMAIN
from fleet_emulator import Emulator

from .common import setup_integration
from .entity_helpers import snapshot, summarise  # noqa: F401
from .vehicle_helpers import M3


@pytest.fixture(autouse=True)
async def loaded(hass: HomeAssistant, emulator: Emulator) -> None:
    """Both cars set up against the emulator, with their first data."""
    await setup_integration(hass, emulator)
    await hass.async_block_till_done(wait_background_tasks=True)


async def call(hass: HomeAssistant, domain: str, service: str, entity_id: str, **data: Any) -> None:
    await hass.services.async_call(domain, service, {"entity_id": entity_id, **data}, blocking=True)


def commands_sent(emulator: Emulator) -> list[str]:
    return [e.path.rsplit("/", 1)[-1] for e in emulator.ledger.entries if "/command/" in e.path]


async def test_play_pause_tracks_and_volume(hass: HomeAssistant, emulator: Emulator) -> None:
    entity = "media_player.red_pearl_media_player"
    assert hass.states.get(entity).state == "idle"
    await call(hass, "media_player", "media_play", entity)
    assert emulator.vehicle(M3).media_playing is True
    assert hass.states.get(entity).state == "playing"
    await call(hass, "media_player", "media_play", entity)  # already playing: no toggle
    assert emulator.vehicle(M3).media_playing is True
    await call(hass, "media_player", "media_next_track", entity)
    await call(hass, "media_player", "media_next_track", entity)
    await call(hass, "media_player", "media_previous_track", entity)
    assert emulator.vehicle(M3).media_track == 1
    await call(hass, "media_player", "volume_set", entity, volume_level=0.5)
    assert emulator.vehicle(M3).media_volume == 5.5
    assert hass.states.get(entity).attributes["volume_level"] == 0.5
    await call(hass, "media_player", "media_pause", entity)
    assert emulator.vehicle(M3).media_playing is False
    # The emulated car reports a stopped player as Stopped (idle), a real one as Paused.
    assert hass.states.get(entity).state in {"paused", "idle"}
    assert commands_sent(emulator).count("media_toggle_playback") == 2


async def test_media_player_entities_snapshot(
    hass: HomeAssistant,
    snapshot: SnapshotAssertion,  # noqa: F811
) -> None:
    """Registry facts and attributes of the car's media_player entities (names, icons, features)."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    summary = summarise(hass, entry, M3)  # type: ignore[arg-type]
    assert {k: v for k, v in summary.items() if k.startswith("media_player.")} == snapshot
