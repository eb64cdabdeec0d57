"""Maintenance counters per printer — print hours, filament and jobs, each
since its own reset (say, a nozzle change) — and user-set reminders that fall
due when a counter reaches their threshold."""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from history.errors import HistoryError
from history.schema import COUNTERS, counter_resets, history_jobs, reminders

UNITS = {"print_hours": "h", "filament_m": "m", "jobs": "jobs"}
LABELS = {"print_hours": "Print hours", "filament_m": "Filament", "jobs": "Jobs"}


@dataclass(frozen=True, slots=True)
class Counter:
    printer: str
    counter: str
    value: float
    reset_at: float | None
    note: str

    @property
    def unit(self) -> str:
        return UNITS[self.counter]


@dataclass(frozen=True, slots=True)
class Reminder:
    id: int
    printer: str
    counter: str
    threshold: float
    note: str
    value: float

    @property
    def due(self) -> bool:
        return self.value >= self.threshold


def _check(counter: str) -> None:
    if counter not in COUNTERS:
        raise HistoryError(f"unknown counter {counter!r} (one of {', '.join(COUNTERS)})")


def counters(engine: Engine, printer: str) -> list[Counter]:
    """The printer's counters, each since its last reset (or ever)."""
    h, r = history_jobs, counter_resets
    out: list[Counter] = []
    with engine.connect() as conn:
        resets = {row.counter: row for row in conn.execute(
            sa.select(r).where(r.c.printer_name == printer))}
        for name in COUNTERS:
            reset = resets.get(name)
            since = reset.reset_at if reset is not None else None
            q = sa.select(sa.func.count(), sa.func.total(h.c.printing_s),
                          sa.func.total(h.c.filament_mm)).where(h.c.printer_name == printer)
            if since is not None:
                q = q.where(h.c.created_at >= since)
            n, seconds, mm = conn.execute(q).one()
            value = {"jobs": float(n), "print_hours": float(seconds) / 3600,
                     "filament_m": float(mm) / 1000}[name]
            out.append(Counter(printer, name, value, since,
                               reset.note if reset is not None else ""))
    return out


def reset(engine: Engine, printer: str, counter: str, note: str = "",
          at: float | None = None) -> None:
    _check(counter)
    r = counter_resets
    with engine.begin() as conn:
        conn.execute(r.delete().where(r.c.printer_name == printer, r.c.counter == counter))
        conn.execute(r.insert().values(printer_name=printer, counter=counter,
                                       reset_at=time.time() if at is None else at, note=note))


def add_reminder(engine: Engine, printer: str, counter: str, threshold: float,
                 note: str = "") -> int:
    _check(counter)
    if not threshold > 0:
        raise HistoryError("a reminder needs a threshold above zero")
    with engine.begin() as conn:
        pk = conn.execute(reminders.insert().values(
            printer_name=printer, counter=counter, threshold=float(threshold), note=note,
            created_at=time.time()).returning(reminders.c.id)).scalar_one()
    return int(pk)


def delete_reminder(engine: Engine, reminder_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(reminders.delete().where(reminders.c.id == reminder_id))


def reminders_of(engine: Engine, printer: str | None = None) -> list[Reminder]:
    """Reminders with the current value of their counter (``due`` when reached)."""
    q = sa.select(reminders).order_by(reminders.c.printer_name, reminders.c.id)
    if printer is not None:
        q = q.where(reminders.c.printer_name == printer)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    values: dict[str, dict[str, float]] = {}
    out = []
    for row in rows:
        if row.printer_name not in values:
            values[row.printer_name] = {c.counter: c.value
                                        for c in counters(engine, row.printer_name)}
        out.append(Reminder(int(row.id), row.printer_name, row.counter, float(row.threshold),
                            row.note, values[row.printer_name][row.counter]))
    return out
