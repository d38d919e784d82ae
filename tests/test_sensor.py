"""Vehicle and cost-meter sensors, set up through the integration against the emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import time
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    mock_restore_cache_with_extra_data,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_fleet_direct.options_flow import (
    CONF_ACTIVE_INTERVAL,
    CONF_MONTHLY_BUDGET,
)
from custom_components.tesla_fleet_direct.schedule.budget import PollingIntervals
from fleet_emulator import Emulator
from fleet_emulator.scenario import parse_scenario
from fleet_emulator.vehicle import Vehicle
from fleet_emulator.vehicle_profiles import PROFILES

from .common import async_setup_domain, create_entry
from .entity_helpers import (
    M3,
    MY,
    entity_id_for,
    only_platforms,
    setup_platform,
    snapshot,  # noqa: F401
    state_of,
    summarise,
)
from .model_fleet import MODEL_3, MODEL_S_2015, SCENARIO, model_variant

pytestmark = pytest.mark.usefixtures("socket_enabled")
NO_LOCATION = (
    "openid",
    "offline_access",
    "user_data",
    "vehicle_device_data",
    "vehicle_cmds",
    "vehicle_charging_cmds",
    "energy_device_data",
    "energy_cmds",
)


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_vehicle_sensors_snapshot_and_values(
    hass: HomeAssistant,
    emulator: Emulator,
    snapshot: SnapshotAssertion,  # noqa: F811
) -> None:
    """Every vehicle sensor's registry facts, and the values a dashboard shows."""
    entry = await setup_platform(hass, emulator, Platform.SENSOR, all_enabled=True)
    assert summarise(hass, entry, M3) == snapshot
    car = emulator.vehicle(M3)
    state = hass.states.get(entity_id_for(hass, "sensor", "battery_level"))
    assert state is not None
    assert float(state.state) == pytest.approx(car.battery_level, abs=1)
    assert state.attributes["unit_of_measurement"] == "%"
    odometer = hass.states.get(entity_id_for(hass, "sensor", "odometer"))
    assert odometer is not None
    # Tesla reports miles; Home Assistant shows the system's unit (metric in tests).
    assert float(odometer.state) == pytest.approx(car.odometer * 1.609344, rel=1e-3)
    charging = hass.states.get(entity_id_for(hass, "sensor", "charging_state"))
    assert charging is not None
    assert charging.state == "disconnected"
    # The charging car shows when it will be full, as a timestamp in the future.
    full = hass.states.get(entity_id_for(hass, "sensor", "time_to_full_charge", MY))
    assert full is not None
    full_at = dt_util.parse_datetime(full.state)
    assert full_at is not None
    assert full_at > dt_util.utcnow()


async def test_niche_sensors_are_disabled_by_default(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Dashboards get the common sensors; niche ones wait to be enabled."""
    await setup_platform(hass, emulator, Platform.SENSOR)
    registry = er.async_get(hass)
    enabled = registry.async_get(entity_id_for(hass, "sensor", "battery_level"))
    niche = registry.async_get(entity_id_for(hass, "sensor", "tpms_pressure_fl"))
    assert enabled is not None
    assert enabled.disabled_by is None
    assert niche is not None
    assert niche.disabled_by is er.RegistryEntryDisabler.INTEGRATION


async def test_battery_level_follows_a_charging_car(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """With budget for it, the battery level is never more than a fast interval behind."""
    await async_setup_domain(hass, emulator)
    entry = create_entry(hass, emulator)
    hass.config_entries.async_update_entry(
        entry, options={CONF_MONTHLY_BUDGET: 500.0, CONF_ACTIVE_INTERVAL: 60}
    )
    with only_platforms(Platform.SENSOR):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    battery = entity_id_for(hass, "sensor", "battery_level", MY)
    history: list[tuple[float, float]] = []
    for _ in range(60):  # 10 minutes in 10-second steps
        await _tick(hass, freezer, 10)
        now = time.time()
        history.append((now, emulator.vehicle(MY).battery_level))
        state = hass.states.get(battery)
        assert state is not None
        floor = max((level for t, level in history if t <= now - 61), default=0.0)
        assert float(state.state) >= int(floor)
    assert float(state_of(hass, battery).state) > history[0][1]


async def test_sleeping_car_shows_restored_values_after_restart(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """A car asleep at start-up keeps its last known values, then shows fresh ones on waking."""
    car = emulator.vehicle(M3)
    car.power_state = "asleep"
    battery = "sensor.red_pearl_battery_level"
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(battery, "57"),
                {"native_value": 57, "native_unit_of_measurement": "%"},
            )
        ],
    )
    await setup_platform(hass, emulator, Platform.SENSOR)
    assert entity_id_for(hass, "sensor", "battery_level") == battery
    state = hass.states.get(battery)
    assert state is not None
    assert state.state == "57"
    # Never touched: no data request and no wake for the sleeping car.
    paths = [e.path for e in emulator.ledger.entries]
    assert not any(p.endswith((f"{M3}/vehicle_data", "wake_up")) for p in paths)

    car = emulator.vehicle(M3)
    car.user_enters(emulator.clock.now() + 3600)
    # The next state check of a sleeping car, on the account's next mark (within 1.5 intervals).
    await _tick(hass, freezer, 1.5 * PollingIntervals().asleep + 1)
    state = hass.states.get(battery)
    assert state is not None
    assert float(state.state) == pytest.approx(emulator.vehicle(M3).battery_level, abs=1)


async def test_scope_gating_without_data_or_location(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """No sensor for data the user did not grant."""
    await setup_platform(hass, emulator, Platform.SENSOR, scopes=NO_LOCATION)
    registry = er.async_get(hass)
    keys = {e.unique_id.rsplit("-", 1)[-1] for e in registry.entities.values()}
    assert "battery_level" in keys
    assert "active_route_destination" not in keys
    assert "active_route_minutes_to_arrival" not in keys

    await hass.config_entries.async_unload(
        next(iter(hass.config_entries.async_entries("tesla_fleet_direct"))).entry_id
    )


async def test_no_vehicle_sensors_without_vehicle_data_scope(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """An account that granted only energy data gets no car sensors (the cost meter stays)."""
    entry = await setup_platform(
        hass,
        emulator,
        Platform.SENSOR,
        scopes=("openid", "offline_access", "user_data", "energy_device_data"),
    )
    assert entry.state is ConfigEntryState.LOADED
    registry = er.async_get(hass)
    unique_ids = [e.unique_id for e in er.async_entries_for_config_entry(registry, entry.entry_id)]
    assert not any(M3 in u or MY in u for u in unique_ids)
    assert any(u.endswith("-cost_month") for u in unique_ids)


async def test_cost_meter_counts_what_tesla_bills(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """The meter's data requests match the emulator's ledger; a 429 shows when it lifts."""
    entry = await setup_platform(hass, emulator, Platform.SENSOR)
    registry = er.async_get(hass)
    by_key = {
        e.unique_id.rsplit("-", 1)[-1]: e.entity_id
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
    }
    data_today = hass.states.get(by_key["requests_data_today"])
    assert data_today is not None
    assert int(data_today.state) == emulator.ledger.counts()["data"]
    cost = hass.states.get(by_key["cost_month"])
    assert cost is not None
    assert float(cost.state) == pytest.approx(emulator.ledger.cost(), abs=0.01)
    assert cost.attributes["unit_of_measurement"] == "USD"
    lifted = by_key["rate_limit_lifted"]
    assert state_of(hass, lifted).state == STATE_UNKNOWN

    emulator.faults.inject("/api/1/vehicles/*", 429, retry_after=600)
    await _tick(hass, freezer, 301)
    await _tick(hass, freezer, 31)  # the sensor's own refresh
    state = hass.states.get(lifted)
    assert state is not None
    assert state.state not in (STATE_UNKNOWN, STATE_UNAVAILABLE)
    until = dt_util.parse_datetime(state.state)
    assert until is not None
    assert 500 < (until - dt_util.utcnow()).total_seconds() <= 600


async def _refresh_car(hass: HomeAssistant, entry: MockConfigEntry, vin: str = M3) -> None:
    """Read the car now (as the next poll would)."""
    await entry.runtime_data.vehicles.coordinators[vin].async_refresh()
    await hass.async_block_till_done()


async def test_charging_state_no_power(hass: HomeAssistant, emulator: Emulator) -> None:
    """A car plugged into a charger without power reads No power, not unknown."""
    entry = await setup_platform(hass, emulator, Platform.SENSOR)
    emulator.vehicle(MY).set_charger_power(False)
    await _refresh_car(hass, entry, MY)
    state = hass.states.get(entity_id_for(hass, "sensor", "charging_state", MY))
    assert state is not None
    assert state.state == "no_power"


async def test_charging_state_starting(hass: HomeAssistant, emulator: Emulator) -> None:
    """The few seconds before current flows read Starting."""
    entry = await setup_platform(hass, emulator, Platform.SENSOR)
    car = emulator.vehicle(M3)
    car.plug_in()
    await _refresh_car(hass, entry)
    assert car.charging_state == "Starting"
    state = hass.states.get(entity_id_for(hass, "sensor", "charging_state"))
    assert state is not None
    assert state.state == "starting"


async def test_unknown_charging_state_is_unknown_and_logged_once(
    hass: HomeAssistant, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A value Tesla adds later shows unknown with one log line, and no error."""
    entry = await setup_platform(hass, emulator, Platform.SENSOR)
    sensor = entity_id_for(hass, "sensor", "charging_state")
    caplog.clear()
    with patch.object(Vehicle, "charging_state", new_callable=PropertyMock) as value:
        value.return_value = "Overheated"
        await _refresh_car(hass, entry)
        await _refresh_car(hass, entry)
    state = hass.states.get(sensor)
    assert state is not None
    assert state.state == STATE_UNKNOWN
    mentions = [r for r in caplog.records if "Overheated" in r.getMessage()]
    assert len(mentions) == 1
    assert mentions[0].levelname == "WARNING"


async def test_tyre_without_reading_is_unknown(hass: HomeAssistant) -> None:
    """A tyre sensor that has not reported (0.0) is unknown, not 0 bar; null likewise."""
    values = {**PROFILES["model3"].values, "vehicle_state": {"tpms_pressure_fl": 0.0}}
    with model_variant("model3", values=values):
        now = time.time()
        emu = Emulator(parse_scenario(SCENARIO, start=now), start=now)
        await emu.start("127.0.0.1", 0)
        try:
            await setup_platform(hass, emu, Platform.SENSOR, all_enabled=True)
        finally:
            await emu.stop()
    front_left = hass.states.get(entity_id_for(hass, "sensor", "tpms_pressure_fl", MODEL_3))
    front_right = hass.states.get(entity_id_for(hass, "sensor", "tpms_pressure_fr", MODEL_3))
    old_car = hass.states.get(entity_id_for(hass, "sensor", "tpms_pressure_fl", MODEL_S_2015))
    assert front_left is not None
    assert front_right is not None
    assert old_car is not None
    assert front_left.state == STATE_UNKNOWN
    assert float(front_right.state) == pytest.approx(2.9)
    assert old_car.state == STATE_UNKNOWN


async def test_distance_to_arrival_while_navigating(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A car on its way somewhere shows how far it still is."""
    entry = await setup_platform(hass, emulator, Platform.SENSOR)
    car = emulator.vehicle(M3)
    car.destination = {"latitude": 37.7749, "longitude": -122.4194, "name": "San Francisco"}
    car.touch()
    await _refresh_car(hass, entry)
    route = car.route()
    assert route is not None
    state = hass.states.get(entity_id_for(hass, "sensor", "active_route_miles_to_arrival"))
    assert state is not None
    # Tesla reports miles; the test system is metric.
    miles = route["active_route_miles_to_arrival"]
    assert float(state.state) == pytest.approx(miles * 1.609344, rel=1e-3)


async def test_charge_limit_sensor_mirrors_the_number(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """With charging commands granted the charge limit number shows it; the sensor waits."""
    await setup_platform(hass, emulator, Platform.SENSOR)
    entry = er.async_get(hass).async_get(entity_id_for(hass, "sensor", "charge_limit_soc"))
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION


async def test_charge_limit_sensor_shown_without_commands(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Without a command scope there is no number, so the sensor is the one to show."""
    await setup_platform(
        hass, emulator, Platform.SENSOR, scopes=["openid", "offline_access", "vehicle_device_data"]
    )
    entry = er.async_get(hass).async_get(entity_id_for(hass, "sensor", "charge_limit_soc"))
    assert entry is not None
    assert entry.disabled_by is None


async def test_streamed_signals_and_projected_cost_sensors(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The account device counts the month's streamed signals, adds their price to the
    month's cost and projects that spend over the whole month: $1 of signals in the first
    third of November shows as at least $3 for the month."""
    freezer.move_to("2026-11-11 00:00:00+00:00")
    emulator = Emulator(start=time.time())
    await emulator.start("127.0.0.1", 0)
    try:
        entry = await setup_platform(hass, emulator, Platform.SENSOR)
        registry = er.async_get(hass)
        by_key = {
            e.unique_id.rsplit("-", 1)[-1]: e.entity_id
            for e in er.async_entries_for_config_entry(registry, entry.entry_id)
        }
        signals = state_of(hass, by_key["signals_month"])  # enabled by default
        assert signals.state == "0"
        assert signals.name is not None
        assert signals.name.endswith("Streamed signals this month")
        assert signals.attributes["unit_of_measurement"] == "signals"
        before = float(state_of(hass, by_key["cost_month"]).state)
        assert before < 0.5

        meter = entry.runtime_data.meter
        meter.record_signals(M3, 90_000)
        meter.record_signals(MY, 60_000)  # 150,000 signals: $1
        freezer.tick(timedelta(seconds=31))  # the sensors' own refresh
        async_fire_time_changed(hass)
        await hass.async_block_till_done()

        assert state_of(hass, by_key["signals_month"]).state == "150000"
        cost = float(state_of(hass, by_key["cost_month"]).state)
        assert cost >= before + 1.0
        projected = state_of(hass, by_key["cost_month_projected"])
        assert projected.name is not None
        assert projected.name.endswith("Projected API cost this month")
        assert projected.attributes["unit_of_measurement"] == "USD"
        assert projected.attributes["device_class"] == "monetary"
        # A forecast: no long-term sums (a monetary sensor may only be `total` or nothing).
        assert "state_class" not in projected.attributes
        elapsed = (dt_util.utcnow() - datetime(2026, 11, 1, tzinfo=UTC)).total_seconds()
        assert float(projected.state) >= 3.0
        assert float(projected.state) == pytest.approx(
            meter.month_cost_usd() * 30 * 86400 / elapsed, abs=0.01
        )
    finally:
        await emulator.stop()
