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
    error_for_fault,
)
from .session import Session, SignedRequest

_LOGGER = logging.getLogger(__name__)

# Posts a base64 RoutableMessage to `signed_command` and returns the car's base64 answer.
type Transport = Callable[[str], Awaitable[str]]


class VehicleSigner:
    """One per car; keeps a session per domain for as long as the car keeps it."""

    def __init__(
        self,
        vin: str,
        private_key: ec.EllipticCurvePrivateKey,
        transport: Transport,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Bind the signer to a car, our key, and the way messages reach the car."""
        self.vin = vin
        self._private_key = private_key
        self._transport = transport
        self._clock = clock
        self._sessions: dict[int, Session] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self.handshakes = 0

    def session(self, domain: int) -> Session:
        """The (possibly not yet established) session with one domain."""
        if domain not in self._sessions:
            self._sessions[domain] = Session(self.vin, domain, self._private_key, clock=self._clock)
        return self._sessions[domain]

    async def execute(self, command: str, params: Params | None = None) -> CommandOutcome:
        """Run a REST-named command over the signed path; raises SigningError subclasses."""
        encoded = encode_command(command, params)
        session = self.session(encoded.domain)
        # VCSEC wants counters in order and the session state is shared: one at a time.
        async with self._locks.setdefault(encoded.domain, asyncio.Lock()):
            if not session.established:
                await self._handshake(session)
            try:
                return await self._send(session, encoded.payload)
            except SessionSyncError as err:
                # The protocol allows one recovery: resynchronise, then try once more.
                _LOGGER.debug("Signed session for domain %s out of step: %s", session.domain, err)
                if not session.established:
                    await self._handshake(session)
                return await self._send(session, encoded.payload)

    async def _handshake(self, session: Session) -> None:
        request = session.handshake_request()
        response = await self._roundtrip(request)
        self._raise_for_fault(response)
        session.accept_session_info(response, request.uuid)
        self.handshakes += 1

    async def _send(self, session: Session, payload: bytes) -> CommandOutcome:
        request = session.sign(payload)
        response = await self._roundtrip(request.message)
        if response.signedMessageStatus.signed_message_fault:
            self._resync(session, request, response)
            self._raise_for_fault(response)
        if response.from_destination.domain != session.domain:
            raise ResponseVerificationError("response from another domain")
        return decode_outcome(session.domain, session.open_response(request, response))

    @staticmethod
    def _resync(session: Session, request: SignedRequest, response: um.RoutableMessage) -> None:
        """Adopt session info the car attached to a fault, or drop the session entirely."""
        fault = response.signedMessageStatus.signed_message_fault
        if not isinstance(error_for_fault(fault), SessionSyncError):
            return
        if response.HasField("session_info"):
            try:
                session.accept_session_info(response, request.message.uuid)
            except ResponseVerificationError:
                session.invalidate()
            else:
                return
        session.invalidate()

    @staticmethod
    def _raise_for_fault(response: um.RoutableMessage) -> None:
        fault = response.signedMessageStatus.signed_message_fault
        if fault:
            raise error_for_fault(fault)

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
