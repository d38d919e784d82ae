"""Edge cases of the client's session handling, against the emulator's car side in memory."""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
import pytest
from tesla_protocol.command import signatures_pb2 as sig, universal_message_pb2 as um

from custom_components.tesla_fleet_direct.api.signing import (
    KeyNotPairedError,
    ResponseVerificationError,
    VehicleSigner,
)
from custom_components.tesla_fleet_direct.api.signing.session import Session
from fleet_emulator.signing import VehicleSecurity

from .conftest import VIN, FakeClock

INFOTAINMENT = um.DOMAIN_INFOTAINMENT


def _ok(_name: str, _params: dict[str, Any]) -> tuple[bool, str]:
    return True, ""


@pytest.fixture
def car(clock: FakeClock, app_key: ec.EllipticCurvePrivateKey) -> VehicleSecurity:
    security = VehicleSecurity(VIN, clock)
    """The car's side, in memory, with the app key paired (given as a hex point)."""
    point = app_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    security.pair(point.hex())
    return security


def _handshake(session: Session, car: VehicleSecurity) -> tuple[um.RoutableMessage, bytes]:
    request = session.handshake_request()
    answer = um.RoutableMessage.FromString(car.handle(request.SerializeToString(), _ok))
    return answer, request.uuid


def test_older_session_info_is_refused_and_counter_never_rolls_back(
    car: VehicleSecurity, app_key: ec.EllipticCurvePrivateKey, clock: FakeClock
) -> None:
    """A replayed, older session info is rejected; a newer one keeps our higher counter."""
    session = Session(VIN, INFOTAINMENT, app_key, clock=clock)
    old, old_uuid = _handshake(session, car)
    session.accept_session_info(old, old_uuid)
    clock.now += 30
    new, new_uuid = _handshake(session, car)
    session.accept_session_info(new, new_uuid)
    session.counter = 50
    with pytest.raises(ResponseVerificationError, match="older"):
        session.accept_session_info(old, old_uuid)
    clock.now += 5
    newer, newer_uuid = _handshake(session, car)
    session.accept_session_info(newer, newer_uuid)
    assert session.counter == 50
    # A new epoch (the car restarted) is the one time the counter follows the car down.
    car.reboot(INFOTAINMENT)
    fresh, fresh_uuid = _handshake(session, car)
    session.accept_session_info(fresh, fresh_uuid)
    assert session.counter == 0


def test_malformed_session_info_answers(
    car: VehicleSecurity, app_key: ec.EllipticCurvePrivateKey, clock: FakeClock
) -> None:
    """Missing, undecodable, unlisted-key and off-curve session infos never establish."""
    session = Session(VIN, INFOTAINMENT, app_key, clock=clock)
    answer, uuid = _handshake(session, car)
    empty = um.RoutableMessage()
    with pytest.raises(ResponseVerificationError, match="no session info"):
        session.accept_session_info(empty, uuid)
    garbage = um.RoutableMessage()
    garbage.CopyFrom(answer)
    garbage.session_info = b"\xff\xff\xff"
    with pytest.raises(ResponseVerificationError, match="undecodable"):
        session.accept_session_info(garbage, uuid)
    info = sig.SessionInfo.FromString(answer.session_info)
    info.status = sig.SESSION_INFO_STATUS_KEY_NOT_ON_WHITELIST
    unlisted = um.RoutableMessage()
    unlisted.session_info = info.SerializeToString()
    with pytest.raises(KeyNotPairedError):
        session.accept_session_info(unlisted, uuid)
    info.status = sig.SESSION_INFO_STATUS_OK
    info.publicKey = b"\x04" + bytes(64)
    off_curve = um.RoutableMessage()
    off_curve.session_info = info.SerializeToString()
    with pytest.raises(ResponseVerificationError, match="public key"):
        session.accept_session_info(off_curve, uuid)
    assert not session.established
    with pytest.raises(RuntimeError):
        session.sign(b"")


def test_plaintext_answer_from_older_firmware_is_read(
    car: VehicleSecurity, app_key: ec.EllipticCurvePrivateKey, clock: FakeClock
) -> None:
    """Cars before 2024.38 ignore the encrypt flag; their plaintext answer is used as is."""
    session = Session(VIN, INFOTAINMENT, app_key, clock=clock)
    session.accept_session_info(*_handshake(session, car))
    request = session.sign(b"\x12\x00")
    plain = um.RoutableMessage()
    plain.protobuf_message_as_bytes = b"\x0a\x00"
    assert session.open_response(request, plain) == b"\x0a\x00"
    session.invalidate()
    encrypted = um.RoutableMessage()
    encrypted.signature_data.AES_GCM_Response_data.counter = 1
    with pytest.raises(ResponseVerificationError):
        session.open_response(request, encrypted)


async def test_signer_refuses_foreign_domain_and_garbage(
    car: VehicleSecurity, app_key: ec.EllipticCurvePrivateKey, clock: FakeClock
) -> None:
    """An answer claiming another domain, or not base64 protobuf, is not trusted."""
    mode = {"value": "domain"}

    async def transport(message: str) -> str:
        answer = car.handle(base64.b64decode(message), _ok)
        routable = um.RoutableMessage.FromString(answer)
        if mode["value"] == "garbage":
            return "%%%"
        if routable.HasField("protobuf_message_as_bytes"):
            routable.from_destination.domain = um.DOMAIN_VEHICLE_SECURITY
        return base64.b64encode(routable.SerializeToString()).decode()

    signer = VehicleSigner(VIN, app_key, transport, clock=clock)
    with pytest.raises(ResponseVerificationError, match="another domain"):
        await signer.execute("honk_horn")
    mode["value"] = "garbage"
    with pytest.raises(ResponseVerificationError, match="undecodable"):
        await signer.execute("honk_horn")


async def test_bad_session_info_on_a_fault_means_a_fresh_handshake(
    car: VehicleSecurity, app_key: ec.EllipticCurvePrivateKey, clock: FakeClock
) -> None:
    """If the session info attached to a fault fails its tag, the client starts over."""
    corrupt = {"left": 1}

    async def transport(message: str) -> str:
        routable = um.RoutableMessage.FromString(car.handle(base64.b64decode(message), _ok))
        if routable.signedMessageStatus.signed_message_fault and corrupt["left"]:
            corrupt["left"] -= 1
            routable.signature_data.session_info_tag.tag = bytes(32)
        return base64.b64encode(routable.SerializeToString()).decode()

    signer = VehicleSigner(VIN, app_key, transport, clock=clock)
    assert (await signer.execute("honk_horn")).result
    car.reboot(INFOTAINMENT)
    assert (await signer.execute("flash_lights")).result
    assert signer.handshakes == 2
