"""Media player: what the car plays, volume, play/pause and tracks."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
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


async def test_play_pause_tracks_and_volume(hass: HomeAssistant, emulator: Emulator) -> None:
    entity = "media_player.red_pearl_media_player"
    assert state_of(hass, entity).state == "idle"
    await call(hass, "media_player", "media_play", entity)
    assert emulator.vehicle(M3).media_playing is True
    assert state_of(hass, entity).state == "playing"
    await call(hass, "media_player", "media_play", entity)  # already playing: no toggle
    assert emulator.vehicle(M3).media_playing is True
    await call(hass, "media_player", "media_next_track", entity)
    await call(hass, "media_player", "media_next_track", entity)
    await call(hass, "media_player", "media_previous_track", entity)
    assert emulator.vehicle(M3).media_track == 1
    await call(hass, "media_player", "volume_set", entity, volume_level=0.5)
    # Real cars top out at audio_volume_max 10.333333 (tests/fixtures/real/), sent to 0.1.
    assert emulator.vehicle(M3).media_volume == 5.2
    assert state_of(hass, entity).attributes["volume_level"] == pytest.approx(0.5, abs=0.01)
    await call(hass, "media_player", "media_pause", entity)
    assert emulator.vehicle(M3).media_playing is False
    # The emulated car reports a stopped player as Stopped (idle), a real one as Paused.
    assert state_of(hass, entity).state in {"paused", "idle"}
    assert commands_sent(emulator).count("media_toggle_playback") == 2


async def test_media_player_entities_snapshot(
    hass: HomeAssistant,
    snapshot: SnapshotAssertion,  # noqa: F811
) -> None:
    """Registry facts and attributes of the car's media_player entities (names, icons, features)."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    summary = summarise(hass, entry, M3)
    assert {k: v for k, v in summary.items() if k.startswith("media_player.")} == snapshot
