"""Pure derivations for a job's history row: the normalised failure reason,
the profile label, the filament used, the day number and, for jobs that ran
before durations were recorded, the heating time read off the temperature
trace."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

DAY = 86400.0

_KNOWN_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"thermal[- ]runaway", re.I), "thermal runaway"),
    (re.compile(r"reset itself|firmware reset|\breset\b", re.I), "printer reset"),
    (re.compile(r"heating failed|heat(ing)? fail", re.I), "heating failed"),
    (re.compile(r"min ?temp|max ?temp", re.I), "temperature out of range"),
    (re.compile(r"emergency stop", re.I), "emergency stop"),
    (re.compile(r"cancelled by the user|^cancel", re.I), "cancelled by the user"),
    (re.compile(r"disconnected|unplugged", re.I), "printer disconnected"),
    (re.compile(r"connection was closed", re.I), "connection closed"),
    (re.compile(r"crash or power cut|Layerline stopped", re.I), "Layerline stopped"),
    (re.compile(r"halted|killed|\bkill\b", re.I), "printer halted"),
    (re.compile(r"no answer|silent|timed? ?out", re.I), "printer silent"),
)


def reason_key(outcome: str, reason: str | None, verdict: str | None,
               verdict_reason: str | None) -> str:
    """A short, stable key for grouping why a job did not succeed ('' for a
    success).  The user's own reason for a bad verdict wins; otherwise the
    recorded reason is matched against the known causes, or its first
    clause is kept."""
    if outcome == "completed" and verdict != "bad":
        return ""
    if verdict == "bad" and verdict_reason and verdict_reason.strip():
        return "bad print: " + _clip(verdict_reason.strip().lower(), 60)
    text = (reason or "").strip()
    for pattern, key in _KNOWN_REASONS:
        if pattern.search(text):
            return key
    if not text:
        return {"failed": "failed (no reason given)", "cancelled": "cancelled",
                "interrupted": "interrupted", "completed": "bad print"}.get(outcome, outcome)
    return _clip(text.split(":", 1)[0].strip().lower(), 60)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def profile_label(settings: Mapping[str, Any] | None) -> str:
    """The profile a job printed with: the slicer's print preset when it has
    one, else the settings that matter most ('0.20 mm, 0.4 nozzle').  ''
    when nothing is known."""
    if not settings:
        return ""
    preset = settings.get("print_preset")
    if isinstance(preset, str) and preset.strip():
        return _clip(preset.strip(), 200)
    bits = []
    lh = settings.get("layer_height")
    if isinstance(lh, int | float):
        bits.append(f"{lh:.2f} mm")
    nz = settings.get("nozzle_diameter")
    if isinstance(nz, int | float):
        bits.append(f"{nz:g} nozzle")
    infill = settings.get("infill_density")
    if isinstance(infill, int | float):
        bits.append(f"{infill:g}% infill")
    return ", ".join(bits)


def material_of(settings: Mapping[str, Any] | None) -> str:
    if not settings:
        return ""
    for key in ("material", "material_preset"):
        value = settings.get(key)
        if isinstance(value, str) and value.strip():
            return _clip(value.strip(), 100)
    return ""


def filament_used(estimate_mm: float | None, outcome: str, bytes_confirmed: int,
                  bytes_total: int) -> float | None:
    """Filament used: the slicer's estimate, in proportion to the part of the
    file the printer confirmed (all of it for a completed job)."""
    if estimate_mm is None:
        return None
    if outcome == "completed":
        return estimate_mm
    if bytes_total <= 0:
        return None
    return estimate_mm * max(0.0, min(1.0, bytes_confirmed / bytes_total))


def day_of(ts: float) -> int:
    """UTC days since 1970-01-01."""
    return int(ts // DAY)


def heating_from_trace(samples: Iterable[tuple[float, str, float | None, float | None]],
                       tolerance: float = 3.0) -> float | None:
    """Seconds from the start of a job until every heater with a target had
    reached it (within ``tolerance``), from a recorded temperature trace;
    None when the trace does not show it."""
    by_time: dict[float, dict[str, tuple[float | None, float | None]]] = {}
    for t, sensor, actual, target in samples:
        by_time.setdefault(t, {})[sensor] = (actual, target)
    for t in sorted(by_time):
        readings = by_time[t]
        heating = [(a, tg) for a, tg in readings.values() if tg is not None and tg > 0]
        if not heating:
            continue
        if all(a is not None and a >= tg - tolerance for a, tg in heating):
            return max(0.0, t)
    return None


def week_of(day: int) -> int:
    """The Monday (as a day number) of the week ``day`` falls in (1970-01-01
    was a Thursday)."""
    return day - (day + 3) % 7
