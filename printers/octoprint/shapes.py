"""Reading OctoPrint's JSON strictly: every field access checks the shape and
raises :class:`~printers.octoprint.errors.OctoPrintProtocolError` naming the
field, so garbage from a server never surfaces as ``KeyError`` or
``TypeError`` in the caller."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from printers.octoprint.errors import OctoPrintProtocolError

T = TypeVar("T")
JSONObject = Mapping[str, Any]


def obj(value: object, where: str, url: str = "") -> JSONObject:
    if not isinstance(value, Mapping):
        raise OctoPrintProtocolError(
            f"{where}: expected a JSON object, got {type(value).__name__}", url=url
        )
    return value


def field(data: JSONObject, key: str, kind: type[T], where: str, url: str = "") -> T:
    """``data[key]``, which must exist and be of ``kind``."""
    if key not in data:
        raise OctoPrintProtocolError(f"{where}: missing field {key!r}", url=url)
    return _check(data[key], kind, f"{where}.{key}", url)


def opt(data: JSONObject, key: str, kind: type[T], where: str, url: str = "") -> T | None:
    """``data[key]`` or None when absent or null; of ``kind`` otherwise."""
    value = data.get(key)
    if value is None:
        return None
    return _check(value, kind, f"{where}.{key}", url)


def number(data: JSONObject, key: str, where: str, url: str = "") -> float | None:
    """A JSON number (int or float, never a bool) or None."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OctoPrintProtocolError(
            f"{where}.{key}: expected a number, got {type(value).__name__}", url=url
        )
    return float(value)


def _check(value: object, kind: type[T], where: str, url: str) -> T:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # type: ignore[return-value]
    if kind is int and isinstance(value, bool):
        raise OctoPrintProtocolError(f"{where}: expected int, got bool", url=url)
    if kind is dict:
        return obj(value, where, url)  # type: ignore[return-value]
    if not isinstance(value, kind):
        raise OctoPrintProtocolError(
            f"{where}: expected {kind.__name__}, got {type(value).__name__}", url=url
        )
    return value
