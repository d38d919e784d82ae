"""One vehicle: the free state check, `vehicle_data`, waking, and commands.

The client hands out one `VehicleApi` per VIN, so the per-car command lock and the shared
wake below really are shared by every caller of that car.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import partial
import logging
from typing import Any, Protocol

from .errors import (
    InvalidArgumentError,
    ResponseFormatError,
    SigningRequiredError,
    WakeTimeoutError,
)
from .models import CommandResult, VehicleSummary
from .transport import Transport
from .vehicle_commands import CHARGING_AMPS_MAX, VehicleCommands
from .vehicle_data import Section, VehicleData

_LOGGER = logging.getLogger(__name__)

WAKE_TIMEOUT_S = 60.0  # Tesla cars typically wake in 10-30 s
WAKE_FIRST_POLL_S = 2.0
WAKE_MAX_POLL_S = 10.0

type Sleep = Callable[[float], Awaitable[None]]
# Runs a command on the signed path: (REST command name, params) -> object with result/reason.
type SignedExecutor = Callable[[str, Mapping[str, Any]], Awaitable[Any]]


class CommandSigner(Protocol):
    """The account's signed-command path (the signing package's `SignedCommands`)."""

    async def execute(self, vin: str, command: str, params: Mapping[str, Any] | None = None) -> Any:
        """Sign and send one REST-named command; returns an object with result/reason."""


class VehicleApi(VehicleCommands):
    """Endpoints of one car."""

    def __init__(
        self,
        transport: Transport,
        vin: str,
        *,
        sleep: Sleep = asyncio.sleep,
        signer: Callable[[], CommandSigner | None] = lambda: None,
    ) -> None:
        """Bind to one VIN; `signer()` gives the account's signed path once it is set up."""
        self._transport = transport
        self.vin = vin
        self._path = f"/api/1/vehicles/{vin}"
        self._sleep = sleep
        # Tesla expects one command at a time per car; concurrent ones race in the car.
        self._command_lock = asyncio.Lock()
        self._wake: asyncio.Task[VehicleSummary] | None = None
        self._signed: SignedExecutor | None = None
        self._signer = signer
        # From the last summary Tesla gave (products, vehicles, state, wake_up).
        self.command_signing: str | None = None
        self._max_amps: int | None = None

    def note_summary(self, summary: VehicleSummary) -> VehicleSummary:
        """Remember what a summary says about the car (e.g. whether it needs signing)."""
        if summary.command_signing is not None:
            self.command_signing = summary.command_signing
        return summary

    # --- reading ----------------------------------------------------------------------------

    async def state(self) -> VehicleSummary:
        """`GET /vehicles/{vin}`: online/asleep/offline without waking the car."""
        response = await self._transport.request("GET", self._path)
        return self.note_summary(VehicleSummary.parse(response, path=self._path))

    async def vehicle_data(self, sections: Iterable[Section | str] | None = None) -> VehicleData:
        """Live data for the chosen sections (Tesla's default set when None); 408 if asleep."""
        path = f"{self._path}/vehicle_data"
        params: dict[str, str] | None = None
        if sections is not None:
            try:
                names = [Section(name).value for name in sections]
            except ValueError as err:
                raise InvalidArgumentError(f"unknown vehicle_data section: {err}") from None
            params = {"endpoints": ";".join(dict.fromkeys(names))}
        data = VehicleData.parse(
            await self._transport.request("GET", path, params=params), path=path
        )
        if data.charge_state is not None and data.charge_state.max_charging_amps:
            self._max_amps = data.charge_state.max_charging_amps
        return data

    async def mobile_enabled(self) -> bool:
        """Whether mobile access is enabled in the car."""
        return bool(await self._transport.request("GET", f"{self._path}/mobile_enabled"))

    async def nearby_charging_sites(self) -> Mapping[str, Any]:
        """Superchargers and destination chargers near the car (raw)."""
        response = await self._transport.request("GET", f"{self._path}/nearby_charging_sites")
        return response if isinstance(response, Mapping) else {}

    # --- waking -----------------------------------------------------------------------------

    async def wake_up(self) -> VehicleSummary:
        """`POST wake_up` (billed as a wake); the answer's state is usually not online yet."""
        path = f"{self._path}/wake_up"
        response = await self._transport.request("POST", path)
        return self.note_summary(VehicleSummary.parse(response, path=path))

    async def wait_until_online(self, max_wait: float = WAKE_TIMEOUT_S) -> VehicleSummary:
        """Wake the car unless it already is, then poll the free state until online.

        Concurrent callers share one wake and one wait. The bound counts the scheduled waits,
        not a clock, so a stalled clock can never make it endless. Raises WakeTimeoutError.
        """
        if self._wake is None:
            task = asyncio.get_running_loop().create_task(self._wake_and_wait(max_wait))
            task.add_done_callback(self._wake_done)
            self._wake = task
        return await asyncio.shield(self._wake)

    def _wake_done(self, task: asyncio.Task[VehicleSummary]) -> None:
        if self._wake is task:
            self._wake = None
        # Retrieve the outcome so a wake whose waiters all went away is not reported unhandled.
        if not task.cancelled():
            task.exception()

    async def _wake_and_wait(self, max_wait: float) -> VehicleSummary:
        summary = await self.state()
        if summary.online:
            return summary
        summary = await self.wake_up()
        waited = 0.0
        delay = WAKE_FIRST_POLL_S
        while not summary.online:
            if waited >= max_wait:
                raise WakeTimeoutError(
                    f"vehicle did not come online within {max_wait:g} s",
                    status=408,
                    path=f"{self._path}/wake_up",
                )
            step = min(delay, max_wait - waited)
            await self._sleep(step)
            waited += step
            delay = min(delay * 2, WAKE_MAX_POLL_S)
            summary = await self.state()
        _LOGGER.debug("vehicle online after %.0f s of waiting", waited)
        return summary

    # --- commands ---------------------------------------------------------------------------

    def use_signed_commands(self, executor: SignedExecutor | None) -> None:
        """Always route this car's commands through `executor` (None: decide as usual)."""
        self._signed = executor

    @property
    def signs_commands(self) -> bool:
        """Whether the next command goes over the signed path."""
        return self._executor() is not None

    def _executor(self) -> SignedExecutor | None:
        if self._signed is not None:
            return self._signed
        signer = self._signer()
        if signer is not None and self.command_signing == "required":
            return partial(signer.execute, self.vin)
        return None

    def charging_amps_limit(self) -> int:
        """The car's own maximum once `vehicle_data` reported it, else Tesla's 48 A."""
        return self._max_amps or CHARGING_AMPS_MAX

    async def command(self, name: str, params: Mapping[str, Any] | None = None) -> CommandResult:
        """Send one command (one at a time per car); `result: false` is returned, not raised.

        Signed when the car needs it and the account has a signer; a plain command that Tesla
        refuses for want of signing is sent once more, signed, and the car remembered.
        """
        body = dict(params or {})
        async with self._command_lock:
            if (executor := self._executor()) is not None:
                return CommandResult.from_outcome(await executor(name, body), command=name)
            path = f"{self._path}/command/{name}"
            try:
                response = await self._transport.request("POST", path, json_body=body)
            except SigningRequiredError:
                if self._signer() is None:
                    raise
                self.command_signing = "required"
                executor = self._executor()
                assert executor is not None
                return CommandResult.from_outcome(await executor(name, body), command=name)
            return CommandResult.parse(response, path=path, command=name)

    async def signed_command(self, routable_message: str) -> str:
        """`POST signed_command`: base64 RoutableMessage in, the car's base64 answer out.

        This is the transport the signing package's `SignedCommands(transport_for=...)` needs.
        """
        path = f"{self._path}/signed_command"
        response = await self._transport.request(
            "POST", path, json_body={"routable_message": routable_message}
        )
        if not isinstance(response, str):
            raise ResponseFormatError("signed_command answer is not base64 text", path=path)
        return response
