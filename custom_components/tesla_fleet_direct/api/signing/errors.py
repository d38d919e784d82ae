"""Why a signed command did not run, in terms the integration can act on."""

from __future__ import annotations

# protobuf ships no type information; this is the one place its error class is imported.
from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from tesla_protocol.command import universal_message_pb2 as um

__all__ = ["DecodeError"]


class SigningError(Exception):
    """Root of the signed-command errors."""


class KeyNotPairedError(SigningError):
    """The car does not know our key: the owner must add the virtual key."""


class InsufficientPrivilegesError(SigningError):
    """The key is paired, but its role may not run this command."""


class SessionSyncError(SigningError):
    """Counter, epoch or clock out of step; a fresh handshake fixes it."""


class ResponseVerificationError(SigningError):
    """The car's answer failed authentication; it is discarded, never trusted."""


class VehicleBusyError(SigningError):
    """The car kept answering "busy, try again" (WAIT or a transient fault) past our bound."""


class VehicleFaultError(SigningError):
    """Any other protocol-layer fault the car reported."""

    def __init__(self, fault: int) -> None:
        """Keep the fault code and its protocol name."""
        self.fault = fault
        self.fault_name = _fault_name(fault)
        super().__init__(self.fault_name)


def _fault_name(fault: int) -> str:
    try:
        return str(um.MessageFault_E.Name(fault))
    except ValueError:
        return f"MESSAGEFAULT_{fault}"


# Faults where the car's session and ours disagree; the protocol lets the client recover.
SYNC_FAULTS = frozenset(
    {
        um.MESSAGEFAULT_ERROR_INVALID_SIGNATURE,
        um.MESSAGEFAULT_ERROR_INVALID_TOKEN_OR_COUNTER,
        um.MESSAGEFAULT_ERROR_INCORRECT_EPOCH,
        um.MESSAGEFAULT_ERROR_TIME_EXPIRED,
        um.MESSAGEFAULT_ERROR_REPEATED_COUNTER,
        um.MESSAGEFAULT_ERROR_INVALID_KEY_HANDLE,
    }
)
# Faults the reference retries without touching the session: the car is busy, waking or
# booting (teslamotors/vehicle-command pkg/protocol/error.go:200-220; the session faults in
# that list are SYNC_FAULTS above).
TRANSIENT_FAULTS = frozenset(
    {
        um.MESSAGEFAULT_ERROR_BUSY,
        um.MESSAGEFAULT_ERROR_TIMEOUT,
        um.MESSAGEFAULT_ERROR_INTERNAL,
        um.MESSAGEFAULT_ERROR_TIME_TO_LIVE_TOO_LONG,
    }
)
UNPAIRED_FAULTS = frozenset(
    {um.MESSAGEFAULT_ERROR_UNKNOWN_KEY_ID, um.MESSAGEFAULT_ERROR_INACTIVE_KEY}
)


def error_for_fault(fault: int) -> SigningError:
    """Map a MessageFault_E code to the error class the caller handles."""
    if fault in UNPAIRED_FAULTS:
        return KeyNotPairedError(_fault_name(fault))
    if fault == um.MESSAGEFAULT_ERROR_INSUFFICIENT_PRIVILEGES:
        return InsufficientPrivilegesError(_fault_name(fault))
    if fault in SYNC_FAULTS:
        return SessionSyncError(_fault_name(fault))
    if fault in TRANSIENT_FAULTS:
        return VehicleBusyError(_fault_name(fault))
    return VehicleFaultError(fault)
