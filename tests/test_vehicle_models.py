"""Each model gets the controls it has, read from what the car reports (vehicle_config and the
sections it sends), across the select, switch, climate and cover platforms."""

from __future__ import annotations

import time

from homeassistant.components.climate.const import ClimateEntityFeature, HVACMode
from homeassistant.core import HomeAssistant
import pytest

from custom_components.tesla_fleet_direct.api.vehicle_data import VehicleConfig
from fleet_emulator import Emulator
from fleet_emulator.scenario import parse_scenario
from fleet_emulator.vehicle_profiles import PROFILES

from .common import setup_integration
from .model_fleet import (
    MODEL_3,
    MODEL_S_2015,
    MODEL_X_2022,
    MODEL_Y,
    SCENARIO,
    car_entities,
    model_emulator,  # noqa: F401  (fixture)
    model_variant,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")

FRONT = {"seat_heater_left", "seat_heater_right"}
REAR = {"seat_heater_rear_left", "seat_heater_rear_center", "seat_heater_rear_right"}
THIRD_ROW = {"seat_heater_third_row_left", "seat_heater_third_row_right"}
SEATS = FRONT | REAR | THIRD_ROW | {"seat_cooler_left", "seat_cooler_right"}
SCENARIO_VINS = (MODEL_3, MODEL_Y, MODEL_S_2015, MODEL_X_2022)


async def _load(hass: HomeAssistant, emulator: Emulator) -> None:
    await setup_integration(hass, emulator)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_seats_each_model_has(
    hass: HomeAssistant,
    model_emulator: Emulator,  # noqa: F811
) -> None:
    """Seat heaters per seat: a rear bench on the 3, Y and S, six seats and a third row on the X."""
    await _load(hass, model_emulator)
    seats = {vin: car_entities(hass, "select", vin) & SEATS for vin in SCENARIO_VINS}
    assert seats[MODEL_3] == FRONT | REAR
    assert seats[MODEL_Y] == FRONT | REAR
    assert seats[MODEL_S_2015] == FRONT | REAR
    assert seats[MODEL_X_2022] == FRONT | (REAR - {"seat_heater_rear_center"}) | THIRD_ROW


async def test_outer_rear_seats_only(hass: HomeAssistant) -> None:
    """rear_seat_heaters 2 heats the outer rear seats only (HA core teslemetry/select.py): no
    centre heater select even though the car sends the centre's field."""
    config = {**PROFILES["models_2015"].vehicle_config, "rear_seat_heaters": 2}
    with model_variant("models_2015", vehicle_config=config):
        now = time.time()
        emulator = Emulator(parse_scenario(SCENARIO, start=now), start=now)
        await emulator.start("127.0.0.1", 0)
        try:
            await _load(hass, emulator)
            climate = emulator.vehicle(MODEL_S_2015).profile.climate_state
        finally:
            await emulator.stop()
    assert "seat_heater_rear_center" in climate
    seats = car_entities(hass, "select", MODEL_S_2015) & SEATS
    assert seats == FRONT | {"seat_heater_rear_left", "seat_heater_rear_right"}


async def test_steering_wheel_levels_only_where_reported(
    hass: HomeAssistant,
    model_emulator: Emulator,  # noqa: F811
) -> None:
    """The 2015 S and the 2022 X report an on/off wheel heater only: no level select."""
    await _load(hass, model_emulator)
    has_levels = {
        vin: "steering_wheel_heat_level" in car_entities(hass, "select", vin)
        for vin in SCENARIO_VINS
    }
    assert has_levels == {MODEL_3: True, MODEL_Y: True, MODEL_S_2015: False, MODEL_X_2022: False}


async def test_sentry_switch_only_on_cars_with_cameras(
    hass: HomeAssistant,
    model_emulator: Emulator,  # noqa: F811
) -> None:
    """The 2015 Model S has no Sentry mode (it sends no sentry fields)."""
    await _load(hass, model_emulator)
    sentry = {vin: "sentry_mode" in car_entities(hass, "switch", vin) for vin in SCENARIO_VINS}
    assert sentry == {MODEL_3: True, MODEL_Y: True, MODEL_S_2015: False, MODEL_X_2022: True}


async def test_cabin_overheat_protection_where_allowed(
    hass: HomeAssistant,
    model_emulator: Emulator,  # noqa: F811
) -> None:
    """Cars that say they do not allow it (the 2015 S, this 2022 X) get no protection control."""
    await _load(hass, model_emulator)
    cop = {
        vin: "cabin_overheat_protection" in car_entities(hass, "climate", vin)
        for vin in SCENARIO_VINS
    }
    assert cop == {MODEL_3: True, MODEL_Y: True, MODEL_S_2015: False, MODEL_X_2022: False}
    state = hass.states.get("climate.model_3_cabin_overheat_protection")
    assert state is not None
    assert state.attributes["hvac_modes"] == [HVACMode.OFF, HVACMode.COOL, HVACMode.FAN_ONLY]
    assert state.attributes["supported_features"] & ClimateEntityFeature.TARGET_TEMPERATURE


async def test_overheat_protection_offers_what_the_car_supports(hass: HomeAssistant) -> None:
    """No fan-only mode and no threshold choice on a car that reports neither."""
    climate = {
        **PROFILES["model3"].values.get("climate_state", {}),
        "supports_fan_only_cabin_overheat_protection": False,
    }
    config = {**PROFILES["model3"].vehicle_config, "cop_user_set_temp_supported": False}
    values = {**PROFILES["model3"].values, "climate_state": climate}
    with model_variant("model3", values=values, vehicle_config=config):
        now = time.time()
        emulator = Emulator(parse_scenario(SCENARIO, start=now), start=now)
        await emulator.start("127.0.0.1", 0)
        try:
            await _load(hass, emulator)
        finally:
            await emulator.stop()
    state = hass.states.get("climate.model_3_cabin_overheat_protection")
    assert state is not None
    assert state.attributes["hvac_modes"] == [HVACMode.OFF, HVACMode.COOL]
    assert not state.attributes["supported_features"] & ClimateEntityFeature.TARGET_TEMPERATURE


async def test_sunroof_only_where_fitted(
    hass: HomeAssistant,
    model_emulator: Emulator,  # noqa: F811
) -> None:
    """sun_roof_installed: 1 on the 2015 S, 0 on the X, null on the 3 and Y."""
    await _load(hass, model_emulator)
    roof = {vin: "sunroof" in car_entities(hass, "cover", vin) for vin in SCENARIO_VINS}
    assert roof == {MODEL_3: False, MODEL_Y: False, MODEL_S_2015: True, MODEL_X_2022: False}
    state = hass.states.get("cover.model_s_sunroof")
    assert state is not None
    assert state.state == "closed"


@pytest.mark.parametrize(
    ("value", "fitted"),
    [(None, False), (0, False), (1, True), (2, True), (True, True), (False, False), ("x", False)],
)
def test_sun_roof_installed_as_tesla_sends_it(value: object, fitted: bool) -> None:
    """null/0 none, 1 or 2 a roof (tests/fixtures/real captures), true in some answers."""
    assert VehicleConfig.parse({"sun_roof_installed": value}).has_sun_roof is fitted


async def test_seat_coolers_on_a_car_with_seat_cooling(hass: HomeAssistant) -> None:
    """has_seat_cooling: front seat coolers, levels sent to seats 1 and 2, climate first."""
    profile = PROFILES["model3"]
    config = {**profile.vehicle_config, "has_seat_cooling": True}
    climate = profile.climate_state | {"seat_fan_front_left", "seat_fan_front_right"}
    with model_variant("model3", vehicle_config=config, climate_state=climate):
        now = time.time()
        emulator = Emulator(parse_scenario(SCENARIO, start=now), start=now)
        await emulator.start("127.0.0.1", 0)
        try:
            await _load(hass, emulator)
            assert car_entities(hass, "select", MODEL_3) >= {
                "seat_cooler_left",
                "seat_cooler_right",
            }
            # The captured cars report has_seat_cooling false: none for them.
            assert not car_entities(hass, "select", MODEL_Y) & {"seat_cooler_left"}
            state = hass.states.get("select.model_3_seat_cooler_front_right")
            assert state is not None
            assert state.state == "off"
            await hass.services.async_call(
                "select",
                "select_option",
                {"entity_id": "select.model_3_seat_cooler_front_right", "option": "medium"},
                blocking=True,
            )
            car = emulator.vehicle(MODEL_3)
            assert car.seat_coolers == {2: 2}
            assert car.climate_on is True
            commands = [
                e.path.rsplit("/", 1)[-1] for e in emulator.ledger.entries if "/command/" in e.path
            ]
            assert commands == ["auto_conditioning_start", "remote_seat_cooler_request"]
            state = hass.states.get("select.model_3_seat_cooler_front_right")
            assert state is not None
            assert state.state == "medium"
        finally:
            await emulator.stop()
