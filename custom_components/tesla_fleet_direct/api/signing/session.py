"""Client-side state of one authenticated session with one domain of one car."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import os
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec
from tesla_protocol.command import signatures_pb2 as sig, universal_message_pb2 as um

from . import crypto, recipes
from .errors import DecodeError, KeyNotPairedError, ResponseVerificationError

# How long a signed command stays valid on the car's clock. Long enough for the cloud relay
# and a waking car, short enough that a captured command is useless soon after.
DEFAULT_LIFETIME = 15
# Commands ask the car to encrypt its answer (firmware 2024.38+; older cars ignore the bit).
REQUEST_FLAGS = 1 << um.FLAG_ENCRYPT_RESPONSE
UUID_LENGTH = 16


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A signed command ready to send, plus what is needed to check its answer."""

    message: um.RoutableMessage
    request_digest: bytes
    # Counters of the encrypted answers already opened for this request (replay check).
    answer_counters: set[int] = field(default_factory=set)


class Session:
    """Handshake state, anti-replay counter and clock offset for one (car, domain)."""

    def __init__(
        self,
        vin: str,
        domain: int,
        private_key: ec.EllipticCurvePrivateKey,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Start without a session; `handshake_request` begins one."""
        self.vin = vin
        self.domain = domain
        self._private_key = private_key
        self._public_key = crypto.encode_public_key(private_key.public_key())
        self._clock = clock
        self._routing_address = os.urandom(16)
        self._challenge: bytes | None = None
        self._shared_key: bytes | None = None
        self._vehicle_key: bytes | None = None
        self.epoch = b""
        self.counter = 0
        self._clock_time = 0
        self._offset = 0.0

    @property
    def established(self) -> bool:
        """True once an authenticated session info has been accepted."""
        return self._shared_key is not None

    def invalidate(self) -> None:
        """Forget the session; the next command performs a new handshake."""
        self._shared_key = None
        self._vehicle_key = None
        self.epoch = b""
        self.counter = 0
        self._clock_time = 0

    def handshake_request(self) -> um.RoutableMessage:
        """Build a session-info request; its UUID is the challenge the car must sign."""
        self._challenge = os.urandom(UUID_LENGTH)
        message = self._envelope(self._challenge)
        message.session_info_request.public_key = self._public_key
        return message

    def accept_session_info(self, response: um.RoutableMessage, challenge: bytes) -> None:
        """Verify a session info (handshake answer or attached to a fault) and adopt it."""
        if not response.HasField("session_info"):
            raise ResponseVerificationError("no session info in response")
        info = sig.SessionInfo()
        try:
            info.ParseFromString(response.session_info)
        except DecodeError as err:
            raise ResponseVerificationError("undecodable session info") from err
        if info.status == sig.SESSION_INFO_STATUS_KEY_NOT_ON_WHITELIST:
            raise KeyNotPairedError("SESSION_INFO_STATUS_KEY_NOT_ON_WHITELIST")
        try:
            shared_key = crypto.derive_shared_key(self._private_key, info.publicKey)
        except ValueError as err:
            raise ResponseVerificationError("invalid vehicle public key") from err
        expected = crypto.hmac_tag(
            crypto.subkey(shared_key, crypto.SESSION_INFO_LABEL),
            recipes.session_info_metadata(self.vin, challenge),
            response.session_info,
        )
        received = response.signature_data.session_info_tag.tag
        if not crypto.tags_equal(expected, received):
            raise ResponseVerificationError("session info tag mismatch")
        same_epoch = self.established and info.epoch == self.epoch
        if same_epoch and info.clock_time < self._clock_time:
            # A replayed (older) session info must not roll our view of the car back.
            raise ResponseVerificationError("session info older than the current one")
        self._shared_key = shared_key
        self._vehicle_key = info.publicKey
        # Never roll the anti-replay counter back within an epoch.
        self.counter = max(self.counter, info.counter) if same_epoch else info.counter
        self.epoch = info.epoch
        self._clock_time = info.clock_time
        self._offset = info.clock_time - self._clock()

    def car_time(self) -> int:
        """The domain's clock, extrapolated from the handshake."""
        return int(self._clock() + self._offset)

    def sign(self, payload: bytes, *, lifetime: int = DEFAULT_LIFETIME) -> SignedRequest:
        """Authenticate a command payload with HMAC-SHA256 (the Fleet API's method)."""
        if self._shared_key is None:
            raise RuntimeError("sign() before a session was established")
        self.counter += 1
        expires_at = self.car_time() + lifetime
        signature_type = sig.SIGNATURE_TYPE_HMAC_PERSONALIZED
        metadata = recipes.command_metadata(
            signature_type=signature_type,
            domain=self.domain,
            vin=self.vin,
            epoch=self.epoch,
            expires_at=expires_at,
            counter=self.counter,
            flags=REQUEST_FLAGS,
        )
        tag = crypto.hmac_tag(
            crypto.subkey(self._shared_key, crypto.COMMAND_LABEL), metadata, payload
        )
        message = self._envelope(os.urandom(UUID_LENGTH))
        message.protobuf_message_as_bytes = payload
        message.flags = REQUEST_FLAGS
        message.signature_data.signer_identity.public_key = self._public_key
        hmac_data = message.signature_data.HMAC_Personalized_data
        hmac_data.epoch = self.epoch
        hmac_data.counter = self.counter
        hmac_data.expires_at = expires_at
        hmac_data.tag = tag
        return SignedRequest(message, recipes.request_hash(signature_type, tag, self.domain))

    def open_response(self, request: SignedRequest, response: um.RoutableMessage) -> bytes:
        """Return the application payload, decrypting and authenticating it when encrypted."""
        if not response.signature_data.HasField("AES_GCM_Response_data"):
            # Firmware older than 2024.38 answers in plaintext; only then is that acceptable.
            return response.protobuf_message_as_bytes
        if self._shared_key is None:
            raise ResponseVerificationError("encrypted response without a session")
        # The request hash in the AAD binds this answer to this request, so an answer
        # replayed from another command fails authentication; Fleet API relays only one.
        data = response.signature_data.AES_GCM_Response_data
        metadata = recipes.response_metadata(
            domain=response.from_destination.domain,
            vin=self.vin,
            counter=data.counter,
            flags=response.flags,
            request_digest=request.request_digest,
            fault=response.signedMessageStatus.signed_message_fault,
        )
        try:
            plaintext = crypto.gcm_decrypt(
                self._shared_key,
                data.nonce,
                response.protobuf_message_as_bytes,
                data.tag,
                crypto.sha256(metadata),
            )
        except (InvalidTag, ValueError) as err:
            raise ResponseVerificationError("response failed authentication") from err
        # "The client must verify that the counter value contained in the response has not
        # been previously used in a response for the same request" (vehicle-command
        # pkg/protocol/protocol.md, Counter verification): an authentic answer seen twice is
        # a replay, never a second result.
        if data.counter in request.answer_counters:
            raise ResponseVerificationError("replayed response (counter already used)")
        request.answer_counters.add(data.counter)
        return plaintext

    def _envelope(self, uuid: bytes) -> um.RoutableMessage:
        message = um.RoutableMessage()
        message.to_destination.domain = self.domain  # type: ignore[assignment]
        message.from_destination.routing_address = self._routing_address
        message.uuid = uuid
        return message
