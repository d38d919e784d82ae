"""Media player: what the car is playing, its volume, play/pause and next/previous track."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.components.media_player import MediaPlayerEntity, MediaPlayerEntityDescription
from homeassistant.components.media_player.const import (
    MediaPlayerDeviceClass,
    MediaPlayerEntityFeature,
    MediaPlayerState,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api.vehicle_commands import VOLUME_MAX, VehicleCommands
from .api.vehicle_data import MediaInfo
from .control_entity import (
    VehicleControlDescription,
    VehicleControlEntity,
    async_add_vehicle_controls,
)
from .devices import TeslaFleetDirectConfigEntry

PARALLEL_UPDATES = 0

STATES = {
    "Playing": MediaPlayerState.PLAYING,
    "Paused": MediaPlayerState.PAUSED,
    "Stopped": MediaPlayerState.IDLE,
}


@dataclass(frozen=True, kw_only=True)
class VehicleMediaDescription(VehicleControlDescription, MediaPlayerEntityDescription):
    """The car's media system."""


MEDIA = VehicleMediaDescription(
    key="media",
    translation_key="media",
    device_class=MediaPlayerDeviceClass.SPEAKER,
    endpoints=frozenset({"vehicle_state"}),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaFleetDirectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the media player of every car the granted scopes allow."""
    async_add_vehicle_controls(hass, entry, (MEDIA,), VehicleMedia, async_add_entities)


class VehicleMedia(VehicleControlEntity, MediaPlayerEntity):
    """The car's media system (Tesla offers no source or track choice over the API)."""

    entity_description: VehicleMediaDescription
    _attr_supported_features = (
        MediaPlayerEntityFeature.VOLUME_SET
        | MediaPlayerEntityFeature.PLAY
        | MediaPlayerEntityFeature.PAUSE
        | MediaPlayerEntityFeature.NEXT_TRACK
        | MediaPlayerEntityFeature.PREVIOUS_TRACK
    )

    @property
    def _media(self) -> MediaInfo:
        return self.car.vehicle.media_info

    @property
    def _volume_max(self) -> float:
        # Tesla's own scale when the car does not say.
        top = self._media.audio_volume_max
        return top if top is not None and top > 0 else VOLUME_MAX

    def _update_attrs(self) -> None:
        media = self._media
        if not media.raw:
            # Asleep or not yet read: the car's media system is off.
            self._attr_state = MediaPlayerState.OFF if self.coordinator.data else None
            return
        self._attr_state = STATES.get(str(media.media_playback_status), MediaPlayerState.ON)
        volume = media.audio_volume
        self._attr_volume_level = volume / self._volume_max if volume is not None else None
        step = media.audio_volume_increment
        if step is not None and step > 0:
            self._attr_volume_step = step / self._volume_max
        self._attr_media_title = media.now_playing_title or None
        self._attr_media_artist = media.now_playing_artist or None
        self._attr_media_album_name = media.now_playing_album or None
        self._attr_source = media.now_playing_source or None
        duration, elapsed = media.now_playing_duration, media.now_playing_elapsed
        # Tesla reports milliseconds.
        self._attr_media_duration = duration // 1000 if duration is not None else None
        self._attr_media_position = elapsed // 1000 if elapsed is not None else None

    def _with_media(self, **changes: Any) -> dict[str, Any]:
        # The nested object is one field: it is given whole.
        return {"vehicle_state": {"media_info": {**self._media.raw, **changes}}}

    async def async_set_volume_level(self, volume: float) -> None:
        """Set the volume (HA's 0-1 onto the car's 0-11)."""
        level = round(volume * self._volume_max, 1)
        await self.async_send(
            lambda car: car.adjust_volume(level), **self._with_media(audio_volume=level)
        )

    async def async_media_play(self) -> None:
        """Play (Tesla only toggles, so send it only when paused or stopped)."""
        if self.state != MediaPlayerState.PLAYING:
            await self.async_send(
                VehicleCommands.media_toggle_playback,
                **self._with_media(media_playback_status="Playing"),
            )

    async def async_media_pause(self) -> None:
        """Pause (only when playing)."""
        if self.state == MediaPlayerState.PLAYING:
            await self.async_send(
                VehicleCommands.media_toggle_playback,
                **self._with_media(media_playback_status="Paused"),
            )

    async def async_media_next_track(self) -> None:
        """Next track."""
        await self.async_send(VehicleCommands.media_next_track)

    async def async_media_previous_track(self) -> None:
        """Previous track."""
        await self.async_send(VehicleCommands.media_prev_track)
