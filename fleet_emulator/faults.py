"""Fault injection: make the next requests to a path misbehave in a chosen way."""

from __future__ import annotations

from dataclasses import dataclass
import fnmatch
from typing import Any


@dataclass
class Fault:
    """One rule; `remaining` counts down as matching requests consume it."""

    path_glob: str
    status: int | None
    remaining: int
    retry_after: float | None = None
    body: Any = None
    malformed: bool = False
    drop: bool = False
    latency: float = 0.0

    def matches(self, path: str, regionless: str) -> bool:
        """Globs match the full path or the path without its region prefix."""
        return fnmatch.fnmatchcase(path, self.path_glob) or fnmatch.fnmatchcase(
            regionless, self.path_glob
        )


class Faults:
    """The active rules, first match wins."""

    def __init__(self) -> None:
        """No faults."""
        self.rules: list[Fault] = []

    def inject(
        self,
        path_glob: str,
        status: int | None = None,
        count: int = 1,
        *,
        retry_after: float | None = None,
        body: Any = None,
        malformed: bool = False,
        drop: bool = False,
        latency: float = 0.0,
    ) -> Fault:
        """Make the next `count` requests matching `path_glob` fail as described.

        `status=None` with `latency` only delays the real answer; `malformed` sends broken
        JSON (with `status`, default 200); `drop` closes the connection without answering.
        A 429 without `retry_after` gets `Retry-After: 30`.
        """
        if status == 429 and retry_after is None:
            retry_after = 30
        if count < 1:
            raise ValueError("count must be at least 1")
        fault = Fault(path_glob, status, count, retry_after, body, malformed, drop, latency)
        self.rules.append(fault)
        return fault

    def take(self, path: str, regionless: str) -> Fault | None:
        """The first rule matching this request, consumed once."""
        for fault in self.rules:
            if fault.matches(path, regionless):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.rules.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        """Remove every rule."""
        self.rules.clear()
