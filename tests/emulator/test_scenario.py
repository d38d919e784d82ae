"""Scenarios from files, and scripted events on the virtual clock."""

from __future__ import annotations

from pathlib import Path

from aiohttp import ClientSession
import pytest

from fleet_emulator import Emulator
from fleet_emulator.scenario import ScenarioError, default_scenario, parse_scenario

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
async def scripted(socket_enabled: None, tmp_path: Path) -> Emulator:
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
    assert (car.state, car.charging_state) == ("online", "Charging")


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


async def test_shipped_commute_scenario_repeats_daily(socket_enabled: None) -> None:
    path = Path(__file__).parents[2] / "fleet_emulator" / "scenarios" / "commute.yaml"
    emulator = Emulator(path)
    start = emulator.vehicle(M3).odometer
    emulator.advance(86400)
    one_day = emulator.vehicle(M3).odometer - start
    # Two legs of about 13.1 miles (21 km) each.
    assert one_day == pytest.approx(26.3, abs=0.3)
    emulator.advance(86400)
    assert emulator.vehicle(M3).odometer - start == pytest.approx(2 * one_day, abs=0.1)
    assert sum(1 for e in emulator.world.pending if e.target == M3) == 4


def test_repeat_must_be_daily_or_seconds() -> None:
    event = {"kind": "plug_in", "vin": M3, "at": "+60", "repeat": "weekly"}
    with pytest.raises(ScenarioError, match="repeat"):
        parse_scenario({"events": [event]}, start=0)
