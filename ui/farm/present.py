"""How a farm printer's status reads on its card: pure functions of the
domain's ``PrinterStatus`` (``printers.interface``), no Qt, so that the
delegate only paints and the tests can read the words."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

#: State value -> (label, colour as #rrggbb).  Unknown states read as their value.
_STATES: dict[str, tuple[str, str]] = {
    "offline": ("Offline", "#8a8f98"),
    "disconnected": ("Disconnected", "#8a8f98"),
    "connecting": ("Connecting", "#5b8def"),
    "idle": ("Idle", "#3aa675"),
    "ready": ("Ready", "#3aa675"),
    "operational": ("Ready", "#3aa675"),
    "heating": ("Heating", "#e08a1e"),
    "printing": ("Printing", "#2f7ee0"),
    "paused": ("Paused", "#c9a227"),
    "pausing": ("Pausing", "#c9a227"),
    "cancelling": ("Cancelling", "#c9a227"),
    "finished": ("Finished", "#3aa675"),
    "awaiting_bed_clear": ("Clear the bed", "#b562d6"),
    "bed_clear": ("Clear the bed", "#b562d6"),
    "error": ("Error", "#d9534f"),
    "unreachable": ("Unreachable", "#d9534f"),
    "stale": ("Not answering", "#d9534f"),
}

#: States in which a job is running on the printer.
BUSY_STATES = frozenset({"heating", "printing", "paused", "pausing", "cancelling"})
#: States that are not well: their cards show the reason and "last seen".
UNWELL_STATES = frozenset({"offline", "disconnected", "error", "unreachable", "stale"})


def state_value(status: Any) -> str:
    state = status.state
    return str(getattr(state, "value", state)).lower()


def state_label(status: Any) -> str:
    value = state_value(status)
    return _STATES.get(value, (value.replace("_", " ").capitalize(), ""))[0]


def state_colour(status: Any) -> str:
    return _STATES.get(state_value(status), ("", "#8a8f98"))[1]


def is_busy(status: Any) -> bool:
    return state_value(status) in BUSY_STATES


def is_unwell(status: Any) -> bool:
    return state_value(status) in UNWELL_STATES


def _reading(value: Any) -> tuple[float | None, float | None]:
    if value is None:
        return None, None
    if isinstance(value, tuple):
        return (value[0] if value else None), (value[1] if len(value) > 1 else None)
    return getattr(value, "actual", None), getattr(value, "target", None)


def temperatures(status: Any) -> str:
    """``"Nozzle 205/210°  Bed 60/60°"`` (targets only when heating)."""
    temps = status.temperatures or {}
    parts = []
    for keys, label in ((("T0", "T", "tool0", "hotend"), "Nozzle"), (("B", "bed"), "Bed")):
        for key in keys:
            if key in temps:
                actual, target = _reading(temps[key])
                if actual is None:
                    continue
                text = f"{label} {actual:.0f}"
                if target:
                    text += f"/{target:.0f}"
                parts.append(text + "\u00b0")
                break
    return "  ".join(parts)


def progress(status: Any) -> float | None:
    """The job's progress in 0..1, or None without a running job."""
    job = status.job
    if job is None:
        return None
    value = getattr(job, "progress", None)
    if value is None:
        return None
    value = float(value)
    if value > 1.0:  # a percentage
        value /= 100.0
    return min(max(value, 0.0), 1.0)


def job_line(status: Any) -> str:
    """``"benchy.gcode  42%  · 1h 05m left"`` or "" without a job."""
    job = status.job
    if job is None:
        return ""
    name = str(getattr(job, "file", None) or getattr(job, "name", None) or "job")
    text = name
    frac = progress(status)
    if frac is not None and is_busy(status):
        text += f"  {frac:.0%}"
    left = getattr(job, "remaining", None) or getattr(job, "time_left", None)
    if left and is_busy(status):
        text += f"  \u00b7 {duration(float(left))} left"
    return text


def duration(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{seconds}s"


def last_seen(status: Any, now: float | None = None) -> str:
    """``"last seen 3m ago"`` for a printer that is not well ("" otherwise)."""
    seen = getattr(status, "last_seen", None)
    if not is_unwell(status) or seen is None:
        return ""
    if hasattr(seen, "timestamp"):
        seen = seen.timestamp()
    now = time.time() if now is None else now
    return f"last seen {duration(now - float(seen))} ago"


def reason(status: Any) -> str:
    return str(getattr(status, "reason", None) or "")


def has_camera(status: Any) -> bool:
    caps = getattr(status, "capabilities", None)
    return bool(getattr(caps, "camera", False) or getattr(caps, "has_camera", False))


@dataclass(frozen=True, slots=True)
class Card:
    """The words on one printer's card."""

    name: str
    kind: str
    state: str
    colour: str
    detail: str          # the reason when unwell, else the job line
    temperatures: str
    progress: float | None
    seen: str

    def accessible(self) -> str:
        parts = [self.name, self.state, self.detail, self.temperatures, self.seen]
        return ", ".join(p for p in parts if p)


def card(status: Any, now: float | None = None) -> Card:
    unwell = is_unwell(status)
    detail = reason(status) if unwell or state_value(status) == "error" else job_line(status)
    if not detail:
        detail = reason(status)
    return Card(
        name=str(status.name),
        kind=str(getattr(status, "kind", "") or ""),
        state=state_label(status),
        colour=state_colour(status),
        detail=detail,
        temperatures=temperatures(status),
        progress=progress(status) if is_busy(status) else None,
        seen=last_seen(status, now),
    )
