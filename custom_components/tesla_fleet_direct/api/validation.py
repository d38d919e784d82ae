"""Argument checks that run before a request is sent (InvalidArgumentError, nothing on the wire)."""

from __future__ import annotations

from collections.abc import Collection
import math
from typing import Any

from .errors import InvalidArgumentError


def check_int(name: str, value: Any, low: int, high: int) -> int:
    """An integer in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{name} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise InvalidArgumentError(f"{name} must be from {low} to {high}, got {value}")
    return value


def check_number(name: str, value: Any, low: float, high: float) -> float:
    """A finite number in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidArgumentError(f"{name} must be a number, got {value!r}")
    if not low <= value <= high:
        raise InvalidArgumentError(f"{name} must be from {low:g} to {high:g}, got {value:g}")
    return float(value)


def check_choice[T](name: str, value: T, choices: Collection[T]) -> T:
    """One of a fixed set (booleans never pass for numbers)."""
    if isinstance(value, bool) or value not in choices:
        raise InvalidArgumentError(f"{name} must be one of {sorted(map(str, choices))}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """A real boolean (not 0/1, which Tesla rejects for flags)."""
    if not isinstance(value, bool):
        raise InvalidArgumentError(f"{name} must be true or false, got {value!r}")
    return value


def check_pin(name: str, value: Any) -> str:
    """A four-digit PIN."""
    text = str(value)
    if len(text) != 4 or not text.isdigit():
        raise InvalidArgumentError(f"{name} must be 4 digits")
    return text


def check_text(name: str, value: Any, *, max_length: int) -> str:
    """Non-blank text of at most `max_length` characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise InvalidArgumentError(f"{name} must be 1-{max_length} characters")
    return value


def check_coordinates(lat: Any, lon: Any) -> tuple[float, float]:
    """A WGS84 position."""
    return check_number("lat", lat, -90.0, 90.0), check_number("lon", lon, -180.0, 180.0)


def check_minutes(name: str, value: Any) -> int:
    """Minutes after midnight."""
    return check_int(name, value, 0, 1439)
