"""The benchmark's scenarios as emulator documents plus the actions the emulator has no event for."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

HOUR = 3600.0
DAY = 24 * HOUR
HOME = (37.4925, -121.9447)
WORK = (37.3947, -122.1503)
SITE_ID_BASE = 2252180000000001
SLEEP_MODELS = ("strict", "modern")


@dataclass(frozen=True)
class Action:
    """Set a car attribute at an offset from the start (Sentry mode has no scenario event)."""

    at: float
    vin: str
    attribute: str
    value: Any


@dataclass(frozen=True)
class Press:
    """Lock (or unlock) a car's doors from the dashboard at an offset from the start."""

    at: float
    vin: str
    lock: bool


@dataclass(frozen=True)
class BenchScenario:
    """One scenario: the emulator document (times relative to midnight) and how long it runs."""

    name: str
    days: int
    vehicles: tuple[dict[str, Any], ...]
    sites: tuple[dict[str, Any], ...] = ()
    events: tuple[dict[str, Any], ...] = ()
    actions: tuple[Action, ...] = ()
    presses: tuple[Press, ...] = ()
    # Scale runs measure Home Assistant's cost only; their costs are not summed.
    scale: bool = False
    # False: a measurement scenario whose costs are left out of the summed-cost target.
    costed: bool = True
    # Fixed emulator latency (real seconds per request), for the command round trip.
    latency_s: float = 0.0
    # Shorter than `days` (simulated seconds), for a measurement that needs only hours.
    duration_s: float | None = None
    # The integration's options (Configure) for ours; the defaults when empty.
    options: dict[str, Any] = field(default_factory=dict)
    # Streaming side: the telemetry server goes down / comes back at these offsets.
    stream_down_at: float | None = None
    stream_up_at: float | None = None
    # Measured on the streaming side only (a stream stop means nothing to polling).
    streaming_only: bool = False
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def vins(self) -> list[str]:
        """The cars' VINs."""
        return [str(v["vin"]) for v in self.vehicles]

    @property
    def site_ids(self) -> list[int]:
        """The energy sites' ids."""
        return [int(s["energy_site_id"]) for s in self.sites]

    def document(self, sleep_model: str) -> dict[str, Any]:
        """The emulator scenario (default clients; one `owner` account owning everything)."""
        return {
            "accounts": [
                {
                    "account_id": "owner",
                    "region": "na",
                    "vehicles": self.vins,
                    "sites": self.site_ids,
                }
            ],
            "vehicles": [{**v, "sleep_model": sleep_model} for v in self.vehicles],
            "sites": list(self.sites),
            "events": list(self.events),
        }


def vin(n: int) -> str:
    """A 17-character VIN for car number n."""
    return f"5YJ3E7EB0KF{n:06d}"


def car(n: int, **overrides: Any) -> dict[str, Any]:
    """A Model 3 that starts the day asleep at home."""
    return {
        "vin": vin(n),
        "id": 1492931337150000 + n,
        "vehicle_id": 1234560000 + n,
        "display_name": f"Car {n}",
        "asleep_at_start": True,
        "latitude": HOME[0],
        "longitude": HOME[1],
        **overrides,
    }


def site(n: int, connector_vin: str | None = None) -> dict[str, Any]:
    """A Powerwall home with solar (and a wall connector for `connector_vin`)."""
    connectors = (
        [
            {
                "din": f"1457768-02-G--PGT2100{n:04d}",
                "serial_number": f"PGT2100{n:04d}",
                "vin": connector_vin,
            }
        ]
        if connector_vin
        else []
    )
    return {
        "energy_site_id": SITE_ID_BASE + n,
        "id": f"STE20230501-{n:05d}",
        "site_name": f"Home {n}",
        "wall_connectors": connectors,
    }


def _at(seconds: float) -> str:
    return f"+{seconds:.0f}"


def commute_events(
    v: str, *, shift: float = 0.0, repeat: bool = False, charge_at: float = 18.5 * HOUR
) -> list[dict[str, Any]]:
    """Get in 07:35, drive 40 min to work, drive 40 min home at 17:30, plug in at `charge_at`."""
    extra: dict[str, Any] = {"repeat": "daily"} if repeat else {}
    return [
        {
            "kind": "user_present",
            "vin": v,
            "at": _at(7.58 * HOUR + shift),
            "until": "+300",
            **extra,
        },
        {
            "kind": "drive",
            "vin": v,
            "at": _at(7 * HOUR + 40 * 60 + shift),
            "until": "+2400",
            "params": {"to": list(WORK)},
            **extra,
        },
        {
            "kind": "drive",
            "vin": v,
            "at": _at(17.5 * HOUR + shift),
            "until": "+2400",
            "params": {"to": list(HOME)},
            **extra,
        },
        {"kind": "plug_in", "vin": v, "at": _at(charge_at + shift), **extra},
    ]


# Battery 45 % with a 70 % limit: after the two drives the evening charge takes about 3 h.
COMMUTER_CAR = {"battery_level": 45.0, "charge_limit_soc": 70}


def commuter() -> BenchScenario:
    """Night asleep, 40 min drives morning and evening, parked at work, charges ~3 h at home."""
    return BenchScenario(
        "commuter", 1, (car(1, **COMMUTER_CAR),), events=tuple(commute_events(vin(1)))
    )


# The cheapest settings the options allow short of turning polling off: every read 10 min
# apart, data requests stop 5 min after parking, a state check every 30 min.
LOWEST_COST_OPTIONS = {
    "active_interval": 600,
    "charging_interval": 600,
    "idle_interval": 600,
    "idle_timeout": 5,
    "asleep_interval": 1800,
}


def commuter_lowest_cost() -> BenchScenario:
    """The commuter day with the lowest-cost settings (README's cost table)."""
    return replace(
        commuter(), name="commuter, lowest cost", options=LOWEST_COST_OPTIONS, costed=False
    )


def sentry_day() -> BenchScenario:
    """As commuter, but Sentry mode on for the 9 h parked at work (the car stays online)."""
    arrive = 8 * HOUR + 20 * 60
    return BenchScenario(
        "sentry day",
        1,
        (car(1, **COMMUTER_CAR),),
        events=tuple(commute_events(vin(1))),
        actions=(
            Action(arrive, vin(1), "sentry_mode", True),
            Action(arrive + 9 * HOUR, vin(1), "sentry_mode", False),
        ),
    )


def parked_week() -> BenchScenario:
    """Seven days without use."""
    return BenchScenario("parked week", 7, (car(1),))


def road_trip() -> BenchScenario:
    """Three 80 min legs (4 h of driving) with two 30 min charging stops."""
    legs = [(37.0, -121.5), (36.4, -121.0), (35.8, -120.5)]
    events: list[dict[str, Any]] = []
    t = 8 * HOUR
    for i, to in enumerate(legs):
        events.append(
            {
                "kind": "drive",
                "vin": vin(1),
                "at": _at(t),
                "until": "+4800",
                "params": {"to": list(to)},
            }
        )
        t += 4800
        if i < len(legs) - 1:
            events.append({"kind": "plug_in", "vin": vin(1), "at": _at(t + 60)})
            t += 1800
    return BenchScenario(
        "road trip", 1, (car(1, battery_level=95.0, charge_limit_soc=90),), events=tuple(events)
    )


def solar_home() -> BenchScenario:
    """A sunny day at an energy site; the car charges on the wall connector around noon."""
    return BenchScenario(
        "solar home",
        1,
        (car(1, battery_level=40.0, charge_limit_soc=80),),
        sites=(site(1, vin(1)),),
        events=(
            {"kind": "plug_in", "vin": vin(1), "at": _at(10 * HOUR)},
            {"kind": "unplug", "vin": vin(1), "at": _at(15 * HOUR)},
        ),
    )


def two_cars(days: int = 30) -> BenchScenario:
    """Two commuter cars on one account with the default budget, for a 30-day month (`--week`:
    7 days, projected to the month)."""
    events = commute_events(vin(1), repeat=True) + commute_events(vin(2), shift=1800, repeat=True)
    return BenchScenario(
        "two cars",
        days,
        (car(1, **COMMUTER_CAR), car(2, **COMMUTER_CAR)),
        events=tuple(events),
    )


def scale(vehicles: int, sites: int = 5) -> BenchScenario:
    """`vehicles` commuters (start times spread over an hour) plus `sites` energy sites."""
    cars = tuple(car(n, **COMMUTER_CAR) for n in range(1, vehicles + 1))
    events: list[dict[str, Any]] = []
    for n in range(1, vehicles + 1):
        events += commute_events(vin(n), shift=(n * 67) % 3600)
    return BenchScenario(
        f"scale {vehicles}+{sites}",
        1,
        cars,
        sites=tuple(site(n) for n in range(1, sites + 1)),
        events=tuple(events),
        scale=True,
    )


def command_round_trip() -> BenchScenario:
    """An awake car (someone in it) locked and unlocked from the dashboard every 13 minutes for
    two hours, with every request to the emulator taking 100 ms."""
    # Someone in the car unlocked it: the first press locks.
    presses = tuple(Press(5 * 60 + n * 13 * 60, vin(1), lock=n % 2 == 0) for n in range(9))
    return BenchScenario(
        "command round trip",
        1,
        (car(1, asleep_at_start=False),),
        events=({"kind": "user_present", "vin": vin(1), "at": "+0", "until": _at(2.5 * HOUR)},),
        presses=presses,
        costed=False,
        latency_s=0.1,
        duration_s=2.5 * HOUR,
    )


def stream_stopped_charging() -> BenchScenario:
    """The commuter day, streaming; the telemetry server goes down 40 minutes into the evening
    charge (away from the integration's hourly residual read, so what follows the stop is its
    reaction) and comes back an hour later."""
    down = 18.5 * HOUR + 40 * 60
    return replace(
        commuter(),
        name="stream stopped, charging",
        stream_down_at=down,
        stream_up_at=down + 3600,
        streaming_only=True,
        costed=False,
    )


def stream_stopped_parked() -> BenchScenario:
    """The commuter day, streaming; the telemetry server goes down halfway through the day
    (noon, the car parked at work) and stays down: the drive home and the charge are missed by
    the stream."""
    return replace(
        commuter(),
        name="stream stopped, parked",
        stream_down_at=12 * HOUR,
        streaming_only=True,
        costed=False,
    )


def all_scenarios(*, week: bool = False) -> list[BenchScenario]:
    """Every scenario the benchmark runs, in report order."""
    return [
        commuter(),
        commuter_lowest_cost(),
        sentry_day(),
        parked_week(),
        road_trip(),
        solar_home(),
        two_cars(7 if week else 30),
        command_round_trip(),
        stream_stopped_charging(),
        stream_stopped_parked(),
        scale(1),
        scale(10),
        scale(50),
    ]
