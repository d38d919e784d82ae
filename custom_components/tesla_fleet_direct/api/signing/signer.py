"""Sends signed commands to one car: handshakes per domain, signs, verifies, recovers."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable
import logging
import time

from cryptography.hazmat.primitives.asymmetric import ec
from tesla_protocol.command import universal_message_pb2 as um

from .commands import CommandOutcome, Params, decode_outcome, encode_command
from .errors import (
    DecodeError,
    ResponseVerificationError,
    SessionSyncError,
    SigningError,
    VehicleBusyError,
    error_for_fault,
)
from .session import Session, SignedRequest

_LOGGER = logging.getLogger(__name__)

# Posts a base64 RoutableMessage to `signed_command` and returns the car's base64 answer.
type Transport = Callable[[str], Awaitable[str]]
type Sleep = Callable[[float], Awaitable[None]]

# A busy or waking car (WAIT, or a BUSY/TIMEOUT/INTERNAL/TIME_TO_LIVE_TOO_LONG fault) is asked
# again every second, as the reference does over Fleet API (teslamotors/vehicle-command
# pkg/connector/inet/inet.go:194-196 RetryInterval; pkg/vehicle/vehicle.go:236-257), until its
# HTTP proxy's default command timeout of 10 s (pkg/proxy/proxy.go:30) is spent.
RETRY_INTERVAL_S = 1.0
RETRY_BUDGET_S = 10.0


class VehicleSigner:
    """One per car; keeps a session per domain for as long as the car keeps it."""

    def __init__(
        self,
        vin: str,
        private_key: ec.EllipticCurvePrivateKey,
        transport: Transport,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        retry_budget: float = RETRY_BUDGET_S,
    ) -> None:
        """Bind the signer to a car, our key, and the way messages reach the car."""
        self.vin = vin
        self._private_key = private_key
        self._transport = transport
        self._clock = clock
        self._sleep = sleep
        self._retry_budget = retry_budget
        self._sessions: dict[int, Session] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self.handshakes = 0

    def session(self, domain: int) -> Session:
        """The (possibly not yet established) session with one domain."""
        if domain not in self._sessions:
            self._sessions[domain] = Session(self.vin, domain, self._private_key, clock=self._clock)
        return self._sessions[domain]

    async def execute(self, command: str, params: Params | None = None) -> CommandOutcome:
        """Run a REST-named command over the signed path; raises SigningError subclasses.

        A car that answers "busy" is asked again within the retry budget; past it,
        VehicleBusyError. The budget counts the scheduled waits, not a clock.
        """
        encoded = encode_command(command, params, now=self._clock)
        session = self.session(encoded.domain)
        # VCSEC wants counters in order and the session state is shared: one at a time.
        async with self._locks.setdefault(encoded.domain, asyncio.Lock()):
            waited = 0.0
            while True:
                try:
                    return await self._attempt(session, encoded.payload)
                except VehicleBusyError as err:
                    if waited >= self._retry_budget:
                        raise VehicleBusyError(
                            f"{err}: still busy after {waited:g} s of retries"
                        ) from err
                    _LOGGER.debug("Car busy (%s); %s again in %g s", err, command, RETRY_INTERVAL_S)
                    step = min(RETRY_INTERVAL_S, self._retry_budget - waited)
                    await self._sleep(step)
                    waited += step

    async def _attempt(self, session: Session, payload: bytes) -> CommandOutcome:
        if not session.established:
            await self._handshake(session)
        try:
            return await self._send(session, payload)
        except SessionSyncError as err:
            # The protocol allows one recovery: resynchronise, then try once more.
            _LOGGER.debug("Signed session for domain %s out of step: %s", session.domain, err)
            if not session.established:
                await self._handshake(session)
            return await self._send(session, payload)

    async def _handshake(self, session: Session) -> None:
        request = session.handshake_request()
        response = await self._roundtrip(request)
        self._raise_for_status(response)
        session.accept_session_info(response, request.uuid)
        self.handshakes += 1

    async def _send(self, session: Session, payload: bytes) -> CommandOutcome:
        request = session.sign(payload)
        response = await self._roundtrip(request.message)
        if response.signedMessageStatus.signed_message_fault:
            self._adopt_session_info(session, request, response)
        self._raise_for_status(response)
        if response.from_destination.domain != session.domain:
            raise ResponseVerificationError("response from another domain")
        return decode_outcome(session.domain, session.open_response(request, response))

    @staticmethod
    def _adopt_session_info(
        session: Session, request: SignedRequest, response: um.RoutableMessage
    ) -> None:
        """Adopt session info the car attached to a fault, or drop a session out of step."""
        if response.HasField("session_info"):
            try:
                session.accept_session_info(response, request.message.uuid)
            except SigningError:
                session.invalidate()
            return
        fault = response.signedMessageStatus.signed_message_fault
        if isinstance(error_for_fault(fault), SessionSyncError):
            session.invalidate()

    @staticmethod
    def _raise_for_status(response: um.RoutableMessage) -> None:
        status = response.signedMessageStatus
        if status.signed_message_fault:
            raise error_for_fault(status.signed_message_fault)
        # WAIT carries no answer: the car is busy or still waking (pkg/protocol/error.go:254-258).
        if status.operation_status == um.OPERATIONSTATUS_WAIT:
            raise VehicleBusyError("OPERATIONSTATUS_WAIT")

    async def _roundtrip(self, message: um.RoutableMessage) -> um.RoutableMessage:
        encoded = base64.b64encode(message.SerializeToString()).decode()
        answer = await self._transport(encoded)
        response = um.RoutableMessage()
        try:
            response.ParseFromString(base64.b64decode(answer, validate=True))
        except (DecodeError, binascii.Error, ValueError) as err:
            raise ResponseVerificationError("undecodable routable message") from err
        return response


__all__ = ["SigningError", "VehicleSigner"]
