"""The emulator streams as Tesla's fleet-telemetry server with its MQTT dispatcher publishes.

A real Mosquitto (tests/mqtt_helpers.py) and a plain MQTT subscriber: what the subscriber reads
is what Home Assistant's mqtt integration would read. Time is the emulator's virtual clock.
"""

from __future__ import annotations

from datetime import datetime
import json
from typing import Any

from aiohttp import ClientSession
import pytest

from fleet_emulator import Emulator
from fleet_emulator.telemetry import AppConfig
from fleet_emulator.telemetry_signals import Float32, Location, go_json
from fleet_emulator.telemetry_stream import BUFFER_RECORDS
from tests.mqtt_helpers import Broker, Subscriber

M3 = "5YJ3E7EB0KF000001"
HOST = "telemetry.example.com"
APP = "tfd-client"


def stream_to(emu: Emulator, fields: dict[str, dict[str, Any]], vin: str = M3) -> None:
    """The car holds a synced configuration of our app for HOST:443 with `fields`."""
    now = emu.clock.now()
    claims = {"hostname": HOST, "port": 443, "fields": fields, "exp": int(now + 30 * 86400)}
    emu.telemetry.car(vin).configs[APP] = AppConfig(
        claims, now, accepted=True, trusted=True, synced=True
    )


def topic(field: str, vin: str = M3) -> str:
    return f"telemetry/{vin}/v/{field}"


def connectivity(payload: bytes) -> dict[str, Any]:
    """The connectivity JSON, checked for Go's key order and layout."""
    assert payload.startswith(b'{"ConnectionId":"')
    assert b" " not in payload
    value: dict[str, Any] = json.loads(payload)
    assert list(value) == ["ConnectionId", "CreatedAt", "Status"]
    return value


@pytest.fixture
def subscriber(emulator: Emulator, mqtt_broker: Broker) -> Any:
    """The server HOST:443 publishes to the broker under `telemetry`; a subscriber reads all."""
    emulator.stream.add_server(HOST, 443, mqtt_broker.address, topic_base="telemetry")
    sub = Subscriber(mqtt_broker)
    yield sub
    sub.close()


def test_values_are_marshalled_as_gos_json_marshal() -> None:
    # teslamotors/fleet-telemetry datastore/mqtt/mqtt_test.go "should publish vehicle data":
    # VehicleName "My Tesla", an invalid TimeToFullCharge, a Location and a float BatteryLevel.
    assert go_json("My Tesla") == b'"My Tesla"'
    assert go_json(None) == b"null"
    assert go_json({"latitude": 37.7749, "longitude": -122.4194}) == (
        b'{"latitude":37.7749,"longitude":-122.4194}'
    )
    assert go_json(Float32(75.5)) == b"75.5"
    # Go's own rules: shortest floats without ".0", exponents past 1e21 and below 1e-6,
    # float32 precision, sorted keys, HTML characters escaped.
    assert go_json(80.0) == b"80"
    assert go_json(1e21) == b"1e+21"
    assert go_json(1e-7) == b"1e-7"
    assert go_json(123456789.0) == b"123456789"
    assert go_json(Float32(0.1)) == b"0.1"
    assert go_json(Float32(1 / 3)) == b"0.33333334"
    assert go_json({"b": [True, 1], "a": "<&>"}) == b'{"a":"\\u003c\\u0026\\u003e","b":[true,1]}'
    assert Location(1.0, 2.0) != Location(1.0, 3.0)


async def test_a_configured_car_publishes_its_fields_as_the_dispatcher_does(
    emulator: Emulator, subscriber: Subscriber
) -> None:
    car = emulator.vehicle(M3)
    stream_to(
        emulator,
        {
            name: {"interval_seconds": 10}
            for name in (
                "BatteryLevel",
                "Location",
                "Gear",
                "Locked",
                "VehicleName",
                "DetailedChargeState",
                "ChargerPhases",
                "DoorState",
                "NotSimulatedField",
            )
        },
    )
    before = int(emulator.clock.now())
    emulator.advance(0)
    got = dict(subscriber.wait_for(9))
    assert set(got) == {
        f"telemetry/{M3}/connectivity",
        *(
            topic(n)
            for n in (
                "BatteryLevel",
                "Location",
                "Gear",
                "Locked",
                "VehicleName",
                "DetailedChargeState",
                "ChargerPhases",
                "DoorState",
            )
        ),
    }
    assert got[topic("BatteryLevel")] == b"62"
    assert got[topic("Location")] == (
        f'{{"latitude":{car.latitude},"longitude":{car.longitude}}}'.encode()
    )
    assert got[topic("Gear")] == b'"ShiftStateP"'
    assert got[topic("Locked")] == b"true"
    assert got[topic("VehicleName")] == b'"Red Pearl"'
    assert got[topic("DetailedChargeState")] == b'"DetailedChargeStateDisconnected"'
    assert got[topic("ChargerPhases")] == b"null"
    assert got[topic("DoorState")] == (
        b'{"DriverFront":false,"DriverRear":false,"PassengerFront":false,'
        b'"PassengerRear":false,"TrunkFront":false,"TrunkRear":false}'
    )
    online = connectivity(got[f"telemetry/{M3}/connectivity"])
    assert online["Status"] == "CONNECTED"
    created = datetime.fromisoformat(online["CreatedAt"]).timestamp()
    assert before <= created <= emulator.clock.now()
    # The connection comes first, then the record.
    assert subscriber.messages[0][0] == f"telemetry/{M3}/connectivity"


async def test_fields_go_out_on_change_and_at_most_once_per_interval(
    emulator: Emulator, subscriber: Subscriber
) -> None:
    stream_to(
        emulator, {"BatteryLevel": {"interval_seconds": 60}, "Locked": {"interval_seconds": 1}}
    )
    emulator.advance(0)
    subscriber.wait_for(3)
    subscriber.take()
    records = emulator.stream.view()["cars"][0]["records"]

    emulator.advance(10)
    assert emulator.stream.view()["cars"][0]["records"] == records  # nothing changed

    car = emulator.vehicle(M3)
    car.locked = False
    car.battery_level = 55.0
    emulator.advance(1)
    assert subscriber.wait_for_topic(topic("Locked")) == b"false"
    # BatteryLevel changed too, but its minute is not over (it would have come first).
    assert topic("BatteryLevel") not in subscriber.take()

    emulator.advance(47)  # 59 s after it was sent
    car.locked = True
    emulator.advance(1)
    assert subscriber.wait_for_topic(topic("Locked")) == b"true"
    assert topic("BatteryLevel") not in subscriber.take()

    emulator.advance(2)  # 61 s
    assert subscriber.wait_for_topic(topic("BatteryLevel")) == b"55"


async def test_connectivity_follows_sleep_and_wake(
    emulator: Emulator, subscriber: Subscriber
) -> None:
    stream_to(emulator, {"Locked": {"interval_seconds": 1}})
    emulator.advance(0)
    first = connectivity(subscriber.wait_for_topic(f"telemetry/{M3}/connectivity"))
    assert first["Status"] == "CONNECTED"

    emulator.advance(1000)  # idle past 15 minutes: the car sleeps, its connection closes
    assert emulator.vehicle(M3).power_state == "asleep"
    gone = connectivity(subscriber.wait_for_topic(f"telemetry/{M3}/connectivity"))
    assert gone["Status"] == "DISCONNECTED"
    assert gone["ConnectionId"] == first["ConnectionId"]
    subscriber.take()

    emulator.vehicle(M3).wake_up()
    emulator.advance(20)
    back = connectivity(subscriber.wait_for_topic(f"telemetry/{M3}/connectivity"))
    assert back["Status"] == "CONNECTED"
    assert back["ConnectionId"] != first["ConnectionId"]
    # Nothing changed while it slept: no field is sent again on waking.
    emulator.vehicle(M3).locked = False
    emulator.advance(1)
    assert subscriber.wait_for_topic(topic("Locked")) == b"false"
    assert [t for t, _ in subscriber.messages].count(topic("Locked")) == 1


async def test_records_made_while_the_broker_is_away_are_resent_up_to_5000(
    emulator: Emulator, mqtt_broker: Broker, subscriber: Subscriber
) -> None:
    car = emulator.vehicle(M3)
    # A long slow drive: the odometer (three decimals) moves every second.
    car.start_drive((car.latitude + 1.0, car.longitude), car.now + 20_000)
    stream_to(emulator, {"Odometer": {"interval_seconds": 1}})
    emulator.advance(0)
    subscriber.wait_for(2)
    subscriber.close()
    mqtt_broker.stop()

    emulator.advance(6000)
    view = emulator.stream.view()
    assert view["servers"][0]["connected"] is False
    stream = view["cars"][0]
    assert stream["buffered"] == BUFFER_RECORDS
    assert stream["dropped"] == stream["records"] - 1 - BUFFER_RECORDS > 900
    waiting = [
        go_json(record.data["Odometer"]) for record in emulator.stream.cars[(M3, APP)].buffer
    ]

    mqtt_broker.start()
    back = Subscriber(mqtt_broker)
    try:
        emulator.advance(31)  # the car's reconnect backs off at most 30 s
        back.wait_for(1 + BUFFER_RECORDS)
        assert back.messages[0][0] == f"telemetry/{M3}/connectivity"
        odometer = [p for t, p in back.messages if t == topic("Odometer")]
        # The newest 5,000 in order (the car kept sampling, and dropping the oldest, until it
        # reached the server again), then what it sends live.
        shift = waiting.index(odometer[0])
        assert 0 < shift <= 31
        assert odometer[: BUFFER_RECORDS - shift] == waiting[shift:]
        values = [float(p) for p in odometer]
        assert values == sorted(set(values))
        assert emulator.stream.view()["cars"][0]["buffered"] == 0
    finally:
        back.close()


async def test_admin_api_names_the_server_and_takes_it_down(
    emulator: Emulator, mqtt_broker: Broker, http: ClientSession
) -> None:
    admin = f"{emulator.url}/_emulator/telemetry_servers"
    body = {"hostname": HOST, "port": 443, "broker": mqtt_broker.address, "topic_base": "tt"}
    async with http.post(admin, json=body) as response:
        assert response.status == 200
    async with http.post(admin, json={"hostname": HOST, "broker": "nope"}) as response:
        assert response.status == 400
    sub = Subscriber(mqtt_broker)
    try:
        stream_to(emulator, {"Locked": {"interval_seconds": 1}})
        emulator.advance(0)
        assert sub.wait_for_topic(f"tt/{M3}/v/Locked") == b"true"

        async with http.patch(f"{admin}/{HOST}/443", json={"up": False}) as response:
            assert (await response.json())["up"] is False
        emulator.vehicle(M3).locked = False
        emulator.advance(5)
        async with http.get(admin) as response:
            view = await response.json()
        assert view["cars"][0]["buffered"] == 1
        assert view["cars"][0]["connected"] is False

        async with http.patch(f"{admin}/{HOST}/443", json={"up": True}) as response:
            assert response.status == 200
        emulator.advance(31)
        assert sub.wait_for_topic(f"tt/{M3}/v/Locked") == b"false"
    finally:
        sub.close()


async def test_signals_count_the_field_messages_delivered(
    emulator: Emulator, mqtt_broker: Broker, subscriber: Subscriber
) -> None:
    """What Tesla bills: each field value that reached the server, not connectivity records,
    and a buffered value only once it is delivered."""
    stream_to(
        emulator, {"BatteryLevel": {"interval_seconds": 1}, "Locked": {"interval_seconds": 1}}
    )
    emulator.advance(0)
    subscriber.wait_for(3)  # connectivity + two fields
    assert emulator.stream.view()["cars"][0]["signals"] == 2

    subscriber.close()
    mqtt_broker.stop()
    emulator.vehicle(M3).locked = False
    emulator.advance(1)
    assert emulator.stream.view()["cars"][0]["buffered"] == 1
    assert emulator.stream.view()["cars"][0]["signals"] == 2

    mqtt_broker.start()
    back = Subscriber(mqtt_broker)
    try:
        emulator.advance(31)
        assert back.wait_for_topic(topic("Locked")) == b"false"
        assert emulator.stream.view()["cars"][0]["signals"] == 3
    finally:
        back.close()
