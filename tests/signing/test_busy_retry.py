"""A busy or waking car is asked again, as Tesla's reference does, and never read as success.

Reference (teslamotors/vehicle-command): WAIT is ErrBusy (pkg/protocol/error.go:254-258);
BUSY, TIMEOUT, INTERNAL and TIME_TO_LIVE_TOO_LONG are temporary (error.go:200-220); VCSEC's
own WAIT too (pkg/vehicle/vcsec.go:50-51); retried every second (pkg/connector/inet/inet.go:
194-196) until the proxy's 10 s timeout (pkg/proxy/proxy.go:30).
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
import pytest
from tesla_protocol.command import universal_message_pb2 as um

from custom_components.tesla_fleet_direct.api.signing import VehicleBusyError, VehicleSigner

from .conftest import VIN, FakeClock, SigningServer, Transport


class Sleeper:
    """Waits on the shared virtual clock and remembers how long."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.now += seconds


class Counting:
    """The transport, counting the messages sent to the car."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.sent = 0

    async def __call__(self, message: str) -> str:
        self.sent += 1
        return await self.transport(message)


@pytest.fixture
def sleeper(clock: FakeClock) -> Sleeper:
    """The signer's wait between attempts."""
    return Sleeper(clock)


@pytest.fixture
def counting(transport: Transport) -> Counting:
    """The transport the signer uses in these tests."""
    return Counting(transport)


@pytest.fixture
def patient(
    app_key: ec.EllipticCurvePrivateKey,
    counting: Counting,
    clock: FakeClock,
    sleeper: Sleeper,
    server: SigningServer,
) -> VehicleSigner:
    """A signer whose key is paired, waiting on virtual time."""
    server.car.security.pair(_pem(app_key))
    return VehicleSigner(VIN, app_key, counting, clock=clock, sleep=sleeper)


def _pem(key: ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


async def test_wait_answer_is_retried_not_taken_for_success(
    patient: VehicleSigner, server: SigningServer, sleeper: Sleeper
) -> None:
    """A WAIT to the command itself: asked again until the car runs it, once."""
    assert (await patient.execute("auto_conditioning_start")).result
    server.car.security.inject_fault("wait", count=2, domain=um.DOMAIN_INFOTAINMENT)
    outcome = await patient.execute("set_charge_limit", {"percent": 85})
    assert outcome.result
    assert server.car.charge_limit == 85
    assert sleeper.waits == [1.0, 1.0]
    assert [name for name, _ in server.car.applied].count("set_charge_limit") == 1


@pytest.mark.parametrize("fault", ["busy", "timeout", "internal", "time_to_live_too_long"])
async def test_transient_faults_are_retried(
    patient: VehicleSigner, server: SigningServer, sleeper: Sleeper, counting: Counting, fault: str
) -> None:
    """Faults the reference calls temporary, on the handshake and the command alike."""
    server.car.security.inject_fault(fault, count=3)
    assert (await patient.execute("door_unlock")).result
    assert server.car.locked is False
    assert sleeper.waits == [1.0, 1.0, 1.0]
    assert counting.sent == 3 + 2  # three refused, then handshake and command
    assert server.car.applied == [("door_unlock", {})]


async def test_vcsec_busy_answer_is_retried(
    patient: VehicleSigner, server: SigningServer, sleeper: Sleeper
) -> None:
    """VCSEC's application-layer WAIT (busy with another request) is not a failure either."""
    server.car.security.inject_fault("vcsec_wait", count=2)
    assert (await patient.execute("door_unlock")).result
    assert server.car.locked is False
    assert sleeper.waits == [1.0, 1.0]
    assert server.car.applied == [("door_unlock", {})]


async def test_a_car_busy_for_good_ends_in_a_clear_error(
    patient: VehicleSigner, server: SigningServer, sleeper: Sleeper, counting: Counting
) -> None:
    """After 10 s of retries the caller hears the car stayed busy; nothing ran."""
    assert (await patient.execute("flash_lights")).result
    server.car.security.inject_fault("wait", count=100)
    sent = counting.sent
    with pytest.raises(VehicleBusyError, match=r"OPERATIONSTATUS_WAIT.*after 10 s"):
        await patient.execute("set_charge_limit", {"percent": 60})
    assert sum(sleeper.waits) == 10.0
    assert counting.sent - sent == 11
    assert server.car.charge_limit == 80
    # The car was never out of step: the next command needs no new handshake.
    server.car.security.clear_faults()
    handshakes = patient.handshakes
    assert (await patient.execute("set_charge_limit", {"percent": 60})).result
    assert patient.handshakes == handshakes
