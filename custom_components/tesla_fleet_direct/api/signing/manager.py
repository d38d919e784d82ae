"""One signer per car for an account: what the vehicle API calls for signing-required cars."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import time

from cryptography.hazmat.primitives.asymmetric import ec

from .commands import CommandOutcome, Params
from .signer import Sleep, Transport, VehicleSigner


class SignedCommands:
    """Keeps each car's sessions between commands, so a handshake is paid once per domain."""

    def __init__(
        self,
        private_key: ec.EllipticCurvePrivateKey,
        transport_for: Callable[[str], Transport],
        *,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """`transport_for(vin)` posts to that car's `signed_command` endpoint."""
        self._private_key = private_key
        self._transport_for = transport_for
        self._clock = clock
        self._sleep = sleep
        self._signers: dict[str, VehicleSigner] = {}

    def signer(self, vin: str) -> VehicleSigner:
        """The car's signer, created on first use."""
        if vin not in self._signers:
            self._signers[vin] = VehicleSigner(
                vin,
                self._private_key,
                self._transport_for(vin),
                clock=self._clock,
                sleep=self._sleep,
            )
        return self._signers[vin]

    async def execute(self, vin: str, command: str, params: Params | None = None) -> CommandOutcome:
        """Sign and send a REST-named command to one car."""
        return await self.signer(vin).execute(command, params)

    def forget(self, vin: str) -> None:
        """Drop a car's sessions (car removed, or its key was re-paired)."""
        self._signers.pop(vin, None)
