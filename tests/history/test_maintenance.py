from __future__ import annotations

import pytest
import sqlalchemy as sa

from history import maintenance, synthetic
from history.errors import HistoryError
from history.schema import history_jobs


def test_counters_since_a_reset_and_reminders_falling_due(engine) -> None:  # type: ignore[no-untyped-def]
    synthetic.seed(engine, 400, printers=2, end=1_750_000_000.0, days=40)
    p = "Printer A"
    with engine.connect() as conn:
        n, secs, mm = conn.execute(sa.select(
            sa.func.count(), sa.func.total(history_jobs.c.printing_s),
            sa.func.total(history_jobs.c.filament_mm)).where(
            history_jobs.c.printer_name == p)).one()
    counters = {c.counter: c for c in maintenance.counters(engine, p)}
    assert counters["jobs"].value == n
    assert counters["print_hours"].value == pytest.approx(secs / 3600)
    assert counters["filament_m"].value == pytest.approx(mm / 1000)
    # A nozzle change ten days before the end: only the later jobs count.
    reset_at = 1_750_000_000.0 - 10 * 86400
    maintenance.reset(engine, p, "jobs", "new 0.4 nozzle", at=reset_at)
    with engine.connect() as conn:
        later = conn.execute(sa.select(sa.func.count()).select_from(history_jobs).where(
            history_jobs.c.printer_name == p, history_jobs.c.created_at >= reset_at)
        ).scalar_one()
    jobs = next(c for c in maintenance.counters(engine, p) if c.counter == "jobs")
    assert (jobs.value, jobs.reset_at, jobs.note) == (later, reset_at, "new 0.4 nozzle")
    due = maintenance.add_reminder(engine, p, "jobs", later - 1, "change the nozzle")
    not_due = maintenance.add_reminder(engine, p, "print_hours", 1e9, "lubricate rods")
    state = {r.id: r.due for r in maintenance.reminders_of(engine)}
    assert state == {due: True, not_due: False}
    maintenance.delete_reminder(engine, due)
    assert [r.id for r in maintenance.reminders_of(engine, p)] == [not_due]
    with pytest.raises(HistoryError):
        maintenance.add_reminder(engine, p, "jobs", 0)
    with pytest.raises(HistoryError):
        maintenance.reset(engine, p, "belts")
