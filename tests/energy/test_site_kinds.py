"""Each kind of site gets the entities it can fill: Powerwall with solar, Powerwall alone, solar
alone and wall connectors alone (tests/emulator/energy_kinds.py), as site_info.components says."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from fleet_emulator import Emulator
from fleet_emulator.energy import FIRMWARE
from fleet_emulator.scenario import parse_scenario
from tests.common import setup_integration
from tests.emulator.energy_kinds import (
    BATTERY_ONLY,
    BATTERY_SOLAR,
    SCENARIO,
    SOLAR_ONLY,
    START,
    WALL_CONNECTOR_ONLY,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")
SITES = (BATTERY_SOLAR, BATTERY_ONLY, SOLAR_ONLY, WALL_CONNECTOR_ONLY)


@pytest.fixture
async def kinds(freezer: FrozenDateTimeFactory) -> AsyncIterator[Emulator]:
    """The emulator with one site of each kind, at a fixed June evening."""
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    emulator = Emulator(parse_scenario(SCENARIO, start=START), start=START)
    await emulator.start("127.0.0.1", 0)
    yield emulator
    await emulator.stop()


async def _load(
    hass: HomeAssistant, emulator: Emulator, scopes: Sequence[str] | None = None
) -> MockConfigEntry:
    entry = await setup_integration(hass, emulator, scopes=scopes)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


def _keys(hass: HomeAssistant, domain: str, product: int | str) -> set[str]:
    """The keys of one site's (or wall connector's) entities of one platform."""
    marker = f"-{product}-"
    return {
        e.unique_id.split(marker, 1)[1]
        for e in er.async_get(hass).entities.values()
        if e.domain == domain and marker in e.unique_id
    }


def _entity_id(hass: HomeAssistant, domain: str, product: int | str, key: str) -> str:
    for entry in er.async_get(hass).entities.values():
        if entry.domain == domain and entry.unique_id.endswith(f"-{product}-{key}"):
            return entry.entity_id
    raise AssertionError(f"no {domain} {key} for {product}")


def _state(hass: HomeAssistant, domain: str, product: int | str, key: str) -> str:
    state = hass.states.get(_entity_id(hass, domain, product, key))
    assert state is not None
    return state.state


async def test_meter_readings_only_where_there_is_a_meter(
    hass: HomeAssistant, kinds: Emulator
) -> None:
    """Wall connectors alone measure no home load or generator: no such sensors."""
    await _load(hass, kinds)
    metered = {
        site: {"load_power", "generator_power"} <= _keys(hass, "sensor", site) for site in SITES
    }
    assert metered == {
        BATTERY_SOLAR: True,
        BATTERY_ONLY: True,
        SOLAR_ONLY: True,
        WALL_CONNECTOR_ONLY: False,
    }


async def test_controls_only_where_the_site_offers_them(
    hass: HomeAssistant, kinds: Emulator
) -> None:
    """Grid charging needs battery and solar; Storm Watch and the off-grid EV reserve the
    site's capability flags; a site without Powerwall has no battery settings at all."""
    await _load(hass, kinds)
    switches = {site: _keys(hass, "switch", site) for site in SITES}
    numbers = {site: _keys(hass, "number", site) for site in SITES}
    assert switches[BATTERY_SOLAR] == {"storm_mode", "allow_charging_from_grid"}
    assert switches[BATTERY_ONLY] == {"storm_mode"}
    assert switches[SOLAR_ONLY] == switches[WALL_CONNECTOR_ONLY] == set()
    assert numbers[BATTERY_SOLAR] == {"backup_reserve", "off_grid_vehicle_charging_reserve"}
    assert numbers[SOLAR_ONLY] == numbers[WALL_CONNECTOR_ONLY] == set()
    assert "storm_mode_active" not in _keys(hass, "binary_sensor", SOLAR_ONLY)


async def test_capability_flags_decide(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """A Powerwall site without Storm Watch or the off-grid EV reserve gets neither."""
    scenario = {
        **SCENARIO,
        "sites": [
            {
                **SCENARIO["sites"][0],
                "storm_mode_capable": False,
                "off_grid_vehicle_charging_reserve_supported": False,
            },
            *SCENARIO["sites"][1:],
        ],
    }
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    emulator = Emulator(parse_scenario(scenario, start=START), start=START)
    await emulator.start("127.0.0.1", 0)
    try:
        await _load(hass, emulator)
    finally:
        await emulator.stop()
    assert _keys(hass, "switch", BATTERY_SOLAR) == {"allow_charging_from_grid"}
    assert _keys(hass, "number", BATTERY_SOLAR) == {"backup_reserve"}
    assert "storm_mode_active" not in _keys(hass, "binary_sensor", BATTERY_SOLAR)


async def test_solar_site_grid_status_is_unknown(hass: HomeAssistant, kinds: Emulator) -> None:
    """Without a gateway Tesla does not know the grid (island_status_unknown): not "off"."""
    await _load(hass, kinds)
    assert kinds.site(SOLAR_ONLY).live_status()["island_status"] == "island_status_unknown"
    assert _state(hass, "binary_sensor", SOLAR_ONLY, "grid_status") == STATE_UNKNOWN
    assert _state(hass, "binary_sensor", BATTERY_SOLAR, "grid_status") == "on"


async def test_powerwall_details(hass: HomeAssistant, kinds: Emulator) -> None:
    """Backup capable, grid services enabled, the VPP reserve and the gateway's version."""
    await _load(hass, kinds)
    assert _state(hass, "binary_sensor", BATTERY_SOLAR, "backup_capable") == "on"
    assert _state(hass, "binary_sensor", BATTERY_SOLAR, "grid_services_enabled") == "off"
    assert float(_state(hass, "sensor", BATTERY_SOLAR, "vpp_backup_reserve")) == 0
    assert _state(hass, "sensor", BATTERY_SOLAR, "version") == FIRMWARE
    for key in ("backup_capable", "grid_services_enabled"):
        assert key not in _keys(hass, "binary_sensor", SOLAR_ONLY)
    for key in ("vpp_backup_reserve", "version"):
        assert key not in _keys(hass, "sensor", SOLAR_ONLY)


async def test_wall_connector_names_the_car_plugged_in(
    hass: HomeAssistant, kinds: Emulator
) -> None:
    """The car on the connector by its name on this account; none reads disconnected."""
    await _load(hass, kinds)
    (with_car,) = kinds.site(BATTERY_SOLAR).spec.wall_connectors
    (without_car,) = kinds.site(BATTERY_ONLY).spec.wall_connectors
    assert _state(hass, "sensor", with_car.din, "wall_connector_vehicle") == "Charging"
    assert _state(hass, "sensor", without_car.din, "wall_connector_vehicle") == "disconnected"


async def test_site_mirrors_of_controls_start_disabled(
    hass: HomeAssistant, kinds: Emulator
) -> None:
    """The backup reserve number and operation mode select show them; the sensors wait."""
    await _load(hass, kinds)
    registry = er.async_get(hass)
    for key in ("backup_reserve", "operation_mode"):
        entry = registry.async_get(_entity_id(hass, "sensor", BATTERY_SOLAR, key))
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION, key


async def test_site_mirrors_shown_without_energy_commands(
    hass: HomeAssistant, kinds: Emulator
) -> None:
    """Without energy_cmds there is no control, so the sensors are shown."""
    await _load(hass, kinds, scopes=["openid", "offline_access", "energy_device_data"])
    registry = er.async_get(hass)
    for key in ("backup_reserve", "operation_mode"):
        entry = registry.async_get(_entity_id(hass, "sensor", BATTERY_SOLAR, key))
        assert entry is not None
        assert entry.disabled_by is None, key
