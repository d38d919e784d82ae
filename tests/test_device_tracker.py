"""Device trackers: the car's position and route destination, only with the location scope."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import mock_restore_cache
from syrupy.assertion import SnapshotAssertion

from fleet_emulator import Emulator

from .entity_helpers import (
    M3,
    entity_id_for,
    setup_platform,
    snapshot,  # noqa: F401
    state_of,
    summarise,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")
WITHOUT_LOCATION = ("openid", "offline_access", "user_data", "vehicle_device_data")


async def test_tracker_shows_where_the_car_is(
    hass: HomeAssistant,
    emulator: Emulator,
    snapshot: SnapshotAssertion,  # noqa: F811
) -> None:
    """The location tracker carries the car's coordinates; no route means no destination."""
    entry = await setup_platform(hass, emulator, Platform.DEVICE_TRACKER)
    car = emulator.vehicle(M3)
    summary = summarise(hass, entry, M3)
    location = hass.states.get(entity_id_for(hass, "device_tracker", "location"))
    assert location is not None
    assert location.attributes["latitude"] == pytest.approx(car.latitude, abs=1e-4)
    assert location.attributes["longitude"] == pytest.approx(car.longitude, abs=1e-4)
    route = hass.states.get(entity_id_for(hass, "device_tracker", "route"))
    assert route is not None
    assert route.state == "unknown"
    # Coordinates differ per run of the simulation; the rest is the snapshot.
    for item in summary.values():
        item["attributes"].pop("latitude", None)
        item["attributes"].pop("longitude", None)
    assert summary == snapshot


async def test_route_tracker_shows_the_destination_only_while_navigating(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Idle, newer firmware reports the car's own position as the route's: no destination."""
    entry = await setup_platform(hass, emulator, Platform.DEVICE_TRACKER)
    route = entity_id_for(hass, "device_tracker", "route")
    assert state_of(hass, route).state == "unknown"
    emulator.vehicle(M3).start_drive((37.3947, -122.1503), until=emulator.clock.now() + 3600)
    await entry.runtime_data.vehicles.coordinators[M3].async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(route)
    assert state is not None
    assert state.attributes["latitude"] == pytest.approx(37.3947, abs=1e-3)
    assert state.attributes["longitude"] == pytest.approx(-122.1503, abs=1e-3)


async def test_no_tracker_and_no_location_request_without_the_scope(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Without vehicle_location: no tracker, and location_data is never asked for."""
    entry = await setup_platform(hass, emulator, Platform.DEVICE_TRACKER, scopes=WITHOUT_LOCATION)
    registry = er.async_get(hass)
    assert not er.async_entries_for_config_entry(registry, entry.entry_id)
    for coordinator in entry.runtime_data.vehicles.coordinators.values():
        assert "location_data" not in coordinator.endpoints
        assert coordinator.data is not None
        drive = coordinator.data.data.get("drive_state", {})
        assert "latitude" not in drive


async def test_sleeping_car_keeps_its_last_known_position_after_restart(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Asleep at start-up: the tracker shows the restored position, no request wakes the car."""
    emulator.vehicle(M3).power_state = "asleep"
    mock_restore_cache(
        hass,
        [
            State(
                "device_tracker.red_pearl_location",
                "not_home",
                {"latitude": 52.1, "longitude": 4.3, "source_type": "gps"},
            )
        ],
    )
    await setup_platform(hass, emulator, Platform.DEVICE_TRACKER)
    state = hass.states.get("device_tracker.red_pearl_location")
    assert state is not None
    assert state.attributes["latitude"] == 52.1
    assert state.attributes["longitude"] == 4.3
    assert not any(e.path.endswith(f"{M3}/vehicle_data") for e in emulator.ledger.entries)
