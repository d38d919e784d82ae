"""The sleep model on the virtual clock: idle sleep, 408s, wake delay, strict vs modern."""

from __future__ import annotations

from fleet_emulator import Emulator

from .conftest import M3, MY, Api

UNAVAILABLE = {
    "response": None,
    "error": "vehicle unavailable: vehicle is offline or asleep",
    "error_description": "",
}


async def state(api: Api, vin: str = M3) -> str:
    status, body = await api.get(f"/vehicles/{vin}")
    assert status == 200
    return str(body["response"]["state"])


async def test_idle_car_sleeps_after_fifteen_minutes(api: Api, emulator: Emulator) -> None:
    emulator.clock.advance(14 * 60 + 50)
    assert await state(api) == "online"
    emulator.clock.advance(15)
    assert await state(api) == "asleep"


async def test_asleep_car_answers_408_and_state_calls_do_not_wake_it(
    api: Api, emulator: Emulator
) -> None:
    emulator.clock.advance(16 * 60)
    assert await api.get(f"/vehicles/{M3}/vehicle_data") == (408, UNAVAILABLE)
    assert await api.command(M3, "door_lock") == (408, UNAVAILABLE)
    for _ in range(3):
        emulator.clock.advance(60)
        assert await state(api) == "asleep"
        _, body = await api.get("/vehicles")
        assert body["response"][0]["state"] == "asleep"


async def test_wake_up_takes_the_wake_delay(api: Api, emulator: Emulator) -> None:
    emulator.clock.advance(16 * 60)
    status, body = await api.post(f"/vehicles/{M3}/wake_up")
    assert (status, body["response"]["state"]) == (200, "asleep")
    emulator.clock.advance(14)
    assert await state(api) == "asleep"
    emulator.clock.advance(2)
    assert await state(api) == "online"
    status, body = await api.get(f"/vehicles/{M3}/vehicle_data?endpoints=charge_state")
    assert status == 200


async def test_strict_model_data_polling_keeps_the_car_awake(api: Api, emulator: Emulator) -> None:
    for _ in range(6):
        emulator.clock.advance(10 * 60)
        assert (await api.get(f"/vehicles/{M3}/vehicle_data?endpoints=charge_state"))[0] == 200
    assert await state(api) == "online"


async def test_modern_model_sleeps_despite_polling(api: Api, emulator: Emulator) -> None:
    emulator.vehicle(M3).sleep_model = "modern"
    emulator.clock.advance(10 * 60)
    assert (await api.get(f"/vehicles/{M3}/vehicle_data?endpoints=charge_state"))[0] == 200
    emulator.clock.advance(6 * 60)
    assert (await api.get(f"/vehicles/{M3}/vehicle_data?endpoints=charge_state"))[0] == 408


async def test_commands_restart_the_idle_timer(api: Api, emulator: Emulator) -> None:
    emulator.clock.advance(10 * 60)
    assert (await api.command(M3, "flash_lights"))[0] == 200
    emulator.clock.advance(10 * 60)
    assert await state(api) == "online"
    emulator.clock.advance(6 * 60)
    assert await state(api) == "asleep"


async def test_charging_and_sentry_keep_the_car_awake(api: Api, emulator: Emulator) -> None:
    # The Model Y starts plugged in below its limit, so it is charging.
    assert emulator.vehicle(MY).charging_state == "Charging"
    assert (await api.command(M3, "set_sentry_mode", on=True))[0] == 200
    emulator.clock.advance(40 * 60)
    assert await state(api, MY) == "online"
    assert await state(api, M3) == "online"
    assert (await api.command(M3, "set_sentry_mode", on=False))[0] == 200
    emulator.clock.advance(15 * 60 + 1)
    assert await state(api, M3) == "asleep"


async def test_charging_car_sleeps_after_it_completes(api: Api, emulator: Emulator) -> None:
    car = emulator.vehicle(MY)
    car.battery_level = car.charge_limit_soc - 1
    emulator.clock.advance(30 * 60)
    assert emulator.vehicle(MY).charging_state == "Complete"
    assert emulator.vehicle(MY).state == "asleep"


async def test_offline_car_stays_unreachable(api: Api, emulator: Emulator) -> None:
    emulator.vehicle(M3).set_connectivity(False)
    assert await state(api) == "offline"
    assert (await api.post(f"/vehicles/{M3}/wake_up"))[0] == 200
    emulator.clock.advance(60)
    assert await state(api) == "offline"
    assert await api.get(f"/vehicles/{M3}/vehicle_data") == (408, UNAVAILABLE)
    emulator.vehicle(M3).set_connectivity(True)
    assert await state(api) == "online"
