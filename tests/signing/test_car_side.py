"""The emulator's car takes what Tesla's reference verifier takes, and the client checks answers.

Counter rules: teslamotors/vehicle-command internal/authentication/verifier.go:217-222 and
285-295, window.go, crypto.go:20-21 (30 s, 32 counters); protocol.md ("VCSEC requires that
messages arrive in counter order"; "Counter verification" for answers).
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
import pytest
from tesla_protocol.command import car_server_pb2 as cs, universal_message_pb2 as um

from custom_components.tesla_fleet_direct.api.signing import (
    ResponseVerificationError,
    encode_command,
)
from custom_components.tesla_fleet_direct.api.signing.session import Session, SignedRequest
from fleet_emulator.signing import VehicleSecurity

from .conftest import VIN, FakeClock

FLASH = encode_command("flash_lights").payload
LOCK = encode_command("door_lock").payload


class Car:
    """A signing car in-process, recording the REST commands it runs."""

    def __init__(self, clock: FakeClock, key: ec.EllipticCurvePrivateKey) -> None:
        self.security = VehicleSecurity(VIN, clock)
        self.security.pair(_point(key))
        self.applied: list[tuple[str, dict[str, Any]]] = []

    def run(self, command: str, params: dict[str, Any]) -> tuple[bool, str]:
        self.applied.append((command, params))
        return True, ""

    def send(self, message: um.RoutableMessage) -> um.RoutableMessage:
        answer = um.RoutableMessage()
        answer.ParseFromString(self.security.handle(message.SerializeToString(), self.run))
        return answer

    def session(self, domain: int, key: ec.EllipticCurvePrivateKey, clock: FakeClock) -> Session:
        session = Session(VIN, domain, key, clock=clock)
        request = session.handshake_request()
        session.accept_session_info(self.send(request), request.uuid)
        return session


def _point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


@pytest.fixture
def key() -> ec.EllipticCurvePrivateKey:
    """The app's key."""
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def car(clock: FakeClock, key: ec.EllipticCurvePrivateKey) -> Car:
    """A car with the key paired."""
    return Car(clock, key)


def _fault(answer: um.RoutableMessage) -> int:
    return int(answer.signedMessageStatus.signed_message_fault)


def test_infotainment_takes_late_messages_within_the_window(
    car: Car, key: ec.EllipticCurvePrivateKey, clock: FakeClock
) -> None:
    """Messages overtaken on the way still run, each once; a copy is refused."""
    session = car.session(um.DOMAIN_INFOTAINMENT, key, clock)
    first, second, third = (session.sign(FLASH) for _ in range(3))
    for request in (third, first, second):
        assert _fault(car.send(request.message)) == 0
    assert len(car.applied) == 3
    assert _fault(car.send(first.message)) == um.MESSAGEFAULT_ERROR_INVALID_TOKEN_OR_COUNTER
    assert len(car.applied) == 3


def test_a_late_message_must_be_about_to_expire(
    car: Car, key: ec.EllipticCurvePrivateKey, clock: FakeClock
) -> None:
    """Out of order with more than 30 s to live: TIME_TO_LIVE_TOO_LONG, not run."""
    session = car.session(um.DOMAIN_INFOTAINMENT, key, clock)
    long_lived = session.sign(FLASH, lifetime=60)
    short_lived = session.sign(FLASH, lifetime=15)
    assert _fault(car.send(short_lived.message)) == 0
    answer = car.send(long_lived.message)
    assert _fault(answer) == um.MESSAGEFAULT_ERROR_TIME_TO_LIVE_TOO_LONG
    assert answer.HasField("session_info")  # the client may resynchronise
    assert len(car.applied) == 1


def test_counters_older_than_the_window_are_refused(
    car: Car, key: ec.EllipticCurvePrivateKey, clock: FakeClock
) -> None:
    """32 counters back is remembered; 33 back cannot be told from a replay."""
    session = car.session(um.DOMAIN_INFOTAINMENT, key, clock)
    requests = [session.sign(FLASH) for _ in range(34)]
    assert _fault(car.send(requests[-1].message)) == 0
    assert _fault(car.send(requests[0].message)) == um.MESSAGEFAULT_ERROR_INVALID_TOKEN_OR_COUNTER
    assert _fault(car.send(requests[1].message)) == 0
    assert len(car.applied) == 2


def test_vcsec_wants_counters_in_order(
    car: Car, key: ec.EllipticCurvePrivateKey, clock: FakeClock
) -> None:
    """The security controller takes no late message at all."""
    session = car.session(um.DOMAIN_VEHICLE_SECURITY, key, clock)
    first, second = session.sign(LOCK), session.sign(LOCK)
    assert _fault(car.send(second.message)) == 0
    assert _fault(car.send(first.message)) == um.MESSAGEFAULT_ERROR_INVALID_TOKEN_OR_COUNTER
    assert car.applied == [("door_lock", {})]


def test_restored_car_refuses_counters_below_the_highest(
    car: Car, key: ec.EllipticCurvePrivateKey, clock: FakeClock
) -> None:
    """After a restart from the state file the car cannot tell which late counters ran."""
    session = car.session(um.DOMAIN_INFOTAINMENT, key, clock)
    late, latest = session.sign(FLASH), session.sign(FLASH)
    assert _fault(car.send(latest.message)) == 0
    car.security.restore_state(car.security.export_state())
    assert _fault(car.send(late.message)) == um.MESSAGEFAULT_ERROR_INVALID_TOKEN_OR_COUNTER


def _open(session: Session, request: SignedRequest, answer: um.RoutableMessage) -> bytes:
    assert _fault(answer) == 0
    return session.open_response(request, answer)


def test_ping_is_answered_with_its_id(
    car: Car, key: ec.EllipticCurvePrivateKey, clock: FakeClock
) -> None:
    """The reference's no-op (infotainment.go:52-70) gets its ping back and runs nothing."""
    session = car.session(um.DOMAIN_INFOTAINMENT, key, clock)
    # Action { vehicleAction(2) { ping(46) car_server.proto:58 { ping_id(1) = 7 } } }
    request = session.sign(bytes.fromhex("1205f202020807"))
    response = cs.Response.FromString(_open(session, request, car.send(request.message)))
    assert response.actionStatus.result == cs.OPERATIONSTATUS_OK
    assert response.ping.ping_id == 7
    assert car.applied == []


def test_charge_port_door_through_the_security_domain(
    car: Car, key: ec.EllipticCurvePrivateKey, clock: FakeClock
) -> None:
    """closureMoveRequest { chargePort: OPEN } (vcsec.proto:100) opens the door."""
    session = car.session(um.DOMAIN_VEHICLE_SECURITY, key, clock)
    request = session.sign(bytes.fromhex("22023803"))
    _open(session, request, car.send(request.message))
    request = session.sign(bytes.fromhex("22023804"))
    _open(session, request, car.send(request.message))
    assert car.applied == [("charge_port_door_open", {}), ("charge_port_door_close", {})]


def test_an_answer_seen_twice_is_refused(
    car: Car, key: ec.EllipticCurvePrivateKey, clock: FakeClock
) -> None:
    """The same authentic answer to one request is a replay the second time."""
    session = car.session(um.DOMAIN_INFOTAINMENT, key, clock)
    request = session.sign(FLASH)
    answer = car.send(request.message)
    assert answer.signature_data.HasField("AES_GCM_Response_data")
    _open(session, request, answer)
    with pytest.raises(ResponseVerificationError, match="replayed"):
        session.open_response(request, answer)
