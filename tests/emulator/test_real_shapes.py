"""The emulator answers like the real cars in tests/fixtures/real/, key by key and type by type.

For every emulated model, `vehicle_data` is read over HTTP in several situations (parked,
charging, starting, no power, scheduled, navigating, driving, playing music, update scheduled)
and compared with that model's real captures:

- every key a capture of the model has (in the situation it was captured in) is in the answer;
- no key is in the answer that no capture of the model has, except the situational keys below,
  and those only in their situation;
- every value has a JSON type a real answer gave that key (any model): Tesla writes whole floats
  without a fraction (`charge_energy_added` 0 in one capture, 13.57 in another), so int and float
  count as one type, "number"; null is allowed only where a real answer sent null;
- a few enumerations only take values real answers (or the documented lists below) use.

The envelope (the keys around the sections) is Tesla's server's, not the car's, so it is compared
with the union of the captures made since 2023 whatever the model. `/vehicles`, `/vehicles/{vin}`
and `/products` are compared with Tesla's reference answers and real `/products` captures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
import json
from pathlib import Path
from typing import Any

from aiohttp import ClientSession
import pytest

from fleet_emulator import Emulator
from fleet_emulator.scenario import DEFAULT_SCENARIO, parse_scenario
from fleet_emulator.vehicle import Vehicle
from fleet_emulator.vehicle_profiles import PROFILES

from .conftest import Api

REAL = Path(__file__).resolve().parent.parent / "fixtures" / "real"
MANIFEST: dict[str, Any] = json.loads((REAL / "manifest.json").read_text(encoding="utf-8"))
SECTIONS = (
    "charge_state",
    "climate_state",
    "drive_state",
    "gui_settings",
    "vehicle_config",
    "vehicle_state",
)
ALL_ENDPOINTS = ";".join((*SECTIONS, "location_data"))
VIN = "5YJ3E7EB0KF900001"

# Keys that come and go with the situation; each is allowed (and only then) when its condition
# holds. Path -> situation name.
SITUATIONAL: dict[str, str] = {
    # With a destination set (model3_ha_teslemetry.json was navigating).
    "drive_state.active_route_destination": "navigating",
    "drive_state.active_route_latitude": "navigating",
    "drive_state.active_route_longitude": "navigating",
    "drive_state.active_route_miles_to_arrival": "navigating",
    "drive_state.active_route_minutes_to_arrival": "navigating",
    "drive_state.active_route_traffic_minutes_delay": "navigating",
    # With a start time set (models_2015_teslatte_HTLC_2023-10-09.json, HA core's tessie
    # fixture online.json).
    "charge_state.scheduled_charging_start_time_minutes": "scheduled",
    # A phone playing through the car (model3_ha_teslemetry.json, modelx_2022_timdorr.json).
    "vehicle_state.media_info.a2dp_source_name": "media",
    # An update scheduled: the `latest_vehicle_data` example in timdorr/tesla-api
    # docs/vehicle/state/data.md shows the field; no capture above had an update scheduled.
    "vehicle_state.software_update.scheduled_time_ms": "update_scheduled",
}
# Types no capture can show, because every captured car was parked: while driving the speed
# is a number of mph (Tesla's Fleet API reference lists `speed` in drive_state).
UNCAPTURED_TYPES: dict[str, set[str]] = {
    "drive_state.speed": {"number"},
    "vehicle_state.software_update.scheduled_time_ms": {"number"},
}
# Enumerations: values real answers use, plus the documented ones named here.
DOCUMENTED_VALUES: dict[str, set[Any]] = {
    # home-assistant/core homeassistant/components/tesla_fleet/sensor.py CHARGE_STATES
    "charge_state.charging_state": {
        "Disconnected",
        "NoPower",
        "Starting",
        "Charging",
        "Complete",
        "Stopped",
    },
    # home-assistant/core homeassistant/components/tessie/const.py TessieChargePortLatchStates
    "charge_state.charge_port_latch": {"Disengaged"},
    # home-assistant/core tests/components/tessie/fixtures/online.json (StartAt)
    "charge_state.scheduled_charging_mode": {"StartAt"},
    # alandtse/tesla tests/mock_data/car.py: a charging 2015 Model S
    "charge_state.charge_port_color": {"FlashingGreen"},
    # Tesla's set_climate_keeper_mode 0-3 (custom_components/.../climate.py KEEPER_PRESETS)
    "climate_state.climate_keeper_mode": {"off", "keep", "dog", "camp"},
    # Tesla's set_cabin_overheat_protection on/fan_only (home-assistant/core tesla_fleet climate)
    "climate_state.cabin_overheat_protection": {"Off", "On", "FanOnly"},
    # Tesla's set_cop_temp 0-2 (home-assistant/core teslemetry climate: Low, Medium, High)
    "climate_state.cop_activation_temperature": {"Low", "Medium", "High"},
    # home-assistant/core tesla_fleet/sensor.py SHIFT_STATES
    "drive_state.shift_state": {None, "P", "D", "R", "N"},
    # home-assistant/core tesla_fleet/update.py: available, scheduled, downloading, installing
    "vehicle_state.software_update.status": {"", "available", "scheduled"},
}
ENUM_PATHS = (
    *DOCUMENTED_VALUES,
    "charge_state.conn_charge_cable",
    "charge_state.fast_charger_type",
    "climate_state.hvac_auto_request",
    "drive_state.native_type",
    "vehicle_state.dashcam_state",
    "vehicle_state.media_info.media_playback_status",
)


def _load(name: str) -> Any:
    data = json.loads((REAL / name).read_text(encoding="utf-8"))
    return data.get("response", data) if isinstance(data, dict) else data


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _walk(data: dict[str, Any], prefix: str) -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else key
        yield path, value
        if isinstance(value, dict):
            yield from _walk(value, path)


@dataclass
class Capture:
    """One real vehicle_data answer and what the manifest says about it."""

    entry: dict[str, Any]
    data: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.data = _load(self.entry["file"])

    def paths(self) -> set[str]:
        """Every section path of the capture, less the keys known not to come from the car."""
        ignored = set(self.entry.get("ignore", ()))
        return {
            path
            for section in SECTIONS
            for path, _ in _walk(self.data[section], section)
            if path not in ignored and not any(path.startswith(f"{i}.") for i in ignored)
        }


CAPTURES = [Capture(entry) for entry in MANIFEST["vehicle_data"]]
SHAPES = [c for c in CAPTURES if c.entry["role"] == "shape"]


def _types() -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}
    for capture in CAPTURES:
        for section in SECTIONS:
            for path, value in _walk(capture.data[section], section):
                seen.setdefault(path, set()).add(_type(value))
    for path, types in UNCAPTURED_TYPES.items():
        seen.setdefault(path, set()).update(types)
    return seen


def _values() -> dict[str, set[Any]]:
    seen: dict[str, set[Any]] = {path: set(extra) for path, extra in DOCUMENTED_VALUES.items()}
    for capture in CAPTURES:
        for section in SECTIONS:
            for path, value in _walk(capture.data[section], section):
                if path in ENUM_PATHS:
                    seen.setdefault(path, set()).add(value)
    return seen


TYPES = _types()
VALUES = _values()


def _known_paths(model: str) -> set[str]:
    return set().union(*(c.paths() for c in SHAPES if c.entry["model"] == model))


# --- situations -----------------------------------------------------------------------------

type Setup = Callable[[Vehicle], None]


def _parked(car: Vehicle) -> None:
    car.unplug()


def _charging(car: Vehicle) -> None:
    car.plug_in()
    car.charge_started_at -= car.spec.charge_start_delay_s


def _starting(car: Vehicle) -> None:
    car.plug_in()


def _no_power(car: Vehicle) -> None:
    car.plug_in()
    car.set_charger_power(False)


def _complete(car: Vehicle) -> None:
    car.battery_level = car.charge_limit_soc
    car.plug_in()


def _scheduled(car: Vehicle) -> None:
    car.scheduled_charging_enabled = True
    car.scheduled_charging_time = (int(car.now // 60) + 120) % 1440
    car.plug_in()


def _navigating(car: Vehicle) -> None:
    car.destination = {"latitude": 37.7765, "longitude": -122.4195, "name": "Work"}


def _driving(car: Vehicle) -> None:
    car.start_drive((37.7765, -122.4195), car.now + 1800)


def _media(car: Vehicle) -> None:
    car.media_playing = True


def _update_scheduled(car: Vehicle) -> None:
    car.software_update_status = "scheduled"
    car.software_update_at = car.now + 3600


SITUATIONS: dict[str, Setup] = {
    "parked": _parked,
    "charging": _charging,
    "starting": _starting,
    "no_power": _no_power,
    "complete": _complete,
    "scheduled": _scheduled,
    "navigating": _navigating,
    "driving": _driving,
    "media": _media,
    "update_scheduled": _update_scheduled,
}
SITUATION_OF_DRIVE = {"driving": "navigating"}  # a drive has a destination, so a route


@pytest.fixture(params=sorted(PROFILES))
def model(request: pytest.FixtureRequest) -> str:
    """Each emulated model in turn."""
    return str(request.param)


@pytest.fixture
async def one_car(socket_enabled: None, model: str) -> AsyncIterator[Emulator]:
    """An emulator whose account owns one car of the model (plain REST commands)."""
    scenario = parse_scenario(
        {
            **DEFAULT_SCENARIO,
            "accounts": [{"account_id": "owner", "vehicles": [VIN], "sites": []}],
            "vehicles": [
                {
                    "vin": VIN,
                    "id": 1492931337159001,
                    "vehicle_id": 1234569001,
                    "display_name": "Shape",
                    "model": model,
                }
            ],
            "sites": [],
        },
        start=0,
    )
    emulator = Emulator(scenario)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
def owner(one_car: Emulator, http: ClientSession) -> Api:
    """The owner with every scope."""
    return Api(one_car, http, one_car.mint_tokens("owner")["access_token"])


async def _read(api: Api, endpoints: str = ALL_ENDPOINTS) -> dict[str, Any]:
    status, body = await api.get(f"/vehicles/{VIN}/vehicle_data?endpoints={endpoints}")
    assert status == 200, body
    data: dict[str, Any] = body["response"]
    return data


def _problems(answer: dict[str, Any], model: str, situation: str) -> list[str]:
    """What in an answer no real car of the model would send, or sends with another type."""
    known = _known_paths(model)
    active = {situation, SITUATION_OF_DRIVE.get(situation, "")}
    found: list[str] = []
    for section in SECTIONS:
        for path, value in _walk(answer[section], section):
            allowed = path in known or SITUATIONAL.get(path) in active
            if not allowed:
                found.append(f"{path}: no {model} capture has it ({situation})")
                continue
            types = TYPES.get(path, set())
            if _type(value) not in types:
                found.append(f"{path}: {_type(value)} {value!r}, real answers send {sorted(types)}")
            if path in VALUES and value not in VALUES[path]:
                found.append(f"{path}: {value!r} is not one of {sorted(map(str, VALUES[path]))}")
    return found


async def test_every_model_answers_only_real_keys_with_real_types(
    one_car: Emulator, owner: Api, model: str
) -> None:
    problems: list[str] = []
    for situation, setup in SITUATIONS.items():
        car = one_car.vehicle(VIN)
        setup(car)
        problems += _problems(await _read(owner), model, situation)
        # Back to a plain parked car for the next situation.
        car = one_car.vehicle(VIN)
        car.unplug()
        car.set_charger_power(True)
        car.drive = None
        car.destination = None
        car.scheduled_charging_enabled = False
        car.media_playing = False
        car.software_update_at = None
        car.software_update_status = "available"
    assert problems == []


@pytest.mark.parametrize(
    "capture", SHAPES, ids=[c.entry["file"].removesuffix(".json") for c in SHAPES]
)
async def test_every_key_of_a_real_capture_is_answered(
    socket_enabled: None, http: ClientSession, capture: Capture
) -> None:
    model = capture.entry["model"]
    scenario = parse_scenario(
        {
            **DEFAULT_SCENARIO,
            "accounts": [{"account_id": "owner", "vehicles": [VIN], "sites": []}],
            "vehicles": [
                {"vin": VIN, "id": 7, "vehicle_id": 8, "display_name": "Shape", "model": model}
            ],
            "sites": [],
        },
        start=0,
    )
    emulator = Emulator(scenario)
    await emulator.start()
    try:
        api = Api(emulator, http, emulator.mint_tokens("owner")["access_token"])
        for situation in capture.entry["situations"]:
            SITUATIONS[situation](emulator.vehicle(VIN))
        endpoints = ";".join(SECTIONS)
        if capture.entry["location"]:
            endpoints += ";location_data"
        answer = await _read(api, endpoints)
    finally:
        await emulator.stop()
    answered = {path for section in SECTIONS for path, _ in _walk(answer[section], section)}
    assert sorted(capture.paths() - answered) == []
    if capture.entry["envelope"]:
        envelope = {key for key, value in capture.data.items() if key not in SECTIONS}
        assert sorted(envelope - set(answer)) == []


def test_every_model_has_real_captures() -> None:
    assert {c.entry["model"] for c in SHAPES} == set(PROFILES)
    assert {"model3", "modely", "models_2015", "modelx_2022"} <= set(PROFILES)


async def test_envelope_has_the_keys_of_todays_answers(owner: Api) -> None:
    answer = await _read(owner)
    modern = [c for c in CAPTURES if c.entry["envelope"]]
    allowed = set().union(*({k for k in c.data if k not in SECTIONS} for c in modern))
    assert sorted(set(answer) - set(SECTIONS) - allowed) == []
    for key in set(answer) - set(SECTIONS):
        real = {_type(c.data[key]) for c in modern if key in c.data}
        assert _type(answer[key]) in real, key


def _summary_keys() -> set[str]:
    one: dict[str, Any] = _load(MANIFEST["vehicle"])
    listed: list[dict[str, Any]] = _load(MANIFEST["vehicles"])
    assert set(one) == set(listed[0])
    return set(one)


async def test_vehicle_list_and_state_answer_teslas_keys(owner: Api) -> None:
    # Tesla's reference answer plus command_signing, which every real /products entry has.
    expected = _summary_keys() | {"command_signing"}
    status, body = await owner.get("/vehicles")
    assert status == 200
    assert [set(car) for car in body["response"]] == [expected]
    status, body = await owner.get(f"/vehicles/{VIN}")
    assert status == 200
    assert set(body["response"]) == expected
    # Types as Tesla's reference or a real /products entry (same object, fuller) gives them.
    real: dict[str, set[str]] = {}
    cars = [_load(MANIFEST["vehicle"])]
    cars += [p for e in MANIFEST["products"] for p in _load(e["file"]) if "vin" in p]
    for car in cars:
        for key, value in car.items():
            real.setdefault(key, set()).add(_type(value))
    for key, value in body["response"].items():
        assert _type(value) in real[key], key


async def test_products_entry_answers_the_real_keys(owner: Api, model: str) -> None:
    entry = next(e for e in MANIFEST["products"] if model in e["models"])
    real = next(p for p in _load(entry["file"]) if "vin" in p)
    expected = set(real) - set(entry.get("ignore", ()))
    status, body = await owner.get("/products")
    assert status == 200
    (car,) = [p for p in body["response"] if p.get("vin") == VIN]
    assert set(car) == expected
    for key, value in car.items():
        if real[key] is not None and key != "vehicle_config":
            assert _type(value) == _type(real[key]), key
