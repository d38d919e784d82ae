"""Where a command runs: wake the car if needed, send it, turn Tesla's answer into HA's terms.

Entities and actions hand `VehicleCommander.async_send` (cars) or `async_run_site_command`
(energy sites) a call of the API's typed command methods, which check their arguments before
anything is sent; nothing else talks to the command endpoints, so waking, retrying and error
wording are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
import time
from typing import Any

from homeassistant.core import HomeAssistant

from .api.errors import VehicleUnavailableError
from .api.models import CommandResult
from .api.vehicle import VehicleApi
from .api.vehicle_commands import VehicleCommands
from .command_errors import CarIdentity, CommandErrors
from .const import LOGGER
from .signing_repairs import async_clear_key_not_paired_issue

type Updates = Mapping[str, Mapping[str, Any]]
# One typed command of the car, e.g. `lambda car: car.set_charge_limit(80)`.
type VehicleCall = Callable[[VehicleCommands], Awaitable[CommandResult]]
# A car believed online is sent a command at once: one request, no state check. It is believed
# online for this long after it answered a command or a wake found it online, and while the
# coordinator's latest look found it online, until that look's successor is due (plus this long
# for a late timer). Any other car gets the free state check first and is woken only if it is
# not online. A 408 (asleep after all) wakes the car the same way and the command is tried once
# more. Guessing wrong costs one command request (1,000 per $1), less than the state check it
# saves on every press under the billed reading of the state endpoints (500 per $1).
ONLINE_TRUST_S = 60.0


class VehicleCommander:
    """Runs commands for one car (the client shares one wake per car among all callers).

    While the account waits out a 429, the client's transport refuses every request unsent
    (`RateLimitWaitError`), so a press then costs nothing and says how long to wait.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        vehicle: VehicleApi,
        car: CarIdentity,
        *,
        on_success: Callable[[Updates | None], Awaitable[None]] | None = None,
        location: Callable[[], tuple[float, float] | None] | None = None,
        online_until: Callable[[], float | None] | None = None,
    ) -> None:
        """`on_success(updates)` shows the command's effect at once and asks for a refresh.

        `online_until()` is the time until which the car's polling vouches for it being online
        (None: it does not, e.g. its latest look found the car asleep).
        """
        self.hass = hass
        self._vehicle = vehicle
        self.car = car
        self._errors = CommandErrors(hass, car.name, car)
        self._on_success = on_success
        self._location = location
        self._online_until = online_until
        # When the car itself last answered a command, or a state check or wake found it online.
        self._answered_at: float | None = None

    def believed_online(self) -> bool:
        """Whether a command can go to the car at once (see `ONLINE_TRUST_S`)."""
        now = time.time()
        if self._answered_at is not None and now - self._answered_at <= ONLINE_TRUST_S:
            return True
        until = self._online_until() if self._online_until is not None else None
        return until is not None and now <= until

    def location(self) -> tuple[float, float] | None:
        """Where the car last reported itself (HomeLink, windows and schedules need it)."""
        return self._location() if self._location is not None else None

    async def async_send(self, call: VehicleCall, *, updates: Updates | None = None) -> None:
        """Run `call` on the car, waking it first if it may be asleep; map the answer.

        A car believed online gets the command at once (one request); any other is checked
        first (free state check) and woken only if it is not online.
        `updates` are the vehicle data fields the command changes (by section); they are shown
        at once on success, before the confirming refresh.
        """
        with self._errors:
            if not self.believed_online():
                await self._ensure_online()
            try:
                result = await call(self._vehicle)
            except VehicleUnavailableError:
                # Asleep after all (it fell asleep since it was seen, or was misreported): the
                # state check wakes it only if it really is not online; try exactly once more.
                LOGGER.debug("%s answered 408; waking and retrying", self.car.name)
                self._answered_at = None
                await self._ensure_online()
                result = await call(self._vehicle)
            # Whatever it said, the car answered: it is online.
            self._answered_at = time.time()
        self._errors.check(result)
        if self.car.app_domain is not None:
            async_clear_key_not_paired_issue(self.hass, self.car.vin)
        if self._on_success is not None:
            await self._on_success(updates)

    async def async_wake_up(self) -> None:
        """Wake the car (if a fresh state check says it sleeps) and wait until it is online."""
        with self._errors:
            await self._ensure_online()
        if self._on_success is not None:
            await self._on_success(None)

    async def _ensure_online(self) -> None:
        await self._vehicle.wait_until_online()
        self._answered_at = time.time()


async def async_run_site_command(
    hass: HomeAssistant, site_name: str, call: Awaitable[CommandResult]
) -> None:
    """Run an energy-site command (sites never sleep), mapping failures for the user."""
    errors = CommandErrors(hass, site_name)
    with errors:
        result = await call
    errors.check(result)
