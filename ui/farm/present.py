"""How a farm printer's status reads on its card: pure functions of the
domain's ``PrinterStatus`` (``printers.interface``), no Qt, so that the
renderer only draws and the tests can read the words."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

#: State value -> (label, colour as #rrggbb) for ``printers.interface.PrinterState``.
_STATES: dict[str, tuple[str, str]] = {
    "offline": ("Offline", "#8a8f98"),
    "connecting": ("Connecting", "#5b8def"),
    "operational": ("Ready", "#3aa675"),
    "heating": ("Heating", "#e08a1e"),
    "printing": ("Printing", "#2f7ee0"),
    "paused": ("Paused", "#c9a227"),
    "cancelling": ("Cancelling", "#c9a227"),
    "error": ("Error", "#d9534f"),
}

#: States in which a job is running on the printer.
BUSY_STATES = frozenset({"printing", "paused"})
#: States that are not well: their cards show the reason and "last seen".
UNWELL_STATES = frozenset({"offline", "error"})
#: A job's states once it is over (``printers.interface.ENDED_JOB_STATES``).
ENDED_JOB_STATES = frozenset({"completed", "failed", "cancelled", "interrupted"})


def state_value(status: Any) -> str:
    state = status.state
    return str(getattr(state, "value", state)).lower()


def _shown_state(status: Any) -> str:
    """The printer's state, or the job's when it says more ("heating",
    "cancelling" while the printer is "printing")."""
    value = state_value(status)
    job = status.job
    if value == "printing" and job is not None and job.state in ("heating", "cancelling"):
        return str(job.state)
    return value


def state_label(status: Any) -> str:
    value = _shown_state(status)
    return _STATES.get(value, (value.replace("_", " ").capitalize(), ""))[0]


def state_colour(status: Any) -> str:
    return _STATES.get(_shown_state(status), ("", "#8a8f98"))[1]


def is_busy(status: Any) -> bool:
    return state_value(status) in BUSY_STATES


def is_unwell(status: Any) -> bool:
    return state_value(status) in UNWELL_STATES


def temperatures(status: Any) -> str:
    """``"Nozzle 205/210°  Bed 60/60°"`` (targets only when heating)."""
    temps = status.temperatures or {}
    parts = []
    for keys, label in ((("T0", "T", "tool0"), "Nozzle"), (("B", "bed"), "Bed")):
        for key in keys:
            if key in temps:
                actual, target = temps[key]
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
    if job is None or job.state in ENDED_JOB_STATES:
        return None
    return min(max(float(job.progress), 0.0), 1.0)


def job_line(status: Any) -> str:
    """``"benchy.gcode  42%  · 1h 05m left"``, ``"benchy.gcode completed"``,
    or "" without a job."""
    job = status.job
    if job is None:
        return ""
    text = str(job.file_name)
    if job.state in ENDED_JOB_STATES:
        return f"{text} {job.state}"
    frac = progress(status)
    if frac is not None and is_busy(status):
        text += f"  {frac:.0%}"
    if job.eta_s and is_busy(status):
        text += f"  \u00b7 {duration(float(job.eta_s))} left"
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
    seen = status.last_seen
    if not is_unwell(status) or seen is None:
        return ""
    now = time.time() if now is None else now
    return f"last seen {duration(now - float(seen))} ago"


def reason(status: Any) -> str:
    return str(status.reason or "")


def has_camera(status: Any) -> bool:
    return status is not None and bool(status.capabilities.has_camera)


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
    frac = progress(status) if is_busy(status) else None
    detail = reason(status) if unwell or state_value(status) == "error" else job_line(status)
    if not detail:
        detail = reason(status)
    return Card(
        name=str(status.name),
        kind=str(status.kind),
        state=state_label(status),
        colour=state_colour(status),
        detail=detail,
        temperatures=temperatures(status),
        # In steps of half a percent (a pixel or so of the bar): a card whose
        # words and bar look the same is not redrawn.
        progress=None if frac is None else round(frac * 200) / 200,
        seen=last_seen(status, now),
    )
