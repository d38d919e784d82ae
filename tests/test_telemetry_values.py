"""Streamed values read into `vehicle_data` values, and when a car's stream stands in for polling.

Payload vectors: teslamotors/fleet-telemetry `datastore/mqtt/mqtt_test.go` (the published bytes
for a `V` record: `"My Tesla"`, `null` for an invalid value, `{"latitude":37.7749,"longitude":
-122.4194}`, `75.5`) and its `datastore/mqtt/README.md` (a number may come as `12.3` or
`"12.3"`); enum names from `protos/vehicle_data.proto`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from custom_components.tesla_fleet_direct.schedule.stream import (
    QUIET_CONNECTED_CHECK_S,
    REPAIR_AFTER_S,
    RESIDUAL_EVERY_S,
    WOKE_READ_AFTER_S,
    StreamStop,
    StreamWatch,
)
from custom_components.tesla_fleet_direct.stream_ingest import busy_silence, streamed_keys
from custom_components.tesla_fleet_direct.telemetry_fields import BY_NAME, FIELDS
from custom_components.tesla_fleet_direct.telemetry_values import SKIP, MalformedValueError


def read(field: str, payload: str) -> tuple[Any, ...]:
    return BY_NAME[field].read(json.loads(payload))


@pytest.mark.parametrize(
    ("field", "payload", "expected"),
    [
        # fleet-telemetry mqtt_test.go vectors
        ("Version", '"My Tesla"', ("My Tesla",)),
        ("TimeToFullCharge", "null", (None,)),
        ("Location", '{"latitude":37.7749,"longitude":-122.4194}', (37.7749, -122.4194)),
        ("BatteryLevel", "75.5", (76,)),
        # README: the same float as a string on another firmware
        ("VehicleSpeed", '"12.3"', (12.3,)),
        ("VehicleSpeed", "12.3", (12.3,)),
        ("Gear", '"ShiftStateD"', ("D",)),
        ("Gear", '"ShiftStateInvalid"', (None,)),
        ("DetailedChargeState", '"DetailedChargeStateCharging"', ("Charging", SKIP)),
        ("DetailedChargeState", '"DetailedChargeStateComplete"', ("Complete", 0.0)),
        ("DCChargingPower", "0", (SKIP,)),
        ("DCChargingPower", "120.5", (120.5,)),
        ("ChargingCableType", "null", ("<invalid>",)),
        ("ChargingCableType", '"CableTypeIEC"', ("IEC",)),
        ("SentryMode", '"SentryModeStateArmed"', (True,)),
        ("SentryMode", '"SentryModeStateOff"', (False,)),
        ("ClimateKeeperMode", '"ClimateKeeperModeStateParty"', ("camp",)),
        ("HvacPower", '"HvacPowerStatePrecondition"', (True, True)),
        ("HvacPower", '"HvacPowerStateOverheatProtect"', (False, False)),
        ("DefrostMode", '"DefrostModeStateMax"', (True, 2)),
        ("ChargePortLatch", '"ChargePortLatchEngaged"', ("Engaged",)),
        ("ChargePortLatch", '"ChargePortLatchSNA"', (None,)),
        ("ScheduledChargingMode", '"ScheduledChargingModeDepartBy"', ("DepartBy",)),
        ("Locked", "true", (True,)),
        ("Locked", '"false"', (False,)),
        ("FdWindow", '"WindowStatePartiallyOpen"', (1,)),
        (
            "DoorState",
            (
                '{"DriverFront":true,"DriverRear":false,"PassengerFront":false,'
                '"PassengerRear":false,"TrunkFront":false,"TrunkRear":true}'
            ),
            (1, 0, 0, 0, 0, 1),
        ),
        ("SoftwareUpdateExpectedDurationMinutes", "25", (1500,)),
    ],
)
def test_streamed_values_read_as_vehicle_data(
    field: str, payload: str, expected: tuple[Any, ...]
) -> None:
    assert read(field, payload) == expected


@pytest.mark.parametrize(
    ("field", "payload"),
    [
        ("BatteryLevel", "true"),
        ("BatteryLevel", '"lots"'),
        ("Location", '{"latitude":"north"}'),
        ("Location", '{"latitude":95,"longitude":0}'),
        ("Gear", "[1]"),
        ("Locked", '"maybe"'),
        ("SentryMode", '"SentryModeStateSomethingNew"'),
        ("DoorState", '{"DriverFront":"open"}'),
    ],
)
def test_values_of_no_known_form_are_malformed(field: str, payload: str) -> None:
    with pytest.raises(MalformedValueError):
        read(field, payload)


def test_every_field_reads_one_value_per_key_it_feeds() -> None:
    for row in FIELDS:
        values = row.read(None)
        # Empty: a field whose value form no source shows (TpmsSoftWarnings) feeds nothing.
        assert len(values) in (0, len(row.feeds)), row.name
    assert BY_NAME["TpmsSoftWarnings"].read({"Fl": True}) == ()


def test_streamed_keys_and_busy_silence_follow_the_configured_fields() -> None:
    keys = streamed_keys(["Location", "MediaNowPlayingTitle", "NotAField"])
    assert keys == {
        ("drive_state", "latitude"),
        ("drive_state", "longitude"),
        ("vehicle_state", "media_info"),
    }
    # Twice the longest interval of the always-changing fields (position 10 s, battery 120 s).
    assert busy_silence({"Location": 10, "BatteryLevel": 120, "Locked": 1}) == 240
    assert busy_silence({"Locked": 1}) == 60


def test_a_silent_busy_car_stops_its_stream_until_the_next_record() -> None:
    watch = StreamWatch(busy_silence_s=120)
    assert not watch.live(0, busy=True)  # nothing heard yet
    watch.heard_fields(100)
    assert watch.live(220, busy=True)
    assert watch.live(5000, busy=False)  # parked: silence is normal
    assert not watch.live(221, busy=True)
    assert watch.stopped is StreamStop.SILENT
    assert not watch.repair_due(221 + REPAIR_AFTER_S - 1)
    assert watch.repair_due(221 + REPAIR_AFTER_S)
    watch.heard_fields(300)
    assert watch.live(300, busy=True)
    assert watch.stopped is None


def test_connectivity_in_order_and_the_broker() -> None:
    watch = StreamWatch()
    assert watch.heard_connectivity(True, created_at=10, now=11)
    assert not watch.heard_connectivity(False, created_at=5, now=12)  # older record
    assert watch.connected is True
    assert watch.heard_connectivity(False, created_at=20, now=21)
    assert watch.live(1000, busy=False)
    watch.broker(False, 1001)
    assert not watch.live(1002, busy=False)
    assert watch.stopped is StreamStop.BROKER
    watch.broker(True, 1003)
    watch.heard_connectivity(True, created_at=1004, now=1004)
    assert watch.live(1005, busy=False)


def test_checks_and_residual_reads() -> None:
    watch = StreamWatch()
    watch.heard_connectivity(False, created_at=0, now=0)
    # A car the stream says is asleep is never checked (Tesla reports what it cannot reach).
    assert not watch.check_due(10 * QUIET_CONNECTED_CHECK_S)
    watch.heard_connectivity(True, created_at=10, now=10)
    assert not watch.check_due(10 + QUIET_CONNECTED_CHECK_S - 1)
    assert watch.check_due(10 + QUIET_CONNECTED_CHECK_S)
    watch.checked(True, 10 + QUIET_CONNECTED_CHECK_S)
    assert not watch.check_due(11 + QUIET_CONNECTED_CHECK_S)
    # Connected per the stream but asleep per Tesla: the stream missed the car.
    watch.checked(False, 12 + QUIET_CONNECTED_CHECK_S)
    assert watch.stopped is StreamStop.MISSED
    # A car that woke is read once (not when read a moment ago), then hourly.
    watch = StreamWatch()
    watch.heard_connectivity(True, created_at=1000, now=1000)
    assert watch.residual_due(None, 1000)
    assert not watch.residual_due(900, 1000)
    assert watch.residual_due(1000 - WOKE_READ_AFTER_S, 1000)
    assert not watch.residual_due(1001, 1001 + RESIDUAL_EVERY_S - 1)
    assert watch.residual_due(1001, 1001 + RESIDUAL_EVERY_S)


def test_a_check_at_start_up_is_the_streams_first_word() -> None:
    watch = StreamWatch()
    assert watch.adopt(False, 100)
    assert watch.live(101, busy=False)
    assert watch.connected is False
    # Only once: later the stream speaks for itself.
    assert not watch.adopt(True, 200)
    # Not while the broker is away, and a broker that is back is not trusted blindly.
    other = StreamWatch()
    other.broker(False, 0)
    assert not other.adopt(False, 1)
    other.broker(True, 2)
    assert other.stopped is None
    assert not other.live(3, busy=False)
    assert other.adopt(True, 4)
    assert other.live(5, busy=False)


def test_a_read_finding_a_busy_car_the_silent_stream_missed() -> None:
    watch = StreamWatch(busy_silence_s=120)
    watch.heard_fields(0)
    # The stream spoke recently: the read is just ahead of it.
    assert not watch.missed_activity(True, False, 100)
    # Busy per the stream too: nothing missed.
    assert not watch.missed_activity(True, True, 1000)
    assert watch.stopped is None
    # Parked per a stream silent for long, yet driving or charging: the stream stopped.
    assert watch.missed_activity(True, False, 3600)
    assert watch.stopped is StreamStop.MISSED
