"""Client against the emulator's car side over real HTTP: pairing, commands, every rejection."""

from __future__ import annotations

import base64

from aiohttp import ClientSession
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
import pytest
from tesla_protocol.command import universal_message_pb2 as um

from custom_components.tesla_fleet_direct.api.signing import (
    KeyNotPairedError,
    ResponseVerificationError,
    SessionSyncError,
    SignedCommands,
    VehicleSigner,
)

from .conftest import VIN, FakeClock, SigningServer, Transport


def _pem(key: ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


async def _pair(
    http: ClientSession, server: SigningServer, key: ec.EllipticCurvePrivateKey, role: str = "owner"
) -> None:
    async with http.post(
        f"{server.url}/admin/vehicles/{VIN}/keys", json={"public_key": _pem(key), "role": role}
    ) as response:
        assert response.status == 200


async def _unpair(
    http: ClientSession, server: SigningServer, key: ec.EllipticCurvePrivateKey
) -> None:
    async with http.delete(
        f"{server.url}/admin/vehicles/{VIN}/keys", json={"public_key": _pem(key)}
    ) as response:
        assert response.status == 200


async def test_paired_key_runs_commands_in_both_domains(
    signer: VehicleSigner,
    server: SigningServer,
    http: ClientSession,
    app_key: ec.EllipticCurvePrivateKey,
) -> None:
    """After pairing, a VCSEC and an infotainment command run; sessions are reused."""
    await _pair(http, server, app_key)
    outcome = await signer.execute("door_unlock")
    assert outcome.result
    assert server.car.locked is False
    assert (await signer.execute("auto_conditioning_start")).result
    assert server.car.climate_on
    assert (await signer.execute("door_lock")).result
    assert server.car.locked
    # One handshake per domain, none for the third command.
    assert signer.handshakes == 2


async def test_application_failure_reason_reaches_the_caller(
    signer: VehicleSigner,
    server: SigningServer,
    http: ClientSession,
    app_key: ec.EllipticCurvePrivateKey,
) -> None:
    """A command the car refuses comes back as result false with the car's reason."""
    await _pair(http, server, app_key)
    outcome = await signer.execute("set_charge_limit", {"percent": 20})
    assert not outcome.result
    assert outcome.reason == "invalid charge limit"
    assert server.car.charge_limit == 80
    assert (await signer.execute("set_charge_limit", {"percent": 90})).result
    assert server.car.charge_limit == 90


async def test_unpaired_key_is_rejected_at_handshake(
    signer: VehicleSigner, server: SigningServer
) -> None:
    """Without pairing the car refuses the session; nothing runs."""
    with pytest.raises(KeyNotPairedError):
        await signer.execute("door_unlock")
    assert server.car.applied == []


async def test_key_removed_from_car_is_reported_as_not_paired(
    signer: VehicleSigner,
    server: SigningServer,
    http: ClientSession,
    app_key: ec.EllipticCurvePrivateKey,
) -> None:
    """A key deleted in the car after the handshake gets UNKNOWN_KEY_ID, not a retry loop."""
    await _pair(http, server, app_key)
    assert (await signer.execute("door_unlock")).result
    await _unpair(http, server, app_key)
    with pytest.raises(KeyNotPairedError):
        await signer.execute("door_lock")
    assert server.car.locked is False


async def test_monitor_role_cannot_command(
    signer: VehicleSigner,
    server: SigningServer,
    http: ClientSession,
    app_key: ec.EllipticCurvePrivateKey,
) -> None:
    """A read-only key authenticates, but the car refuses to act for it."""
    await _pair(http, server, app_key, role="vehicle_monitor")
    outcome = await signer.execute("door_unlock")
    assert not outcome.result
    assert outcome.reason == "unauthorized"
    assert server.car.locked


async def test_replayed_message_is_rejected(
    server: SigningServer,
    http: ClientSession,
    app_key: ec.EllipticCurvePrivateKey,
    transport: Transport,
    clock: FakeClock,
) -> None:
    """Sending the same signed bytes twice runs the command once; the copy gets a counter fault."""
    sent: list[str] = []

    async def recording(message: str) -> str:
        sent.append(message)
        return await transport(message)

    signer = VehicleSigner(VIN, app_key, recording, clock=clock)
    await _pair(http, server, app_key)
    assert (await signer.execute("door_unlock")).result
    server.car.locked = True
    answer = um.RoutableMessage.FromString(base64.b64decode(await transport(sent[-1])))
    assert answer.signedMessageStatus.signed_message_fault == (
        um.MESSAGEFAULT_ERROR_INVALID_TOKEN_OR_COUNTER
    )
    assert server.car.locked
    assert [name for name, _ in server.car.applied] == ["door_unlock"]


async def test_client_recovers_from_lost_counter_without_new_handshake(
    signer: VehicleSigner,
    server: SigningServer,
    http: ClientSession,
    app_key: ec.EllipticCurvePrivateKey,
) -> None:
    """A client whose counter fell behind adopts the car's session info from the fault."""
    await _pair(http, server, app_key)
    assert (await signer.execute("auto_conditioning_start")).result
    session = signer.session(um.DOMAIN_INFOTAINMENT)
    session.counter = 0  # e.g. restored from an old cache
    assert (await signer.execute("set_charge_limit", {"percent": 85})).result
    assert server.car.charge_limit == 85
    assert signer.handshakes == 1


async def test_client_recovers_from_new_epoch(
    signer: VehicleSigner,
    server: SigningServer,
    http: ClientSession,
    app_key: ec.EllipticCurvePrivateKey,
) -> None:
    """After the car's VCSEC restarts (new epoch) the next command still runs."""
    await _pair(http, server, app_key)
    assert (await signer.execute("door_unlock")).result
    server.car.security.reboot(um.DOMAIN_VEHICLE_SECURITY)
    assert (await signer.execute("door_lock")).result
    assert server.car.locked


async def test_expired_command_is_rejected_then_recovered(
    server: SigningServer,
    http: ClientSession,
    app_key: ec.EllipticCurvePrivateKey,
    transport: Transport,
    clock: FakeClock,
) -> None:
    """A client clock running slow signs already-expired commands; the car's answer fixes it."""
    client_clock = FakeClock()
    signer = VehicleSigner(VIN, app_key, transport, clock=client_clock)
    await _pair(http, server, app_key)
    assert (await signer.execute("door_unlock")).result
    # The car's clock moves on an hour; the client's does not (suspended host, bad NTP).
    clock.now += 3600
    assert (await signer.execute("door_lock")).result
    assert server.car.locked
    assert [name for name, _ in server.car.applied] == ["door_unlock", "door_lock"]


async def test_tampered_request_is_rejected_and_retried_once(
    server: SigningServer,
    http: ClientSession,
    app_key: ec.EllipticCurvePrivateKey,
    transport: Transport,
    clock: FakeClock,
) -> None:
    """A payload changed in transit fails the car's MAC; only the honest retry runs."""
    tamper = {"left": 1}

    async def meddling(message: str) -> str:
        routable = um.RoutableMessage.FromString(base64.b64decode(message))
        if routable.HasField("protobuf_message_as_bytes") and tamper["left"]:
            tamper["left"] -= 1
            routable.protobuf_message_as_bytes = routable.protobuf_message_as_bytes.replace(
                b"\x08\x5a", b"\x08\x64"
            )
            message = base64.b64encode(routable.SerializeToString()).decode()
        return await transport(message)

    signer = VehicleSigner(VIN, app_key, meddling, clock=clock)
    await _pair(http, server, app_key)
    assert (await signer.execute("set_charge_limit", {"percent": 90})).result
    assert server.car.charge_limit == 90
    assert server.car.applied == [("set_charge_limit", {"percent": 90})]


async def test_persistent_forgery_gives_up_after_one_retry(
    server: SigningServer,
    http: ClientSession,
    app_key: ec.EllipticCurvePrivateKey,
    transport: Transport,
    clock: FakeClock,
) -> None:
    """When every command is altered, the client stops after one recovery and says so."""

    async def forging(message: str) -> str:
        routable = um.RoutableMessage.FromString(base64.b64decode(message))
        if routable.HasField("protobuf_message_as_bytes"):
            routable.signature_data.HMAC_Personalized_data.tag = bytes(32)
            message = base64.b64encode(routable.SerializeToString()).decode()
        return await transport(message)

    signer = VehicleSigner(VIN, app_key, forging, clock=clock)
    await _pair(http, server, app_key)
    with pytest.raises(SessionSyncError, match="INVALID_SIGNATURE"):
        await signer.execute("door_unlock")
    assert server.car.applied == []


async def test_tampered_response_is_not_trusted(
    server: SigningServer,
    http: ClientSession,
    app_key: ec.EllipticCurvePrivateKey,
    transport: Transport,
    clock: FakeClock,
) -> None:
    """An encrypted answer altered on the way back fails authentication."""

    async def flipping(message: str) -> str:
        answer = um.RoutableMessage.FromString(base64.b64decode(await transport(message)))
        if answer.signature_data.HasField("AES_GCM_Response_data"):
            answer.signature_data.AES_GCM_Response_data.counter += 1
        return base64.b64encode(answer.SerializeToString()).decode()

    signer = VehicleSigner(VIN, app_key, flipping, clock=clock)
    await _pair(http, server, app_key)
    with pytest.raises(ResponseVerificationError):
        await signer.execute("door_unlock")


async def test_bad_requests_to_the_endpoints(server: SigningServer, http: ClientSession) -> None:
    """Malformed bodies get 400s; undecodable protobuf gets the protocol's decoding fault."""
    url = f"{server.url}/api/1/vehicles/{VIN}/signed_command"
    async with http.post(url, json={}) as response:
        assert response.status == 400
    async with http.post(url, json={"routable_message": "***"}) as response:
        assert response.status == 400
    async with http.post(url, json={"routable_message": "/w=="}) as response:
        body = await response.json()
    answer = um.RoutableMessage.FromString(base64.b64decode(body["response"]))
    assert answer.signedMessageStatus.signed_message_fault == um.MESSAGEFAULT_ERROR_DECODING
    async with http.post(
        f"{server.url}/admin/vehicles/{VIN}/keys", json={"public_key": "not a key"}
    ) as response:
        assert response.status == 400


async def test_account_manager_keeps_one_signer_per_car(
    server: SigningServer,
    http: ClientSession,
    app_key: ec.EllipticCurvePrivateKey,
    transport: Transport,
    clock: FakeClock,
) -> None:
    """Sessions survive between commands through the manager; forget() starts afresh."""
    vins: list[str] = []

    def transport_for(vin: str) -> Transport:
        vins.append(vin)
        return transport

    manager = SignedCommands(app_key, transport_for, clock=clock)
    await _pair(http, server, app_key)
    assert (await manager.execute(VIN, "door_unlock")).result
    assert (await manager.execute(VIN, "door_lock")).result
    assert manager.signer(VIN).handshakes == 1
    manager.forget(VIN)
    assert (await manager.execute(VIN, "door_unlock")).result
    assert manager.signer(VIN).handshakes == 1
    assert vins == [VIN, VIN]
