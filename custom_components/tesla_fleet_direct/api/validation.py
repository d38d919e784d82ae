"""Argument checks that run before a request is sent (InvalidArgumentError, nothing on the wire)."""

from __future__ import annotations

from collections.abc import Collection
import math
import re
from typing import Any
import unicodedata

from .errors import InvalidArgumentError

# A PIN (valet, speed limit, PIN to drive) is four ASCII digits; `str.isdigit` would also let
# through full-width or Arabic-Indic digits, which the car's keypad cannot enter.
PIN_PATTERN = re.compile(r"[0-9]{4}")
# Unicode categories refused in text sent to the car: control characters (line breaks, tabs,
# escape codes) and lone surrogates, which cannot even be encoded as UTF-8.
REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})


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


def is_pin(value: object) -> bool:
    """Whether `value` is a PIN: exactly four ASCII digits."""
    return isinstance(value, str) and PIN_PATTERN.fullmatch(value) is not None


def check_pin(name: str, value: Any) -> str:
    """A four-digit PIN (ASCII digits only)."""
    if not is_pin(value):
        raise InvalidArgumentError(f"{name} must be 4 digits (0-9)")
    return str(value)


def has_control_characters(text: str) -> bool:
    """Whether `text` holds a control character or a lone surrogate."""
    return any(unicodedata.category(char) in REFUSED_CATEGORIES for char in text)


def check_text(name: str, value: Any, *, max_length: int) -> str:
    """Text of 1 to `max_length` characters once trimmed, without control characters."""
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{name} must be text, got {type(value).__name__}")
    text = value.strip()
    if not text or len(text) > max_length:
        raise InvalidArgumentError(f"{name} must be 1-{max_length} characters")
    if has_control_characters(text):
        raise InvalidArgumentError(f"{name} must not contain control characters")
    return text


def check_coordinates(lat: Any, lon: Any) -> tuple[float, float]:
    """A WGS84 position."""
    return check_number("lat", lat, -90.0, 90.0), check_number("lon", lon, -180.0, 180.0)


def check_minutes(name: str, value: Any) -> int:
    """Minutes after midnight."""
    return check_int(name, value, 0, 1439)
