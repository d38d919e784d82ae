"""Tolerant field readers: a missing or mistyped optional field becomes None, never a crash."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def as_mapping(value: Any) -> Mapping[str, Any]:
    """`value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def opt_str(data: Mapping[str, Any], key: str) -> str | None:
    """A string field."""
    value = data.get(key)
    return value if isinstance(value, str) else None


def opt_bool(data: Mapping[str, Any], key: str) -> bool | None:
    """A boolean field (Tesla sometimes sends 0/1)."""
    value = data.get(key)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def opt_float(data: Mapping[str, Any], key: str) -> float | None:
    """A numeric field."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def opt_int(data: Mapping[str, Any], key: str) -> int | None:
    """An integer field (floats are truncated, as Tesla mixes them)."""
    value = opt_float(data, key)
    return None if value is None else int(value)


def opt_id(data: Mapping[str, Any], key: str) -> int | None:
    """An id Tesla sends as a number or a numeric string."""
    value = data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
