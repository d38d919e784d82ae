"""The car's side of the Vehicle Command Protocol for cars with `command_signing: required`.

Holds the paired keys (the admin pairing call stands in for the Tesla app), answers
session-info requests, verifies HMAC-personalised commands (key, epoch, expiry, tag, counter),
decodes the protobuf command back to its REST name and runs it through the emulator's own
command function. Written independently of the integration's client so the two can be
checked against each other.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
import hashlib
import hmac
import os
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from tesla_protocol.command import (
    car_server_pb2 as cs,
    errors_pb2,
    keys_pb2,
    signatures_pb2 as sig,
    universal_message_pb2 as um,
    vcsec_pb2 as vcsec,
)

VCSEC = um.DOMAIN_VEHICLE_SECURITY
INFOTAINMENT = um.DOMAIN_INFOTAINMENT
DOMAINS = (VCSEC, INFOTAINMENT)
ENCRYPT_RESPONSE = 1 << um.FLAG_ENCRYPT_RESPONSE
# Faults after which the car tells the client its current session so it can resynchronise.
RESYNC_FAULTS = frozenset(
    {
        um.MESSAGEFAULT_ERROR_INCORRECT_EPOCH,
        um.MESSAGEFAULT_ERROR_TIME_EXPIRED,
        um.MESSAGEFAULT_ERROR_INVALID_SIGNATURE,
        um.MESSAGEFAULT_ERROR_INVALID_TOKEN_OR_COUNTER,
    }
)
# Counter rules of the reference verifier (teslamotors/vehicle-command
# internal/authentication/crypto.go:20-21, verifier.go:217-222 and 285-295, window.go): a
# counter below the highest seen (or 0) is only taken with at most 30 s left to live, and
# infotainment remembers the last 32 counters so messages may arrive out of order; VCSEC wants
# them in order (pkg/protocol/protocol.md, "The counter must increase ...").
MAX_SECONDS_WITHOUT_COUNTER = 30
WINDOW_SIZE = 32
ALL_SEEN = (1 << WINDOW_SIZE) - 1
# What `inject_fault` accepts besides a MessageFault name: WAIT at the message layer (the car
# is busy or waking), and VCSEC's own WAIT in an authenticated answer (busy with a request).
WAIT = "wait"
VCSEC_WAIT = "vcsec_wait"
ROLES: Mapping[str, int] = {
    "owner": keys_pb2.ROLE_OWNER,
    "driver": keys_pb2.ROLE_DRIVER,
    "fleet_manager": keys_pb2.ROLE_FM,
    "vehicle_monitor": keys_pb2.ROLE_VEHICLE_MONITOR,
    "charging_manager": keys_pb2.ROLE_CHARGING_MANAGER,
}
# Roles that may only read, and what a charging manager may do.
READ_ONLY_ROLES = frozenset({keys_pb2.ROLE_VEHICLE_MONITOR})
CHARGING_COMMANDS = frozenset(
    {
        "charge_start",
        "charge_stop",
        "set_charge_limit",
        "set_charging_amps",
        "set_scheduled_charging",
    }
)

# Runs a decoded command on the simulated car: (REST command name, parameters) -> (ok, reason).
type CommandFunction = Callable[[str, dict[str, Any]], tuple[bool, str]]


class _FaultError(Exception):
    def __init__(self, fault: int) -> None:
        super().__init__(fault)
        self.fault = fault


def _tlv(items: list[tuple[int, bytes]]) -> bytes:
    out = bytearray()
    for tag, value in items:
        out += bytes((tag, len(value))) + value
    out.append(sig.TAG_END)
    return bytes(out)


def _u32(value: int) -> bytes:
    return value.to_bytes(4, "big")


def _mac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def public_key_bytes(key_material: str | bytes) -> bytes:
    """Accept a PEM public key or a hex/raw uncompressed point; return the 65-byte point."""
    raw = key_material.encode() if isinstance(key_material, str) else key_material
    if raw.startswith(b"-----BEGIN"):
        key = serialization.load_pem_public_key(raw)
    else:
        point = bytes.fromhex(raw.decode()) if len(raw) == 130 else raw
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("not an EC P-256 public key")  # noqa: TRY004 - bad input, not a type bug
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def public_key_pem(key_material: str | bytes) -> str:
    """The same key as a PEM `PUBLIC KEY` block (what a domain hosts for Tesla)."""
    point = public_key_bytes(key_material)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@dataclass
class DomainState:
    """One domain's identity and clock: its key pair, the epoch and when it began."""

    private_key: ec.EllipticCurvePrivateKey
    epoch: bytes
    booted_at: float
    counters: dict[bytes, int] = field(default_factory=dict)
    # Per client: bit n set = counter (highest - n - 1) was used. Unknown history counts as
    # used, so a car restored from its state file never takes an old counter twice.
    windows: dict[bytes, int] = field(default_factory=dict)

    @property
    def public_key(self) -> bytes:
        """The domain's uncompressed public point, as sent in session info."""
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )

    def shared_key(self, client_public: bytes) -> bytes:
        """K = SHA1(ECDH x)[:16]."""
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), client_public)
        digest = hashes.Hash(hashes.SHA1())  # noqa: S303 - mandated by the protocol
        digest.update(self.private_key.exchange(ec.ECDH(), peer))
        return digest.finalize()[:16]


class VehicleSecurity:
    """The signing half of one simulated car (both domains)."""

    def __init__(self, vin: str, clock: Callable[[], float]) -> None:
        """Boot both domains with fresh keys and epochs."""
        self.vin = vin
        self._clock = clock
        self.paired: dict[bytes, int] = {}
        self._domains: dict[int, DomainState] = {}
        # Injected answers for the next messages: [kind, domain or None for any, remaining].
        self.pending_faults: list[list[Any]] = []
        for domain in DOMAINS:
            self.reboot(domain)

    def pair(self, key_material: str | bytes, role: str = "owner") -> bytes:
        """Add a public key (what the owner does in the Tesla app); returns its point."""
        point = public_key_bytes(key_material)
        self.paired[point] = ROLES[role]
        return point

    def unpair(self, key_material: str | bytes) -> bool:
        """Remove a key from the car; True if it was there."""
        return self.paired.pop(public_key_bytes(key_material), None) is not None

    def export_state(self) -> dict[str, Any]:
        """Paired keys and each domain's key, epoch, clock and counters (for the state file)."""
        return {
            "paired": {point.hex(): role for point, role in self.paired.items()},
            "domains": {
                str(domain): {
                    "private_value": format(state.private_key.private_numbers().private_value, "x"),
                    "epoch": state.epoch.hex(),
                    "booted_at": state.booted_at,
                    "counters": {key.hex(): count for key, count in state.counters.items()},
                }
                for domain, state in self._domains.items()
            },
        }

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Take back `export_state()`'s data: the car keeps its keys and open sessions."""
        self.paired = {bytes.fromhex(point): int(role) for point, role in state["paired"].items()}
        for name, saved in state["domains"].items():
            if int(name) not in self._domains:
                continue
            self._domains[int(name)] = DomainState(
                private_key=ec.derive_private_key(int(saved["private_value"], 16), ec.SECP256R1()),
                epoch=bytes.fromhex(saved["epoch"]),
                booted_at=float(saved["booted_at"]),
                counters={bytes.fromhex(key): int(n) for key, n in saved["counters"].items()},
            )

    def reboot(self, domain: int) -> None:
        """New epoch and counters, as after a restart of that computer; keys persist."""
        previous = self._domains.get(domain)
        self._domains[domain] = DomainState(
            private_key=previous.private_key
            if previous
            else ec.generate_private_key(ec.SECP256R1()),
            epoch=os.urandom(16),
            booted_at=self._clock(),
        )

    def inject_fault(self, kind: str, count: int = 1, domain: int | None = None) -> None:
        """Answer the next `count` messages (to `domain`, or any) with `kind` instead.

        `kind` is "wait" (message-layer WAIT), "vcsec_wait" (VCSEC's application-layer WAIT
        to an authenticated command) or a MessageFault name such as "busy", "timeout",
        "internal" or "time_to_live_too_long".
        """
        if kind not in (WAIT, VCSEC_WAIT):
            _fault_code(kind)  # validates
        if count < 1:
            raise ValueError("count must be at least 1")
        self.pending_faults.append([kind, domain, count])

    def clear_faults(self) -> None:
        """Forget injected answers not used yet."""
        self.pending_faults.clear()

    def _take_fault(self, domain: int, *, application: bool) -> str | None:
        """The next injected answer for this domain at this layer, used up by one."""
        for entry in self.pending_faults:
            kind, wanted, _left = entry
            if wanted not in (None, domain) or (kind == VCSEC_WAIT) != application:
                continue
            if kind == VCSEC_WAIT and domain != VCSEC:
                continue
            entry[2] -= 1
            if entry[2] <= 0:
                self.pending_faults.remove(entry)
            return str(kind)
        return None

    def clock_time(self, domain: int) -> int:
        """Seconds since the domain's epoch began."""
        state = self._domains[domain]
        return int(self._clock() - state.booted_at)

    def handle(self, data: bytes, run: CommandFunction) -> bytes:
        """Process one RoutableMessage and return the serialised answer."""
        request = um.RoutableMessage()
        try:
            request.ParseFromString(data)
        except DecodeError:
            return self._fault_reply(um.RoutableMessage(), 0, um.MESSAGEFAULT_ERROR_DECODING)
        domain = request.to_destination.domain
        if domain not in self._domains:
            return self._fault_reply(request, domain, um.MESSAGEFAULT_ERROR_INVALID_DOMAINS)
        handshake = request.HasField("session_info_request")
        injected = self._take_fault(domain, application=False)
        if injected == WAIT:
            reply = self._reply(request, domain)
            reply.signedMessageStatus.operation_status = um.OPERATIONSTATUS_WAIT
            return bytes(reply.SerializeToString())
        if injected is not None:
            return self._fault_reply(request, domain, _fault_code(injected))
        try:
            if handshake:
                return self._session_info(request, domain)
            return self._command(request, domain, run)
        except _FaultError as fault:
            return self._fault_reply(request, domain, fault.fault)

    def _session_info(self, request: um.RoutableMessage, domain: int) -> bytes:
        client = request.session_info_request.public_key
        if client not in self.paired:
            raise _FaultError(um.MESSAGEFAULT_ERROR_UNKNOWN_KEY_ID)
        reply = self._reply(request, domain)
        self._attach_session_info(reply, domain, client, request.uuid)
        return bytes(reply.SerializeToString())

    def _attach_session_info(
        self, reply: um.RoutableMessage, domain: int, client: bytes, challenge: bytes
    ) -> None:
        state = self._domains[domain]
        info = sig.SessionInfo()
        info.counter = state.counters.get(client, 0)
        info.publicKey = state.public_key
        info.epoch = state.epoch
        info.clock_time = self.clock_time(domain)
        info.status = sig.SESSION_INFO_STATUS_OK
        encoded = info.SerializeToString()
        key = _mac(state.shared_key(client), b"session info")
        metadata = _tlv(
            [
                (sig.TAG_SIGNATURE_TYPE, bytes((sig.SIGNATURE_TYPE_HMAC,))),
                (sig.TAG_PERSONALIZATION, self.vin.encode()),
                (sig.TAG_CHALLENGE, challenge),
            ]
        )
        reply.session_info = encoded
        reply.signature_data.session_info_tag.tag = _mac(key, metadata + encoded)

    def _command(self, request: um.RoutableMessage, domain: int, run: CommandFunction) -> bytes:
        client = request.signature_data.signer_identity.public_key
        if not request.signature_data.HasField("HMAC_Personalized_data"):
            # Fleet API only relays HMAC-authenticated commands; anything else is unsigned.
            raise _FaultError(um.MESSAGEFAULT_ERROR_INVALID_SIGNATURE)
        if client not in self.paired:
            raise _FaultError(um.MESSAGEFAULT_ERROR_UNKNOWN_KEY_ID)
        try:
            shared = self._verify(request, domain, client)
        except _FaultError as fault:
            # A paired client gets the current session with the fault, so it can resync.
            reply = self._reply(request, domain)
            reply.signedMessageStatus.operation_status = um.OPERATIONSTATUS_ERROR
            reply.signedMessageStatus.signed_message_fault = fault.fault  # type: ignore[assignment]
            self._attach_session_info(reply, domain, client, request.uuid)
            return bytes(reply.SerializeToString())
        if self._take_fault(domain, application=True) == VCSEC_WAIT:
            payload = _vcsec_wait_reply()
        else:
            payload = self._execute(
                domain, request.protobuf_message_as_bytes, self.paired[client], run
            )
        reply = self._reply(request, domain)
        if request.flags & ENCRYPT_RESPONSE:
            self._encrypt(reply, request, shared, payload)
        else:
            reply.protobuf_message_as_bytes = payload
        return bytes(reply.SerializeToString())

    def _verify(self, request: um.RoutableMessage, domain: int, client: bytes) -> bytes:
        """Check epoch, expiry, lifetime, tag and counter in that order; returns the shared key.

        The order is the reference verifier's (verifier.go:189-297).
        """
        state = self._domains[domain]
        data = request.signature_data.HMAC_Personalized_data
        now = self.clock_time(domain)
        if data.epoch != state.epoch:
            raise _FaultError(um.MESSAGEFAULT_ERROR_INCORRECT_EPOCH)
        if data.expires_at < now:
            raise _FaultError(um.MESSAGEFAULT_ERROR_TIME_EXPIRED)
        if data.counter == 0 or data.counter < state.counters.get(client, 0):
            # Out of order (or no counter): only a message about to expire may be late.
            if data.expires_at - now > MAX_SECONDS_WITHOUT_COUNTER:
                raise _FaultError(um.MESSAGEFAULT_ERROR_TIME_TO_LIVE_TOO_LONG)
        shared = state.shared_key(client)
        items: list[tuple[int, bytes]] = [
            (sig.TAG_SIGNATURE_TYPE, bytes((sig.SIGNATURE_TYPE_HMAC_PERSONALIZED,))),
            (sig.TAG_DOMAIN, bytes((domain,))),
            (sig.TAG_PERSONALIZATION, self.vin.encode()),
            (sig.TAG_EPOCH, data.epoch),
            (sig.TAG_EXPIRES_AT, _u32(data.expires_at)),
            (sig.TAG_COUNTER, _u32(data.counter)),
        ]
        if request.flags:
            items.append((sig.TAG_FLAGS, _u32(request.flags)))
        command_key = _mac(shared, b"authenticated command")
        expected = _mac(command_key, _tlv(items) + request.protobuf_message_as_bytes)
        if not hmac.compare_digest(expected, data.tag):
            raise _FaultError(um.MESSAGEFAULT_ERROR_INVALID_SIGNATURE)
        # Counters are checked only after the tag, so forgeries cannot burn them.
        if data.counter and not self._use_counter(state, domain, client, data.counter):
            raise _FaultError(um.MESSAGEFAULT_ERROR_INVALID_TOKEN_OR_COUNTER)
        return shared

    @staticmethod
    def _use_counter(state: DomainState, domain: int, client: bytes, counter: int) -> bool:
        """Record a counter as used; False if it was used before or is too old to tell."""
        highest = state.counters.get(client, 0)
        history = state.windows.get(client, ALL_SEEN if client in state.counters else 0)
        if counter > highest:
            shift = counter - highest
            # Bit 0 stands for the counter just below the new highest: the old highest.
            state.windows[client] = ((history << shift) | (1 << (shift - 1))) & ALL_SEEN
            state.counters[client] = counter
            return True
        age = highest - counter
        if domain == VCSEC or age == 0 or age > WINDOW_SIZE or history >> (age - 1) & 1:
            return False
        state.windows[client] = history | 1 << (age - 1)
        return True

    def _execute(self, domain: int, payload: bytes, role: int, run: CommandFunction) -> bytes:
        try:
            decoded = decode_vcsec(payload) if domain == VCSEC else decode_action(payload)
        except DecodeError, ValueError:
            decoded = None
        if decoded is None:
            return _app_reply(domain, ok=False, reason="not_supported")
        name, params = decoded
        if name == PING:
            # The no-op the reference uses to check a session (infotainment.go:52-70): the car
            # answers with the ping id, whatever the key's role.
            response = cs.Response()
            response.ping.ping_id = int(params["ping_id"])
            return bytes(response.SerializeToString())
        if role in READ_ONLY_ROLES or (
            role == keys_pb2.ROLE_CHARGING_MANAGER and name not in CHARGING_COMMANDS
        ):
            return _app_reply(domain, ok=False, reason="unauthorized")
        ok, reason = run(name, params)
        return _app_reply(domain, ok=ok, reason=reason)

    def _encrypt(
        self, reply: um.RoutableMessage, request: um.RoutableMessage, shared: bytes, payload: bytes
    ) -> None:
        """Seal the answer with AES-GCM, bound to the request by its hash (firmware 2024.38+)."""
        domain = request.to_destination.domain
        counter = request.signature_data.HMAC_Personalized_data.counter
        request_hash = bytes((sig.SIGNATURE_TYPE_HMAC_PERSONALIZED,)) + (
            request.signature_data.HMAC_Personalized_data.tag
        )
        if domain == VCSEC:
            request_hash = request_hash[:17]
        reply.flags = 0
        metadata = _tlv(
            [
                (sig.TAG_SIGNATURE_TYPE, bytes((sig.SIGNATURE_TYPE_AES_GCM_RESPONSE,))),
                (sig.TAG_DOMAIN, bytes((domain,))),
                (sig.TAG_PERSONALIZATION, self.vin.encode()),
                (sig.TAG_COUNTER, _u32(counter)),
                (sig.TAG_FLAGS, _u32(reply.flags)),
                (sig.TAG_REQUEST_HASH, request_hash),
                (sig.TAG_FAULT, _u32(0)),
            ]
        )
        nonce = os.urandom(12)
        sealed = AESGCM(shared).encrypt(nonce, payload, hashlib.sha256(metadata).digest())
        reply.protobuf_message_as_bytes = sealed[:-16]
        gcm = reply.signature_data.AES_GCM_Response_data
        gcm.nonce = nonce
        gcm.counter = counter
        gcm.tag = sealed[-16:]

    @staticmethod
    def _reply(request: um.RoutableMessage, domain: int) -> um.RoutableMessage:
        reply = um.RoutableMessage()
        reply.to_destination.CopyFrom(request.from_destination)
        reply.from_destination.domain = domain  # type: ignore[assignment]
        reply.request_uuid = request.uuid
        return reply

    def _fault_reply(self, request: um.RoutableMessage, domain: int, fault: int) -> bytes:
        reply = self._reply(request, domain)
        reply.signedMessageStatus.operation_status = um.OPERATIONSTATUS_ERROR
        reply.signedMessageStatus.signed_message_fault = fault  # type: ignore[assignment]
        return bytes(reply.SerializeToString())


def _app_reply(domain: int, *, ok: bool, reason: str) -> bytes:
    if domain == VCSEC:
        message = vcsec.FromVCSECMessage()
        if not ok:
            message.nominalError.genericError = _GENERIC_ERRORS.get(  # type: ignore[assignment]
                reason, errors_pb2.GENERICERROR_UNKNOWN
            )
        return bytes(message.SerializeToString())
    response = cs.Response()
    response.actionStatus.result = cs.OPERATIONSTATUS_OK if ok else cs.OPERATIONSTATUS_ERROR
    if not ok:
        response.actionStatus.result_reason.plain_text = reason
    return bytes(response.SerializeToString())


def _vcsec_wait_reply() -> bytes:
    message = vcsec.FromVCSECMessage()
    message.commandStatus.operationStatus = vcsec.OPERATIONSTATUS_WAIT
    return bytes(message.SerializeToString())


def _fault_code(name: str) -> int:
    """A MessageFault_E value from its name with or without the prefix, any case."""
    full = name.upper()
    if not full.startswith("MESSAGEFAULT_ERROR_"):
        full = "MESSAGEFAULT_ERROR_" + full
    try:
        return int(um.MessageFault_E.Value(full))
    except ValueError:
        raise ValueError(f"unknown fault {name!r}") from None


_GENERIC_ERRORS: Mapping[str, int] = {
    "unauthorized": errors_pb2.GENERICERROR_UNAUTHORIZED,
    "not_supported": errors_pb2.GENERICERROR_NOT_SUPPORTED,
    "closures_open": errors_pb2.GENERICERROR_CLOSURES_OPEN,
    "vehicle_not_in_park": errors_pb2.GENERICERROR_VEHICLE_NOT_IN_PARK,
}


# --- HTTP: what the router mounts (after its own token and vehicle checks) ----------------


def signed_command_response(
    security: VehicleSecurity, body: Mapping[str, Any], run: CommandFunction
) -> web.Response:
    """`POST /api/1/vehicles/{vin}/signed_command`: base64 RoutableMessage in and out."""
    encoded = body.get("routable_message")
    if not isinstance(encoded, str):
        return web.json_response(
            {"response": None, "error": "routable_message required"}, status=400
        )
    try:
        data = base64.b64decode(encoded, validate=True)
    except binascii.Error, ValueError:
        return web.json_response({"response": None, "error": "invalid base64"}, status=400)
    answer = security.handle(data, run)
    return web.json_response({"response": base64.b64encode(answer).decode()})


def pairing_response(
    security: VehicleSecurity, body: Mapping[str, Any], *, add: bool
) -> web.Response:
    """Admin call standing in for the Tesla app: add (or remove) a virtual key on the car."""
    key = body.get("public_key")
    role = body.get("role", "owner")
    if not isinstance(key, str) or role not in ROLES:
        return web.json_response(
            {"error": "public_key (PEM or hex) and a known role required"}, status=400
        )
    try:
        if add:
            security.pair(key, role)
            changed = True
        else:
            changed = security.unpair(key)
    except ValueError as err:
        return web.json_response({"error": str(err)}, status=400)
    return web.json_response({"paired": add, "changed": changed, "vin": security.vin})


_DOMAIN_NAMES: Mapping[str, int] = {"vehicle_security": VCSEC, "infotainment": INFOTAINMENT}


def signing_faults_response(
    security: VehicleSecurity, method: str, body: Mapping[str, Any]
) -> web.Response:
    """Admin `GET|POST|DELETE /vehicles/{vin}/signing_faults`: list, add or clear answers.

    POST `{"kind": "wait" | "vcsec_wait" | a MessageFault name, "count": n,
    "domain": "vehicle_security" | "infotainment" (default: either)}`.
    """
    if method == "DELETE":
        security.clear_faults()
    elif method == "POST":
        kind, count, domain = body.get("kind"), body.get("count", 1), body.get("domain")
        if (
            not isinstance(kind, str)
            or not isinstance(count, int)
            or isinstance(count, bool)
            or (domain is not None and domain not in _DOMAIN_NAMES)
        ):
            return web.json_response(
                {"error": "kind (string), count (integer) and domain (optional) expected"},
                status=400,
            )
        try:
            security.inject_fault(kind, count, None if domain is None else _DOMAIN_NAMES[domain])
        except ValueError as err:
            return web.json_response({"error": str(err)}, status=400)
    names = {number: name for name, number in _DOMAIN_NAMES.items()}
    pending = [
        {"kind": kind, "domain": names.get(domain), "count": left}
        for kind, domain, left in security.pending_faults
    ]
    return web.json_response({"vin": security.vin, "pending": pending})


# --- payload decoding: protobuf command -> (REST name, REST parameters) --------------------

_RKE_COMMANDS: Mapping[int, str] = {
    vcsec.RKE_ACTION_LOCK: "door_lock",
    vcsec.RKE_ACTION_UNLOCK: "door_unlock",
    vcsec.RKE_ACTION_REMOTE_DRIVE: "remote_start_drive",
    vcsec.RKE_ACTION_WAKE_VEHICLE: "wake_up",
}


def decode_vcsec(payload: bytes) -> tuple[str, dict[str, Any]] | None:
    """Decode a VCSEC UnsignedMessage into the equivalent REST command."""
    message = vcsec.UnsignedMessage()
    message.ParseFromString(payload)
    kind = message.WhichOneof("sub_message")
    if kind == "RKEAction":
        name = _RKE_COMMANDS.get(message.RKEAction)
        return (name, {}) if name else None
    if kind == "closureMoveRequest":
        closures = message.closureMoveRequest
        if closures.frontTrunk != vcsec.CLOSURE_MOVE_TYPE_NONE:
            return "actuate_trunk", {"which_trunk": "front"}
        if closures.rearTrunk != vcsec.CLOSURE_MOVE_TYPE_NONE:
            return "actuate_trunk", {"which_trunk": "rear"}
        # The charge port door through VCSEC (vcsec.proto:93-101, chargePort = 7), as other
        # clients send it (python-tesla-fleet-api); the reference uses infotainment instead.
        port = _CHARGE_PORT.get(closures.chargePort)
        if port is not None:
            return port, {}
    return None


_CHARGE_PORT: Mapping[int, str] = {
    vcsec.CLOSURE_MOVE_TYPE_OPEN: "charge_port_door_open",
    vcsec.CLOSURE_MOVE_TYPE_CLOSE: "charge_port_door_close",
}


_MARKER_ACTIONS: Mapping[str, str] = {
    "chargePortDoorOpen": "charge_port_door_open",
    "chargePortDoorClose": "charge_port_door_close",
    "vehicleControlFlashLightsAction": "flash_lights",
    "vehicleControlHonkHornAction": "honk_horn",
    "mediaPlayAction": "media_toggle_playback",
    "mediaNextTrack": "media_next_track",
    "mediaPreviousTrack": "media_prev_track",
    "mediaNextFavorite": "media_next_fav",
    "mediaPreviousFavorite": "media_prev_fav",
    "vehicleControlCancelSoftwareUpdateAction": "cancel_software_update",
}
# Not a REST command: answered by the protocol side itself.
PING = "ping"
_CHARGING: Mapping[str, str] = {
    "start": "charge_start",
    "stop": "charge_stop",
    "start_standard": "charge_standard",
    "start_max_range": "charge_max_range",
}
# Seat marker -> Fleet API seat_position, as Tesla numbers them (vehicle-command
# pkg/proxy/command.go:25-35): 3 and 6 are the rear outer backrests.
_SEATS: Mapping[str, int] = {
    "CAR_SEAT_FRONT_LEFT": 0,
    "CAR_SEAT_FRONT_RIGHT": 1,
    "CAR_SEAT_REAR_LEFT": 2,
    "CAR_SEAT_REAR_LEFT_BACK": 3,
    "CAR_SEAT_REAR_CENTER": 4,
    "CAR_SEAT_REAR_RIGHT": 5,
    "CAR_SEAT_REAR_RIGHT_BACK": 6,
    "CAR_SEAT_THIRD_ROW_LEFT": 7,
    "CAR_SEAT_THIRD_ROW_RIGHT": 8,
}
_SEAT_LEVELS: Mapping[str, int] = {
    "SEAT_HEATER_OFF": 0,
    "SEAT_HEATER_LOW": 1,
    "SEAT_HEATER_MED": 2,
    "SEAT_HEATER_HIGH": 3,
}


def decode_action(payload: bytes) -> tuple[str, dict[str, Any]] | None:
    """Decode an infotainment CarServer.Action into the equivalent REST command."""
    action = cs.Action()
    action.ParseFromString(payload)
    va = action.vehicleAction
    kind = va.WhichOneof("vehicle_action_msg")
    if kind is None:
        return None
    if kind in _MARKER_ACTIONS:
        return _MARKER_ACTIONS[kind], {}
    decoder = _ACTION_DECODERS.get(kind)
    return decoder(va) if decoder else None


def _charging(va: cs.VehicleAction) -> tuple[str, dict[str, Any]] | None:
    choice = va.chargingStartStopAction.WhichOneof("charging_action")
    name = _CHARGING.get(choice or "")
    return (name, {}) if name else None


def _seat_heater(va: cs.VehicleAction) -> tuple[str, dict[str, Any]] | None:
    heaters = va.hvacSeatHeaterActions.hvacSeatHeaterAction
    if len(heaters) != 1:
        return None
    seat = _SEATS.get(heaters[0].WhichOneof("seat_position") or "")
    level = _SEAT_LEVELS.get(heaters[0].WhichOneof("seat_heater_level") or "")
    if seat is None or level is None:
        return None
    return "remote_seat_heater_request", {"seat_position": seat, "level": level}


def _window(va: cs.VehicleAction) -> tuple[str, dict[str, Any]] | None:
    choice = va.vehicleControlWindowAction.WhichOneof("action")
    if choice in {"vent", "close"}:
        return "window_control", {"command": choice}
    return None


def _mask_days(mask: int) -> int:
    # The emulator's REST handler takes the protocol's bitmask as is (Sunday = bit 0).
    return mask


def _charge_schedule(va: cs.VehicleAction) -> tuple[str, dict[str, Any]] | None:
    s = va.addChargeScheduleAction
    params: dict[str, Any] = {
        "days_of_week": _mask_days(s.days_of_week),
        "enabled": s.enabled,
        "start_enabled": s.start_enabled,
        "end_enabled": s.end_enabled,
        "one_time": s.one_time,
        "lat": s.latitude,
        "lon": s.longitude,
    }
    if s.start_enabled:
        params["start_time"] = s.start_time
    if s.end_enabled:
        params["end_time"] = s.end_time
    if s.id:
        params["id"] = s.id
    if s.name:
        params["name"] = s.name
    return "add_charge_schedule", params


def _precondition_schedule(va: cs.VehicleAction) -> tuple[str, dict[str, Any]] | None:
    s = va.addPreconditionScheduleAction
    params: dict[str, Any] = {
        "days_of_week": _mask_days(s.days_of_week),
        "enabled": s.enabled,
        "precondition_time": s.precondition_time,
        "one_time": s.one_time,
        "lat": s.latitude,
        "lon": s.longitude,
    }
    if s.id:
        params["id"] = s.id
    if s.name:
        params["name"] = s.name
    return "add_precondition_schedule", params


def _departure(va: cs.VehicleAction) -> tuple[str, dict[str, Any]] | None:
    d = va.scheduledDepartureAction
    if not d.enabled:
        return "set_scheduled_departure", {"enable": False}
    precondition = d.preconditioning_times.WhichOneof("times")
    off_peak = d.off_peak_charging_times.WhichOneof("times")
    return "set_scheduled_departure", {
        "enable": d.enabled,
        "departure_time": d.departure_time,
        "preconditioning_enabled": precondition is not None,
        "preconditioning_weekdays_only": precondition == "weekdays",
        "off_peak_charging_enabled": off_peak is not None,
        "off_peak_charging_weekdays_only": off_peak == "weekdays",
        "end_off_peak_time": d.off_peak_hours_end_time,
    }


def _sun_roof(va: cs.VehicleAction) -> tuple[str, dict[str, Any]] | None:
    choice = va.vehicleControlSunroofOpenCloseAction.WhichOneof("action")
    return ("sun_roof_control", {"state": choice}) if choice in {"vent", "close"} else None


def _seat_cooler(va: cs.VehicleAction) -> tuple[str, dict[str, Any]] | None:
    coolers = va.hvacSeatCoolerActions.hvacSeatCoolerAction
    if len(coolers) != 1 or coolers[0].seat_cooler_level == 0:
        return None
    return "remote_seat_cooler_request", {
        "seat_position": int(coolers[0].seat_position),
        "seat_cooler_level": int(coolers[0].seat_cooler_level) - 1,
    }


# StwHeatLevel Off/Low/High (1/2/3) -> REST 0/1/2 (python-tesla-fleet-api's StwHeatLevels).
_STW_LEVELS: Mapping[int, int] = {1: 0, 2: 1, 3: 2}


def _stw_level(va: cs.VehicleAction) -> tuple[str, dict[str, Any]] | None:
    level = _STW_LEVELS.get(int(va.stwHeatLevelAction.stw_heat_level))
    return None if level is None else ("remote_steering_wheel_heat_level_request", {"level": level})


def _auto_seat(va: cs.VehicleAction) -> tuple[str, dict[str, Any]] | None:
    seats = va.autoSeatClimateAction.carseat
    if len(seats) != 1:
        return None
    return "remote_auto_seat_climate_request", {
        "auto_seat_position": int(seats[0].seat_position),
        "auto_climate_on": seats[0].on,
    }


def _volume(va: cs.VehicleAction) -> tuple[str, dict[str, Any]] | None:
    volume = va.mediaUpdateVolume
    choice = volume.WhichOneof("media_volume")
    if choice == "volume_absolute_float":
        return "adjust_volume", {"volume": round(volume.volume_absolute_float, 2)}
    # A step: only its sign counts (vehicle-command pkg/vehicle/infotainment.go:72-94).
    if choice == "volume_delta" and volume.volume_delta:
        return ("media_volume_up" if volume.volume_delta > 0 else "media_volume_down"), {}
    return None


def _climate_keeper(va: cs.VehicleAction) -> tuple[str, dict[str, Any]] | None:
    keeper = va.hvacClimateKeeperAction
    params: dict[str, Any] = {"climate_keeper_mode": int(keeper.ClimateKeeperAction)}
    if keeper.manual_override:
        params["manual_override"] = True
    return "set_climate_keeper_mode", params


def _valet(va: cs.VehicleAction) -> tuple[str, dict[str, Any]] | None:
    valet = va.vehicleControlSetValetModeAction
    params: dict[str, Any] = {"on": valet.on}
    if valet.password:
        params["password"] = valet.password
    return "set_valet_mode", params


def _cop(va: cs.VehicleAction) -> tuple[str, dict[str, Any]] | None:
    level = int(va.setCopTempAction.copActivationTemp)
    return None if level == 0 else ("set_cop_temp", {"cop_temp": level - 1})


def _nav_gps(va: cs.VehicleAction) -> tuple[str, dict[str, Any]] | None:
    request = va.navigationGpsRequest
    params: dict[str, Any] = {"lat": request.lat, "lon": request.lon}
    if request.order:
        params["order"] = int(request.order)
    return "navigation_gps_request", params


def _nav_supercharger(va: cs.VehicleAction) -> tuple[str, dict[str, Any]] | None:
    request = va.navigationSuperchargerRequest
    params: dict[str, Any] = {"id": request.id}
    if request.remote_nav_trip_order:
        params["order"] = int(request.remote_nav_trip_order)
    return "navigation_sc_request", params


_ACTION_DECODERS: Mapping[str, Callable[[cs.VehicleAction], tuple[str, dict[str, Any]] | None]] = {
    "hvacAutoAction": lambda va: (
        "auto_conditioning_start" if va.hvacAutoAction.power_on else "auto_conditioning_stop",
        {},
    ),
    "hvacTemperatureAdjustmentAction": lambda va: (
        "set_temps",
        {
            "driver_temp": round(va.hvacTemperatureAdjustmentAction.driver_temp_celsius, 1),
            "passenger_temp": round(va.hvacTemperatureAdjustmentAction.passenger_temp_celsius, 1),
        },
    ),
    "chargingStartStopAction": _charging,
    "chargingSetLimitAction": lambda va: (
        "set_charge_limit",
        {"percent": va.chargingSetLimitAction.percent},
    ),
    "setChargingAmpsAction": lambda va: (
        "set_charging_amps",
        {"charging_amps": va.setChargingAmpsAction.charging_amps},
    ),
    "vehicleControlSetSentryModeAction": lambda va: (
        "set_sentry_mode",
        {"on": va.vehicleControlSetSentryModeAction.on},
    ),
    "vehicleControlWindowAction": _window,
    "hvacSeatHeaterActions": _seat_heater,
    "hvacSteeringWheelHeaterAction": lambda va: (
        "remote_steering_wheel_heater_request",
        {"on": va.hvacSteeringWheelHeaterAction.power_on},
    ),
    "hvacSetPreconditioningMaxAction": lambda va: (
        "set_preconditioning_max",
        {
            "on": va.hvacSetPreconditioningMaxAction.on,
            "manual_override": va.hvacSetPreconditioningMaxAction.manual_override,
        },
    ),
    "hvacBioweaponModeAction": lambda va: (
        "set_bioweapon_mode",
        {
            "on": va.hvacBioweaponModeAction.on,
            "manual_override": va.hvacBioweaponModeAction.manual_override,
        },
    ),
    "hvacClimateKeeperAction": _climate_keeper,
    "setCabinOverheatProtectionAction": lambda va: (
        "set_cabin_overheat_protection",
        {
            "on": va.setCabinOverheatProtectionAction.on,
            "fan_only": va.setCabinOverheatProtectionAction.fan_only,
        },
    ),
    "mediaUpdateVolume": _volume,
    "drivingSpeedLimitAction": lambda va: (
        "speed_limit_activate" if va.drivingSpeedLimitAction.activate else "speed_limit_deactivate",
        {"pin": va.drivingSpeedLimitAction.pin},
    ),
    "vehicleControlSetValetModeAction": _valet,
    "vehicleControlTriggerHomelinkAction": lambda va: (
        "trigger_homelink",
        {
            "lat": va.vehicleControlTriggerHomelinkAction.location.latitude,
            "lon": va.vehicleControlTriggerHomelinkAction.location.longitude,
        },
    ),
    "vehicleControlScheduleSoftwareUpdateAction": lambda va: (
        "schedule_software_update",
        {"offset_sec": va.vehicleControlScheduleSoftwareUpdateAction.offset_sec},
    ),
    "scheduledChargingAction": lambda va: (
        "set_scheduled_charging",
        {
            "enable": va.scheduledChargingAction.enabled,
            "time": va.scheduledChargingAction.charging_time,
        },
    ),
    "scheduledDepartureAction": _departure,
    "addChargeScheduleAction": _charge_schedule,
    "removeChargeScheduleAction": lambda va: (
        "remove_charge_schedule",
        {"id": va.removeChargeScheduleAction.id},
    ),
    "addPreconditionScheduleAction": _precondition_schedule,
    "removePreconditionScheduleAction": lambda va: (
        "remove_precondition_schedule",
        {"id": va.removePreconditionScheduleAction.id},
    ),
    "drivingSetSpeedLimitAction": lambda va: (
        "speed_limit_set_limit",
        {"limit_mph": va.drivingSetSpeedLimitAction.limit_mph},
    ),
    "drivingClearSpeedLimitPinAction": lambda va: (
        "speed_limit_clear_pin",
        {"pin": va.drivingClearSpeedLimitPinAction.pin},
    ),
    "vehicleControlSetPinToDriveAction": lambda va: (
        "set_pin_to_drive",
        {
            "on": va.vehicleControlSetPinToDriveAction.on,
            "password": va.vehicleControlSetPinToDriveAction.password,
        },
    ),
    "guestModeAction": lambda va: ("guest_mode", {"enable": va.guestModeAction.GuestModeActive}),
    "vehicleControlSunroofOpenCloseAction": _sun_roof,
    "boomboxAction": lambda va: ("remote_boombox", {"sound": va.boomboxAction.sound}),
    "setVehicleNameAction": lambda va: (
        "set_vehicle_name",
        {"vehicle_name": va.setVehicleNameAction.vehicleName},
    ),
    "hvacSeatCoolerActions": _seat_cooler,
    "stwHeatLevelAction": _stw_level,
    "autoSeatClimateAction": _auto_seat,
    "autoStwHeatAction": lambda va: (
        "remote_auto_steering_wheel_heat_climate_request",
        {"on": va.autoStwHeatAction.on},
    ),
    "setCopTempAction": _cop,
    "navigationRequest": lambda va: (
        "navigation_request",
        {
            "type": "share_ext_content_raw",
            "value": {"android.intent.extra.TEXT": va.navigationRequest.destination},
        },
    ),
    "navigationGpsRequest": _nav_gps,
    "navigationSuperchargerRequest": _nav_supercharger,
    "ping": lambda va: (PING, {"ping_id": va.ping.ping_id}),
}
