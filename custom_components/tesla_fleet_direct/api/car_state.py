"""What is known about one car: each `vehicle_data` field with when it was observed and by whom.

A poll, a command's expected effect and the telemetry stream all feed the same state;
a field takes a new value only from an observation at least as recent as the one it holds, so
a late record never overwrites a newer value whatever its source. Readers use the typed
sections of `vehicle_data.py` (`car.charge.battery_level`) and never learn the source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .vehicle_data import (
    ChargeState,
    ClimateState,
    DriveState,
    GuiSettings,
    Location,
    Section,
    VehicleConfig,
    VehicleStateSection,
    _SectionData,
)

SOURCE_POLL = "poll"
SOURCE_COMMAND = "command"
SOURCE_STREAM = "stream"


@dataclass(frozen=True, slots=True)
class Observation:
    """One field's value as Tesla sent it (or a command is expected to make it)."""

    value: Any
    observed_at: float  # epoch seconds
    source: str


class CarState:
    """One car's fields by section; immutable, `updated` returns the next state.

    Typed sections are built from the held values on first use and kept with this state, so
    they are parsed once per update however many entities read them.
    """

    __slots__ = ("_fields", "_typed")

    def __init__(self, fields: Mapping[str, Mapping[str, Observation]] | None = None) -> None:
        """A state holding `fields` (section -> key -> observation); empty by default."""
        self._fields: Mapping[str, Mapping[str, Observation]] = fields or {}
        self._typed: dict[str, _SectionData] = {}

    def updated(self, sections: Mapping[str, Any], *, observed_at: float, source: str) -> CarState:
        """This state with the fields of `sections` that are not older than those held.

        `sections` maps section names to objects of fields (a `vehicle_data` answer; values
        that are not objects, such as the answer's `vin`, are not sections and are skipped).
        A section observed with no fields at all still counts as fetched.
        """
        fields = dict(self._fields)
        for name, values in sections.items():
            if not isinstance(values, Mapping):
                continue
            held = fields.get(name, {})
            merged = dict(held)
            for key, value in values.items():
                previous = held.get(key)
                if previous is None or previous.observed_at <= observed_at:
                    merged[key] = Observation(value, observed_at, source)
            fields[name] = merged
        return CarState(fields)

    @property
    def empty(self) -> bool:
        """Whether nothing at all is known yet."""
        return not self._fields

    def has(self, section: str) -> bool:
        """Whether anything of `section` has been observed."""
        return section in self._fields

    def observed_at(self, section: str, key: str) -> float | None:
        """When the held value of one field was observed (None: never)."""
        found = self._fields.get(section, {}).get(key)
        return found.observed_at if found is not None else None

    def value(self, section: str, key: str) -> Any:
        """The held value of one field as Tesla sent it (None: never observed)."""
        found = self._fields.get(section, {}).get(key)
        return found.value if found is not None else None

    def source(self, section: str, key: str) -> str | None:
        """Which source the held value of one field came from (None: never observed)."""
        found = self._fields.get(section, {}).get(key)
        return found.source if found is not None else None

    def sections(self) -> dict[str, dict[str, Any]]:
        """Every held value by section, as Tesla sends them (diagnostics)."""
        return {
            name: {key: item.value for key, item in values.items()}
            for name, values in self._fields.items()
        }

    def _section[T: _SectionData](self, kind: type[T], name: str) -> T:
        cache_key = f"{kind.__name__}:{name}"
        found = self._typed.get(cache_key)
        if isinstance(found, kind):
            return found
        values = self._fields.get(name, {})
        typed = kind.parse({key: item.value for key, item in values.items()})
        self._typed[cache_key] = typed
        return typed

    @property
    def charge(self) -> ChargeState:
        """`charge_state` (every field None until observed)."""
        return self._section(ChargeState, Section.CHARGE_STATE)

    @property
    def climate(self) -> ClimateState:
        """`climate_state`."""
        return self._section(ClimateState, Section.CLIMATE_STATE)

    @property
    def drive(self) -> DriveState:
        """`drive_state` without the location fields."""
        return self._section(DriveState, Section.DRIVE_STATE)

    @property
    def location(self) -> Location:
        """The location fields of `drive_state` (only with `location_data` and the scope)."""
        return self._section(Location, Section.DRIVE_STATE)

    @property
    def vehicle(self) -> VehicleStateSection:
        """`vehicle_state`: locks, closures, software, media."""
        return self._section(VehicleStateSection, Section.VEHICLE_STATE)

    @property
    def config(self) -> VehicleConfig:
        """`vehicle_config`: what the car is fitted with."""
        return self._section(VehicleConfig, Section.VEHICLE_CONFIG)

    @property
    def gui(self) -> GuiSettings:
        """`gui_settings`: the units the owner chose."""
        return self._section(GuiSettings, Section.GUI_SETTINGS)

    def __repr__(self) -> str:
        """Sections and field counts (values may be private: positions)."""
        counts = ", ".join(f"{name}: {len(values)}" for name, values in self._fields.items())
        return f"CarState({counts})"
