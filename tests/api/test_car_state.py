"""The car's state model: fields kept with when and by whom they were observed."""

from __future__ import annotations

from custom_components.tesla_fleet_direct.api.car_state import CarState
from custom_components.tesla_fleet_direct.api.vehicle_data import ChargingState, Section

CHARGE = Section.CHARGE_STATE


def test_a_newer_observation_replaces_a_field_and_keeps_the_others() -> None:
    car = CarState().updated(
        {CHARGE: {"battery_level": 40, "charge_limit_soc": 80}}, observed_at=100.0, source="poll"
    )
    later = car.updated({CHARGE: {"battery_level": 41}}, observed_at=160.0, source="poll")
    assert (later.charge.battery_level, later.charge.charge_limit_soc) == (41, 80)
    assert later.observed_at(CHARGE, "battery_level") == 160.0
    assert later.observed_at(CHARGE, "charge_limit_soc") == 100.0
    # States are values: the earlier one still reads as it was.
    assert car.charge.battery_level == 40


def test_an_older_observation_never_overwrites_a_newer_one() -> None:
    """A late stream record (or a poll answered from before a command) loses to newer data."""
    car = CarState().updated(
        {Section.VEHICLE_STATE: {"locked": False}}, observed_at=200.0, source="command"
    )
    late = car.updated(
        {Section.VEHICLE_STATE: {"locked": True, "odometer": 1234.5}},
        observed_at=150.0,
        source="stream",
    )
    assert late.vehicle.locked is False
    assert late.source(Section.VEHICLE_STATE, "locked") == "command"
    # A field the newer source did not hold is still taken from the older record.
    assert late.vehicle.odometer == 1234.5
    assert late.source(Section.VEHICLE_STATE, "odometer") == "stream"


def test_two_sources_at_the_same_moment_the_later_call_wins() -> None:
    car = CarState().updated(
        {CHARGE: {"charge_limit_soc": 90}}, observed_at=300.0, source="command"
    )
    polled = car.updated({CHARGE: {"charge_limit_soc": 80}}, observed_at=300.0, source="poll")
    assert polled.charge.charge_limit_soc == 80
    assert polled.source(CHARGE, "charge_limit_soc") == "poll"


def test_typed_sections_read_every_source_alike() -> None:
    car = (
        CarState()
        .updated(
            {
                CHARGE: {"charging_state": "Charging", "charger_power": 7},
                Section.DRIVE_STATE: {"latitude": 37.5, "longitude": -122.1, "speed": None},
                "vin": "not a section",
            },
            observed_at=10.0,
            source="poll",
        )
        .updated(
            {Section.VEHICLE_STATE: {"media_info": {"audio_volume": 3.5}}},
            observed_at=11.0,
            source="stream",
        )
    )
    assert car.charge.state is ChargingState.CHARGING
    assert car.charge.charger_power == 7.0
    assert car.location.coordinates == (37.5, -122.1)
    assert car.drive.speed is None
    assert car.vehicle.media_info.audio_volume == 3.5
    assert car.has(CHARGE)
    assert not car.has(Section.CLIMATE_STATE)
    assert car.climate.inside_temp is None  # not observed: every field None
    assert "vin" not in car.sections()


def test_typed_sections_are_built_once_per_state() -> None:
    car = CarState().updated({CHARGE: {"battery_level": 50}}, observed_at=1.0, source="poll")
    assert car.charge is car.charge
    assert car.updated({CHARGE: {"battery_level": 51}}, observed_at=2.0, source="poll").charge
    assert car.charge.battery_level == 50


def test_an_empty_section_counts_as_fetched() -> None:
    car = CarState().updated({Section.CLIMATE_STATE: {}}, observed_at=1.0, source="poll")
    assert car.has(Section.CLIMATE_STATE)
    assert car.sections() == {"climate_state": {}}
    assert car.observed_at(Section.CLIMATE_STATE, "inside_temp") is None
    assert car.source(Section.CLIMATE_STATE, "inside_temp") is None
