"""The admin API mirrors the Python handle, and only answers loopback clients."""

from __future__ import annotations

from typing import Any
from unittest.mock import Mock

from aiohttp import ClientSession, web
from aiohttp.test_utils import make_mocked_request
import pytest

from fleet_emulator import Emulator
from fleet_emulator.admin import _loopback_only

from .conftest import M3, MY, SITE, Api


async def admin(
    http: ClientSession, emulator: Emulator, method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    async with http.request(method, f"{emulator.url}/_emulator{path}", json=body) as response:
        return response.status, await response.json(content_type=None)


async def test_state_shows_cars_and_sites(emulator: Emulator, http: ClientSession) -> None:
    status, state = await admin(http, emulator, "GET", "/state")
    assert status == 200
    assert [(car["vin"], car["state"]) for car in state["vehicles"]] == [
        (M3, "online"),
        (MY, "online"),
    ]
    assert state["vehicles"][1]["charging_state"] == "Charging"
    assert state["sites"][0]["energy_site_id"] == SITE
    assert state["free_endpoints"] == ["vehicle", "vehicles"]


async def test_ledger_reads_and_clears(api: Api, emulator: Emulator, http: ClientSession) -> None:
    await api.post(f"/vehicles/{M3}/wake_up")
    status, ledger = await admin(http, emulator, "GET", "/ledger")
    assert status == 200
    assert [(e["endpoint"], e["category"], e["billed"]) for e in ledger["entries"]] == [
        ("wake_up", "wake", True)
    ]
    assert ledger["cost_usd"] == pytest.approx(0.02)
    _, cleared = await admin(http, emulator, "DELETE", "/ledger")
    assert cleared["entries"] == []


async def test_clock_set_and_refusal_to_go_back(emulator: Emulator, http: ClientSession) -> None:
    target = emulator.clock.now() + 7200
    _, answer = await admin(http, emulator, "POST", "/clock", {"set": target})
    assert answer["now"] >= target
    status, answer = await admin(http, emulator, "POST", "/clock", {"advance": -5})
    assert status == 400


async def test_site_state_is_settable(api: Api, emulator: Emulator, http: ClientSession) -> None:
    status, site = await admin(
        http, emulator, "PATCH", f"/sites/{SITE}", {"grid_up": False, "percentage_charged": 80}
    )
    assert (status, site["grid_up"]) == (200, False)
    _, live = await api.get(f"/energy_sites/{SITE}/live_status")
    assert live["response"]["island_status"] == "off_grid"
    status, _ = await admin(http, emulator, "PATCH", f"/sites/{SITE}", {"solar_peak_w": 1})
    assert status == 400
    status, _ = await admin(http, emulator, "GET", "/sites/1")
    assert status == 404


async def test_vehicle_state_is_settable(emulator: Emulator, http: ClientSession) -> None:
    status, car = await admin(
        http, emulator, "PATCH", f"/vehicles/{M3}", {"battery_level": 20, "power_state": "asleep"}
    )
    assert (status, car["battery_level"], car["state"]) == (200, 20, "asleep")
    status, _ = await admin(http, emulator, "PATCH", f"/vehicles/{M3}", {"vin": "X"})
    assert status == 400
    status, _ = await admin(http, emulator, "GET", "/vehicles/NOPE")
    assert status == 404


async def test_events_reject_unknown_kinds_and_targets(
    emulator: Emulator, http: ClientSession
) -> None:
    assert (await admin(http, emulator, "POST", f"/events/{M3}", {"kind": "fly"}))[0] == 400
    assert (await admin(http, emulator, "POST", "/events/NOPE", {"kind": "plug_in"}))[0] == 404
    status, _ = await admin(http, emulator, "POST", f"/events/{SITE}", {"kind": "grid_outage"})
    assert status == 200
    assert emulator.site(SITE).grid_up is False


async def test_settings_and_tokens(emulator: Emulator, http: ClientSession) -> None:
    _, settings = await admin(http, emulator, "POST", "/settings", {"auto_approve": True})
    assert settings["auto_approve"] is True
    assert emulator.auto_approve is True
    assert (await admin(http, emulator, "POST", "/tokens", {"account_id": "nobody"}))[0] == 404
    assert (await admin(http, emulator, "POST", "/accounts/nobody/revoke"))[0] == 404


async def test_keys_only_for_signing_cars_and_hosted_keys(
    emulator: Emulator, http: ClientSession
) -> None:
    status, _ = await admin(http, emulator, "POST", f"/vehicles/{M3}/keys", {"public_key": "x"})
    assert status == 404
    status, _ = await admin(http, emulator, "POST", "/hosted_keys", {"domain": "A.example"})
    assert status == 400
    status, _ = await admin(
        http, emulator, "POST", "/hosted_keys", {"domain": "A.example", "public_key": "04ab"}
    )
    assert status == 200
    assert emulator.hosted_keys == {"a.example": "04ab"}


@pytest.mark.parametrize(
    ("peer", "allowed"), [("127.0.0.1", True), ("::1", True), ("10.0.0.5", False)]
)
async def test_admin_answers_loopback_clients_only(peer: str, allowed: bool) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response({"ok": True})

    transport = Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        (peer, 1234) if name == "peername" else default
    )
    request = make_mocked_request("GET", "/_emulator/state", transport=transport)
    response = await _loopback_only(handler)(request)
    assert response.status == (200 if allowed else 403)
