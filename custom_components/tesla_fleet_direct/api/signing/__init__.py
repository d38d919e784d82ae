"""Tesla Vehicle Command Protocol, client side: sessions, signatures, payloads (HA-free)."""

from __future__ import annotations

from .commands import CommandOutcome, EncodedCommand, UnsupportedCommandError, encode_command
from .errors import (
    InsufficientPrivilegesError,
    KeyNotPairedError,
    ResponseVerificationError,
    SessionSyncError,
    SigningError,
    VehicleBusyError,
    VehicleFaultError,
)
from .manager import SignedCommands
from .signer import Transport, VehicleSigner

__all__ = [
    "CommandOutcome",
    "EncodedCommand",
    "InsufficientPrivilegesError",
    "KeyNotPairedError",
    "ResponseVerificationError",
    "SessionSyncError",
    "SignedCommands",
    "SigningError",
    "Transport",
    "UnsupportedCommandError",
    "VehicleBusyError",
    "VehicleFaultError",
    "VehicleSigner",
    "encode_command",
]
