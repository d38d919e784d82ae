"""The state file: an emulator restarted on it still honours what it issued before."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import json
from pathlib import Path
import signal
import sys
from typing import Any

from aiohttp import ClientSession
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from freezegun.api import FrozenDateTimeFactory

from custom_components.tesla_fleet_direct.api.signing import VehicleSigner
from fleet_emulator import Emulator
from fleet_emulator.telemetry import AppConfig

from .conftest import M3, MY, OWNER, SITE, Api

REFRESH = {"grant_type": "refresh_token", "client_id": "tfd-client"}
STARTUP_TIMEOUT_S = 30


@contextlib.asynccontextmanager
async def running(state: Path, **options: Any) -> AsyncIterator[Emulator]:
    """An emulator on a free port, keeping its state in `state`; stopped (and saved) after."""
    emu = Emulator(state_file=state, **options)
    await emu.start("127.0.0.1", 0)
    try:
        yield emu
    finally:
        await emu.stop()


async def refresh(emu: Emulator, http: ClientSession, token: str) -> tuple[int, dict[str, Any]]:
    async with http.post(
        f"{emu.url}/oauth2/v3/token", data={**REFRESH, "refresh_token": token}
    ) as response:
        return response.status, await response.json()


async def test_restart_keeps_the_sign_in(tmp_path: Path, http: ClientSession) -> None:
    state = tmp_path / "state.json"
    async with running(state) as first:
        minted = first.mint_tokens(OWNER)
        status, current = await refresh(first, http, minted["refresh_token"])
        assert status == 200

    async with running(state) as second:
        assert second.restored
        api = Api(second, http, current["access_token"])
        status, body = await api.get("/vehicles")
        assert status == 200
        assert {car["vin"] for car in body["response"]} == {M3, MY}
        # The token rotated away before the restart is still refused, and seen as a reuse.
        status, body = await refresh(second, http, minted["refresh_token"])
        assert (status, body["error"]) == (401, "login_required")
        assert [reuse.account_id for reuse in second.tokens.reuses] == [OWNER]
        status, rotated = await refresh(second, http, current["refresh_token"])
        assert status == 200
        assert (await Api(second, http, rotated["access_token"]).get("/vehicles"))[0] == 200


async def test_a_rotated_token_is_on_disk_before_the_client_has_it(
    tmp_path: Path, http: ClientSession
) -> None:
    state = tmp_path / "state.json"
    async with running(state) as first:
        minted = first.mint_tokens(OWNER)
        first.save_state()
        status, current = await refresh(first, http, minted["refresh_token"])
        assert status == 200
        # A crash now (no stop, no periodic save yet) must not lose the new token.
        crashed_copy = tmp_path / "copy.json"
        crashed_copy.write_bytes(state.read_bytes())
    async with running(crashed_copy) as second:
        assert (await refresh(second, http, current["refresh_token"]))[0] == 200


async def test_restart_keeps_partner_registration_and_hosted_keys(
    tmp_path: Path, http: ClientSession
) -> None:
    state = tmp_path / "state.json"
    async with running(state) as first:
        async with http.post(
            f"{first.url}/_emulator/hosted_keys",
            json={"domain": "ha.example.org", "public_key": "04abcdef"},
        ) as response:
            assert response.status == 200
        async with http.post(
            f"{first.url}/oauth2/v3/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "tfd-client",
                "client_secret": "tfd-secret",
                "scope": "openid vehicle_device_data",
                "audience": first.base_url("na"),
            },
        ) as response:
            partner_token = (await response.json())["access_token"]
        partner = Api(first, http, partner_token)
        assert (await partner.post("/partner_accounts", {"domain": "ha.example.org"}))[0] == 200

    async with running(state) as second:
        partner = Api(second, http, partner_token)
        status, body = await partner.get("/partner_accounts/public_key?domain=ha.example.org")
        assert (status, body["response"]) == (200, {"public_key": "04abcdef"})


async def test_restart_keeps_pairing_and_the_signed_session(
    tmp_path: Path, http: ClientSession
) -> None:
    state = tmp_path / "state.json"
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    current: list[Emulator] = []

    async def transport(message: str) -> str:
        emu = current[0]
        async with http.post(
            f"{emu.base_url('na')}/api/1/vehicles/{MY}/signed_command",
            json={"routable_message": message},
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            assert response.status == 200
            return str((await response.json())["response"])

    def clock() -> float:
        return current[0].clock.now()

    signer = VehicleSigner(MY, key, transport, clock=clock)
    async with running(state) as first:
        current.append(first)
        token = first.mint_tokens(OWNER)["access_token"]
        async with http.post(
            f"{first.url}/_emulator/vehicles/{MY}/keys",
            json={"public_key": pem.decode(), "role": "owner"},
        ) as response:
            assert response.status == 200
        assert (await signer.execute("door_unlock")).result is True

    async with running(state) as second:
        current[0] = second
        assert (await signer.execute("door_lock")).result is True
        assert second.vehicle(MY).locked is True
        # Same car keys, epoch and counters: the signer's session goes on, no new handshake.
        assert [entry.endpoint for entry in second.ledger.entries] == ["signed_command"]


async def test_restart_keeps_the_simulation_and_the_clock(
    tmp_path: Path, http: ClientSession
) -> None:
    state = tmp_path / "state.json"
    async with running(state) as first:
        api = Api(first, http, first.mint_tokens(OWNER)["access_token"])
        assert (await api.command(M3, "set_charge_limit", percent=65))[0] == 200
        assert (await api.command(M3, "door_unlock"))[0] == 200
        first.advance(2 * 3600)
        status, _ = await api.post(f"/energy_sites/{SITE}/backup", {"backup_reserve_percent": 42})
        assert status == 200
        offset = first.clock.offset
        odometer = first.vehicle(M3).odometer

    async with running(state) as second:
        assert second.clock.offset == offset
        car = second.vehicle(M3)
        assert (car.charge_limit_soc, car.locked, car.odometer) == (65, False, odometer)
        assert second.site(SITE).backup_reserve_percent == 42


async def test_restart_keeps_the_cars_streaming_configuration(
    tmp_path: Path, http: ClientSession
) -> None:
    """A car that took a telemetry configuration still holds it after a restart (it streams)."""
    state = tmp_path / "state.json"
    claims = {"hostname": "t.example", "port": 443, "fields": {"Locked": {"interval_seconds": 1}}}
    async with running(state) as first:
        car = first.telemetry.car(MY)
        car.configs["tfd-client"] = AppConfig(claims, 1.0, accepted=True, trusted=True, synced=True)
        car.other_apps = 2
        first.save_state()

    async with running(state) as second:
        kept = second.telemetry.car(MY)
        assert kept.other_apps == 2
        config = kept.configs["tfd-client"]
        assert (config.claims, config.accepted, config.trusted, config.synced) == (
            claims,
            True,
            True,
            True,
        )
        assert M3 not in second.telemetry.cars or not second.telemetry.car(M3).configs


async def test_events_due_while_stopped_happen_on_restart(
    tmp_path: Path, freezer: FrozenDateTimeFactory
) -> None:
    state = tmp_path / "state.json"
    scenario_file = tmp_path / "scenario.json"
    scenario_file.write_text(
        json.dumps({"events": [{"kind": "plug_in", "vin": M3, "at": "+600"}]}), encoding="utf-8"
    )
    first = Emulator(scenario_file, state_file=state)
    first.vehicle(M3).battery_level = 40.0
    first.save_state()
    assert not first.vehicle(M3).plugged_in

    freezer.tick(3600)
    second = Emulator(scenario_file, state_file=state)
    car = second.vehicle(M3)
    # The plug-in ten minutes after the first start happened, and the car charged since.
    assert car.plugged_in
    assert car.battery_level > 40.0
    # Relative times stay anchored at the first start: the event is not due again.
    assert second.world.pending == []


async def test_fresh_forgets_and_replaces_the_state(tmp_path: Path, http: ClientSession) -> None:
    state = tmp_path / "state.json"
    async with running(state) as first:
        tokens = first.mint_tokens(OWNER)
        first.hosted_keys["ha.example.org"] = "04abcdef"

    async with running(state, fresh=True) as second:
        assert not second.restored
        assert second.hosted_keys == {}
        assert (await Api(second, http, tokens["access_token"]).get("/vehicles"))[0] == 401
        assert (await refresh(second, http, tokens["refresh_token"]))[0] == 401
    # The fresh state replaced the old one: the tokens stay gone after another restart.
    async with running(state) as third:
        assert third.restored
        assert (await refresh(third, http, tokens["refresh_token"]))[0] == 401


def test_unreadable_state_file_is_moved_aside(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"version": 0}', encoding="utf-8")
    emu = Emulator(state_file=state)
    assert not emu.restored
    assert not state.exists()
    assert (tmp_path / "state.json.unreadable").read_text(encoding="utf-8") == '{"version": 0}'
    emu.save_state()
    assert json.loads(state.read_text(encoding="utf-8"))["version"] == 1
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".tmp")] == []


async def start_cli(state: Path, *extra: str) -> tuple[asyncio.subprocess.Process, str, str]:
    """`python -m fleet_emulator --state FILE` on a free port; its URL and what it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fleet_emulator",
        "--port",
        "0",
        "--state",
        str(state),
        *extra,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    lines: list[str] = []
    async with asyncio.timeout(STARTUP_TIMEOUT_S):
        while not any(line.startswith("  Account:") for line in lines):
            lines.append((await process.stdout.readline()).decode())
    url = lines[0].removeprefix("Fleet API emulator on ").strip()
    return process, url, "".join(lines)


async def test_cli_state_survives_ctrl_c(
    tmp_path: Path, http: ClientSession, socket_enabled: None
) -> None:
    state = tmp_path / "state.json"
    process, url, output = await start_cli(state)
    try:
        assert f"State file:       {state} (new)" in output
        async with http.post(f"{url}/_emulator/tokens", json={}) as response:
            tokens = await response.json()
    finally:
        process.send_signal(signal.SIGINT)
        assert await process.wait() == 0

    process, url, output = await start_cli(state)
    try:
        assert "(restored)" in output
        async with http.post(
            f"{url}/oauth2/v3/token", data={**REFRESH, "refresh_token": tokens["refresh_token"]}
        ) as response:
            assert response.status == 200
    finally:
        process.terminate()
        await process.wait()

    process, url, output = await start_cli(state, "--fresh")
    try:
        assert "(new)" in output
        async with http.post(
            f"{url}/oauth2/v3/token", data={**REFRESH, "refresh_token": tokens["refresh_token"]}
        ) as response:
            assert response.status == 401
    finally:
        process.terminate()
        await process.wait()
