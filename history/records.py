"""What history hands out: filters and rows (frozen, shareable between threads)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from history.errors import FilterError
from history.schema import OUTCOMES

ACTIVE = ("queued", "heating", "printing", "paused", "cancelling")


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """Search and filters over the history; every field is optional."""

    text: str = ""                 # part of the file name or the model's title
    printer: str | None = None
    outcome: str | None = None     # completed | failed | cancelled | interrupted | active
    reason: str | None = None      # a reason_key (see history.derive.reason_key)
    model_id: int | None = None
    since: float | None = None     # epoch seconds, inclusive
    until: float | None = None     # epoch seconds, exclusive

    def __post_init__(self) -> None:
        if self.outcome is not None and self.outcome not in (*OUTCOMES, "active"):
            raise FilterError(f"unknown outcome {self.outcome!r} "
                              f"(one of {', '.join((*OUTCOMES, 'active'))})")
        if self.since is not None and self.until is not None and self.until <= self.since:
            raise FilterError("the end of the date range is before its start")


def parse_date(text: str) -> float:
    """``YYYY-MM-DD`` (UTC midnight) or a full ISO date-time -> epoch seconds."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise FilterError(f"not a date: {text!r} (use YYYY-MM-DD)") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


@dataclass(frozen=True, slots=True)
class HistoryRow:
    job_id: int
    created_at: float
    started_at: float | None
    ended_at: float | None
    printer: str
    file_name: str
    file_sha256: str | None
    model_id: int | None
    model_title: str | None
    version_id: int | None
    profile: str
    material: str
    nozzle: float | None
    layer_height: float | None
    outcome: str
    reason: str | None
    reason_key: str
    verdict: str | None
    verdict_reason: str | None
    success: int | None
    heating_s: float | None
    printing_s: float | None
    paused_s: float | None
    filament_mm: float | None
    filament_estimate_mm: float | None
    lines_confirmed: int
    lines_total: int

    @property
    def sort_key(self) -> tuple[float, int]:
        return (self.created_at, self.job_id)

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


ROW_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(HistoryRow))
