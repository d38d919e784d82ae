"""Everything simulated, brought up to the clock's time on demand (no background tasks)."""

from __future__ import annotations

import bisect
from collections.abc import Callable
import math

from .energy import Site
from .scenario import AccountSpec, EventSpec, Scenario
from .signing import VehicleSecurity
from .vehicle import Vehicle

DEFAULT_PRESENCE_S = 600.0
DEFAULT_DRIVE_S = 1800.0
# How far back an energy site's history is simulated at start, so day/week views have data.
HISTORY_BACKFILL_S = 2 * 24 * 3600.0


class World:
    """Accounts, vehicles and sites, plus the scenario's timeline of events."""

    def __init__(self, scenario: Scenario, clock: Callable[[], float]) -> None:
        """Build the simulated objects at the clock's current time."""
        now = clock()
        self.clock = clock
        self.scenario = scenario
        self.accounts: dict[str, AccountSpec] = {a.account_id: a for a in scenario.accounts}
        self.vehicles: dict[str, Vehicle] = {
            spec.vin: Vehicle.from_spec(spec, now) for spec in scenario.vehicles
        }
        self.security: dict[str, VehicleSecurity] = {
            spec.vin: VehicleSecurity(spec.vin, clock)
            for spec in scenario.vehicles
            if spec.command_signing != "off"
        }
        self.sites: dict[int, Site] = {}
        for spec in scenario.sites:
            site = Site.from_spec(
                spec, now - HISTORY_BACKFILL_S, self._wall_connector_power, self._car_plugged_in
            )
            self.sites[spec.energy_site_id] = site
        self.pending: list[EventSpec] = []
        recent: list[EventSpec] = []
        for event in scenario.events:
            if event.repeat_s is not None:
                last = _latest_before(event, now)
                if last is not None:
                    recent.append(last)
            # A repeating event that began before start joins at its next occurrence.
            while event.at < now and event.repeat_s is not None:
                event = event.next() or event
            if event.at >= now:
                bisect.insort(self.pending, event, key=lambda e: e.at)
        # A routine is already under way at start: the cars are where it says they are now.
        for event in sorted(recent, key=lambda e: e.at):
            self._settle(event, now)
        # The backfill runs without cars: they did not exist before the emulator started.
        self._cars_ready = False
        for site in self.sites.values():
            site.advance(now)
        self._cars_ready = True

    def _wall_connector_power(self, vin: str | None) -> float:
        if not self._cars_ready or vin is None or vin not in self.vehicles:
            return 0.0
        return self.vehicles[vin].charger_power_kw * 1000

    def _car_plugged_in(self, vin: str | None) -> bool:
        """Whether a wall connector's car has its cable in (the connector then names it)."""
        if not self._cars_ready or vin is None or vin not in self.vehicles:
            return False
        return self.vehicles[vin].plugged_in

    def account_for(self, account_id: str | None) -> AccountSpec | None:
        """The account behind a token."""
        return None if account_id is None else self.accounts.get(account_id)

    def advance(self) -> float:
        """Run every object and due event up to now; returns now."""
        now = self.clock()
        while self.pending and self.pending[0].at <= now:
            event = self.pending.pop(0)
            self._run_until(event.at)
            self.apply_event(event)
            following = event.next()
            if following is not None:
                bisect.insort(self.pending, following, key=lambda e: e.at)
        self._run_until(now)
        return now

    def _run_until(self, t: float) -> None:
        # Cars first: the sites read the cars' charging power over the same interval.
        for vehicle in self.vehicles.values():
            vehicle.advance(t)
        for site in self.sites.values():
            site.advance(t)

    def _settle(self, event: EventSpec, now: float) -> None:
        """Apply the lasting outcome of an occurrence that happened before start.

        Nothing is simulated for the time before start (no odometer, no energy): a drive
        that ended leaves the car at its destination, one still under way is joined midway.
        """
        if event.kind == "drive":
            vehicle = self.vehicles[event.target]
            destination = _destination(event)
            until = event.until or event.at + DEFAULT_DRIVE_S
            if until <= now:
                vehicle.unplug()
                vehicle.latitude, vehicle.longitude = destination
                return
            vehicle.start_drive(destination, until)
            if vehicle.drive is not None:
                vehicle.drive.start = event.at
                vehicle.latitude, vehicle.longitude = vehicle.drive.position(now)
        elif event.kind in ("user_present", "user_leaves"):
            if event.kind == "user_present" and (event.until or 0.0) > now:
                self.apply_event(event)
        else:
            self.apply_event(event)

    def apply_event(self, event: EventSpec) -> None:
        """Make one scheduled thing happen (at the objects' current time)."""
        if event.kind in ("grid_outage", "grid_restored"):
            site = self.sites[int(event.target)]
            up = event.kind == "grid_restored"
            site.set_grid(up)
            if not site.has_battery:
                # No Powerwall behind it: the wall connector goes dark and the car plugged
                # into it reports charging_state "NoPower" until the grid is back.
                for connector in site.spec.wall_connectors:
                    if connector.vin in self.vehicles:
                        self.vehicles[connector.vin].set_charger_power(up)
            return
        vehicle = self.vehicles[event.target]
        match event.kind:
            case "drive":
                until = event.until or vehicle.now + DEFAULT_DRIVE_S
                vehicle.start_drive(_destination(event), until)
            case "plug_in":
                vehicle.plug_in()
            case "unplug":
                vehicle.wake_now()
                vehicle.unplug()
            case "user_present":
                vehicle.user_enters(event.until or vehicle.now + DEFAULT_PRESENCE_S)
            case "user_leaves":
                vehicle.user_present_until = vehicle.now
                vehicle.touch()
            case "go_offline":
                vehicle.set_connectivity(False)
            case "come_online":
                vehicle.set_connectivity(True)


def _destination(event: EventSpec) -> tuple[float, float]:
    """Where a drive event goes (`to: [lat, lon]`, or `latitude`/`longitude`)."""
    to = event.params.get("to") or [event.params.get("latitude"), event.params.get("longitude")]
    return (float(to[0]), float(to[1]))


def _latest_before(event: EventSpec, now: float) -> EventSpec | None:
    """The repeating event's most recent occurrence before `now` (within one period)."""
    if event.repeat_s is None:
        return None
    periods = math.ceil((event.at - now) / event.repeat_s)
    last = event.shifted(-periods * event.repeat_s) if periods else event
    while last.at >= now:
        last = last.shifted(-event.repeat_s)
    while last.at + event.repeat_s < now:
        last = last.shifted(event.repeat_s)
    return last
