"""Scenarios from files, and scripted events on the virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import ClientSession
import pytest

from fleet_emulator import Emulator
from fleet_emulator.clock import START_ENV, StartTimeError, parse_start
from fleet_emulator.scenario import (
    DEFAULT_SCENARIO,
    ScenarioError,
    default_scenario,
    parse_scenario,
)

from .conftest import M3, Api

SCENARIO_YAML = """
clients:
  - client_id: fleet-app
    client_secret: s3cret
    redirect_uris: ["http://127.0.0.1:9/callback"]
accounts:
  - account_id: alice
    region: eu
    email: alice@example.com
    vehicles: [LRW3E7EB0PC000003]
vehicles:
  - vin: LRW3E7EB0PC000003
    id: 100
    vehicle_id: 200
    display_name: Commuter
    command_signing: off
    sleep_model: modern
    idle_sleep_s: 600
    wake_delay_s: 30
    latitude: 52.52
    longitude: 13.40
sites: []
settings:
  access_token_lifetime_s: 3600
  free_endpoints: []
events:
  - {kind: drive, vin: LRW3E7EB0PC000003, at: "+600", until: "+1200", params: {to: [52.40, 13.06]}}
  - {kind: plug_in, vin: LRW3E7EB0PC000003, at: "+3600"}
  - {kind: user_present, vin: LRW3E7EB0PC000003, at: "+7200", until: "+300"}
"""
VIN = "LRW3E7EB0PC000003"


@pytest.fixture
async def scripted(socket_enabled: None, tmp_path: Path) -> AsyncIterator[Emulator]:
    path = tmp_path / "commute.yaml"
    path.write_text(SCENARIO_YAML)
    emulator = Emulator(path)
    await emulator.start()
    yield emulator
    await emulator.stop()


async def test_yaml_scenario_defines_who_exists(scripted: Emulator, http: ClientSession) -> None:
    tokens = scripted.mint_tokens("alice", client_id="fleet-app")
    assert tokens["refresh_token"].startswith("EU_")
    assert tokens["expires_in"] == 3600
    api = Api(scripted, http, tokens["access_token"], region="eu")
    status, body = await api.get("/vehicles")
    assert (status, [car["vin"] for car in body["response"]]) == (200, [VIN])
    assert scripted.ledger.entries[-1].category == "data"
    car = scripted.vehicle(VIN)
    assert (car.sleep_model, car.idle_sleep_s, car.wake_delay_s) == ("modern", 600, 30)
    # A bare YAML `off` is a boolean; the scenario still means the word.
    assert car.spec.command_signing == "off"


async def test_events_drive_plug_in_and_presence_happen_on_time(scripted: Emulator) -> None:
    scripted.advance(601)
    car = scripted.vehicle(VIN)
    assert car.drive is not None
    assert car.state == "online"
    start_odometer = car.odometer
    scripted.advance(600)
    halfway = scripted.vehicle(VIN)
    assert 52.40 < halfway.latitude < 52.52
    scripted.advance(700)
    arrived = scripted.vehicle(VIN)
    assert arrived.drive is None
    assert (round(arrived.latitude, 2), round(arrived.longitude, 2)) == (52.40, 13.06)
    # Berlin to Potsdam in a straight line is about 26.6 km.
    assert arrived.odometer - start_odometer == pytest.approx(16.5, abs=0.2)
    scripted.advance(3600 - 1901 + 1)
    assert scripted.vehicle(VIN).charging_state == "Starting"
    scripted.advance(10)
    assert scripted.vehicle(VIN).charging_state == "Charging"
    scripted.advance(3600)
    present = scripted.vehicle(VIN)
    assert present.user_present
    assert present.state == "online"


async def test_admin_api_triggers_events_now(emulator: Emulator, http: ClientSession) -> None:
    emulator.advance(20 * 60)
    assert emulator.vehicle(M3).state == "asleep"
    async with http.post(
        f"{emulator.url}/_emulator/events/{M3}", json={"kind": "plug_in"}
    ) as response:
        assert response.status == 200
    car = emulator.vehicle(M3)
    assert (car.state, car.charging_state) == ("online", "Starting")
    emulator.advance(10)
    assert emulator.vehicle(M3).charging_state == "Charging"


def test_default_scenario_matches_the_contract() -> None:
    scenario = default_scenario()
    assert [c.client_id for c in scenario.clients] == ["tfd-client", "tfd-pkce-client"]
    assert scenario.clients[0].allows_redirect("http://127.0.0.1:8123/auth/external/callback")
    assert not scenario.clients[0].allows_redirect("http://127.0.0.1:8123/elsewhere")
    assert [(v.vin, v.command_signing) for v in scenario.vehicles] == [
        ("5YJ3E7EB0KF000001", "off"),
        ("7SAYGDEE0PA000002", "required"),
    ]
    assert scenario.sites[0].wall_connectors[0].vin == "7SAYGDEE0PA000002"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"accounts": [{"account_id": "x", "region": "mars"}]}, "region"),
        ({"accounts": [{"account_id": "x", "vehicles": ["NOPE"]}]}, "unknown vehicle"),
        (
            {"vehicles": [{"vin": "V", "id": 1, "vehicle_id": 1, "display_name": "d", "wings": 2}]},
            "unknown fields",
        ),
        ({"events": [{"kind": "teleport", "vin": M3, "at": 0}]}, "kind"),
        ({"events": [{"kind": "plug_in", "vin": M3, "at": "soon"}]}, "time"),
    ],
)
def test_bad_scenarios_are_explained(document: dict[str, object], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(document, start=0)


COMMUTE = Path(__file__).parents[2] / "fleet_emulator" / "scenarios" / "commute.yaml"
PACIFIC = ZoneInfo("America/Los_Angeles")
HOME = (37.4925, -121.9447)
WORK = (37.3947, -122.1503)


def _pacific(hour: int, minute: int = 0) -> float:
    """A fixed weekday in California (no test reads the wall clock)."""
    return datetime(2026, 6, 3, hour, minute, tzinfo=PACIFIC).timestamp()


def _where(emulator: Emulator) -> tuple[float, float]:
    car = emulator.vehicle(M3)
    return (round(car.latitude, 4), round(car.longitude, 4))


@pytest.mark.parametrize(
    ("hour", "minute", "place", "plugged_in"),
    [
        (3, 0, HOME, True),
        (7, 50, None, False),
        (10, 0, WORK, False),
        (17, 45, None, False),
        (20, 0, HOME, True),
    ],
)
async def test_shipped_commute_scenario_repeats_daily_from_any_start(
    socket_enabled: None,
    hour: int,
    minute: int,
    place: tuple[float, float] | None,
    plugged_in: bool,
) -> None:
    emulator = Emulator(COMMUTE, start=_pacific(hour, minute))
    car = emulator.vehicle(M3)
    # Where the routine has the car at that time of day: home at night (plugged in since
    # 18:30), at work during the day, on the road in the middle of a commute.
    if place is None:
        assert car.drive is not None
        assert _where(emulator) not in (HOME, WORK)
    else:
        assert car.drive is None
        assert _where(emulator) == place
    assert car.plugged_in is plugged_in
    start = car.odometer
    emulator.advance(86400)
    one_day = emulator.vehicle(M3).odometer - start
    # Two legs of about 13.1 miles (21 km) each, whatever the hour the emulator started.
    assert one_day == pytest.approx(26.3, abs=0.3)
    emulator.advance(86400)
    assert emulator.vehicle(M3).odometer - start == pytest.approx(2 * one_day, abs=0.1)
    assert sum(1 for e in emulator.world.pending if e.target == M3) == 4


async def test_a_commute_in_progress_at_start_arrives_on_time(socket_enabled: None) -> None:
    # 08:00 is halfway through the 07:40-08:20 drive to work.
    emulator = Emulator(COMMUTE, start=_pacific(8, 0))
    lat, lon = _where(emulator)
    assert lat == pytest.approx((HOME[0] + WORK[0]) / 2, abs=0.002)
    assert lon == pytest.approx((HOME[1] + WORK[1]) / 2, abs=0.002)
    emulator.advance(20 * 60 + 1)
    assert _where(emulator) == WORK
    assert emulator.vehicle(M3).drive is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1780000000", 1780000000.0),
        ("2026-06-03T10:00:00-07:00", datetime(2026, 6, 3, 10, tzinfo=PACIFIC).timestamp()),
        # A time of day is the occurrence nearest to "now" (here 2026-06-03 09:00 Pacific).
        ("10:00", datetime(2026, 6, 3, 10, tzinfo=PACIFIC).timestamp()),
        ("20:00", datetime(2026, 6, 3, 20, tzinfo=PACIFIC).timestamp()),
        ("22:00", datetime(2026, 6, 2, 22, tzinfo=PACIFIC).timestamp()),
        ("23:30 UTC", datetime(2026, 6, 3, 23, 30, tzinfo=ZoneInfo("UTC")).timestamp()),
    ],
)
def test_start_time_is_read_from_any_form(value: str, expected: float) -> None:
    assert parse_start(value, now=_pacific(9)) == expected


@pytest.mark.parametrize("value", ["soon", "25:00", "10:00 Mars/Base", "2026-06-03T10:00"])
def test_unreadable_start_time_is_explained(value: str) -> None:
    with pytest.raises(StartTimeError):
        parse_start(value, now=_pacific(9))


def test_environment_sets_the_emulators_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(START_ENV, "2026-06-03T20:00:00-07:00")
    emulator = Emulator(COMMUTE)
    assert emulator.clock.now() == pytest.approx(_pacific(20), abs=5)
    assert _where(emulator) == HOME
    assert emulator.vehicle(M3).plugged_in


def test_repeat_must_be_daily_or_seconds() -> None:
    event = {"kind": "plug_in", "vin": M3, "at": "+60", "repeat": "weekly"}
    with pytest.raises(ScenarioError, match="repeat"):
        parse_scenario({"events": [event]}, start=0)


async def test_a_driver_account_sees_itself_as_driver(
    socket_enabled: None, http: ClientSession
) -> None:
    # Real answers carry access_type OWNER or DRIVER (tests/fixtures/real/vehicles_tesla_fleet_api_docs.json).
    accounts = [
        {**DEFAULT_SCENARIO["accounts"][0], "driver_of": [M3]},
    ]
    emulator = Emulator(parse_scenario({**DEFAULT_SCENARIO, "accounts": accounts}, start=0))
    await emulator.start()
    try:
        api = Api(emulator, http, emulator.mint_tokens("owner")["access_token"])
        _, body = await api.get("/vehicles")
        assert {car["vin"]: car["access_type"] for car in body["response"]} == {
            M3: "DRIVER",
            "7SAYGDEE0PA000002": "OWNER",
        }
        _, body = await api.get(f"/vehicles/{M3}")
        assert body["response"]["access_type"] == "DRIVER"
    finally:
        await emulator.stop()


def test_driver_of_names_a_car_of_the_account() -> None:
    accounts = [{"account_id": "x", "vehicles": [], "driver_of": [M3]}]
    with pytest.raises(ScenarioError, match="driver_of"):
        parse_scenario({"accounts": accounts}, start=0)
