"""Success rates, failure reasons and trends, computed with SQL aggregates.

Two kinds of groups (kept as rollups by every sync, see ``history.rollup``,
or computed by a scan of a covering index when a date range is asked for):

- by printer, model, profile, material, success and reason: every rate (per
  model, profile, printer, material and the top combinations) and the
  failure reasons, each a GROUP BY over those groups;
- by day, printer and success, with the printing time and the filament:
  success rate per week, prints per day per printer, time and filament per
  week.

:func:`floor` is one plain aggregate over the same table, the yardstick the
benchmark measures these against.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from history.derive import day_of, week_of
from history.errors import FilterError
from history.schema import history_jobs, rollup_day

DIMENSIONS = ("model", "profile", "printer", "material")


@dataclass(frozen=True, slots=True)
class Rate:
    """Successes out of the ended prints of one group."""

    key: tuple[Any, ...]
    label: str
    prints: int
    successes: int

    @property
    def rate(self) -> float:
        return self.successes / self.prints if self.prints else 0.0

    def as_dict(self) -> dict[str, object]:
        return {"label": self.label, "prints": self.prints, "successes": self.successes,
                "success_rate": round(self.rate, 4)}


@dataclass(frozen=True, slots=True)
class WeekPoint:
    week: int  # the Monday, as UTC days since 1970
    prints: int
    successes: int
    printing_s: float
    filament_mm: float

    @property
    def rate(self) -> float:
        return self.successes / self.prints if self.prints else 0.0


@dataclass(frozen=True, slots=True)
class Statistics:
    prints: int
    successes: int
    by: dict[str, list[Rate]]                     # one of DIMENSIONS -> rates, most prints first
    combinations: list[Rate]                      # model x profile x printer x material
    reasons: list[tuple[str, int]]                # most frequent first
    weeks: list[WeekPoint]                        # oldest first
    daily: dict[str, list[tuple[int, int]]]       # printer -> (day, prints), oldest first
    seconds: float = 0.0                          # how long the computation took
    since: float | None = None
    groups: int = field(default=0)

    @property
    def rate(self) -> float:
        return self.successes / self.prints if self.prints else 0.0

    def as_dict(self, by: str | None = None) -> dict[str, object]:
        dims = (by,) if by else DIMENSIONS
        return {
            "prints": self.prints, "successes": self.successes,
            "success_rate": round(self.rate, 4),
            "by": {d: [r.as_dict() for r in self.by[d]] for d in dims},
            "combinations": [r.as_dict() for r in self.combinations],
            "failure_reasons": [{"reason": k, "count": n} for k, n in self.reasons],
            "weeks": [{"week": _iso(w.week), "prints": w.prints, "successes": w.successes,
                       "success_rate": round(w.rate, 4), "printing_hours":
                       round(w.printing_s / 3600, 3), "filament_m": round(w.filament_mm / 1000,
                                                                          3)}
                      for w in self.weeks],
        }


_COMBO_COLS = "printer_name, model_key, profile, material, success, reason_key, n"


def compute(engine: Engine, since: float | None = None, printer: str | None = None,
            *, direct: bool = False, top: int = 500) -> Statistics:
    """Every statistic over the ended jobs (since ``since``, on ``printer``).

    The rates and reasons are GROUP BYs over the per-combination rollup (a
    few thousand rows, see ``history.rollup``); with a date range (the
    rollup has no dates) or ``direct``, over the same groups computed first
    from ``history_jobs`` by one scan of its covering index into a temporary
    table.  The trends read the per-day rollup, or group ``history_jobs``
    by day over its covering index."""
    t0 = time.perf_counter()
    h, rd = history_jobs, rollup_day
    params: dict[str, Any] = {"printer": printer, "top": top}
    where = " WHERE printer_name = :printer" if printer else ""
    with engine.connect() as conn:
        if since is None and not direct:
            source = "history_rollup_combo"
            day_q = sa.select(rd.c.day, rd.c.printer_name, rd.c.success, rd.c.n,
                              rd.c.printing_s, rd.c.filament_mm)
            if printer:
                day_q = day_q.where(rd.c.printer_name == printer)
        else:
            source = "temp.history_groups"
            conds = ["success IS NOT NULL"]
            if since is not None:
                conds.append("day >= :day")
                params["day"] = day_of(since)
            if printer:
                conds.append("printer_name = :printer")
            conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS history_groups "
                                 f"({_COMBO_COLS})")
            conn.exec_driver_sql("DELETE FROM temp.history_groups")
            conn.execute(sa.text(
                f"INSERT INTO temp.history_groups ({_COMBO_COLS}) "
                "SELECT printer_name, COALESCE(model_id, 0), profile, material, success, "
                "reason_key, COUNT(*) FROM history_jobs WHERE " + " AND ".join(conds) +
                " GROUP BY printer_name, model_id, profile, material, success, reason_key"),
                params)
            day_cols = (h.c.day, h.c.printer_name, h.c.success)
            day_q = sa.select(*day_cols, sa.func.count(), sa.func.total(h.c.printing_s),
                              sa.func.total(h.c.filament_mm)).where(h.c.success.is_not(None))
            if since is not None:
                day_q = day_q.where(h.c.day >= day_of(since))
            if printer:
                day_q = day_q.where(h.c.printer_name == printer)
            day_q = day_q.group_by(*day_cols)
        dims: dict[str, Sequence[Any]] = {}
        for dim, col in (("model", "model_key"), ("profile", "profile"),
                         ("printer", "printer_name"), ("material", "material")):
            dims[dim] = conn.execute(sa.text(
                f"SELECT {col}, SUM(n), SUM(n * success) FROM {source}{where} "
                f"GROUP BY {col}"), params).all()
        reasons = conn.execute(sa.text(
            f"SELECT reason_key, SUM(n) FROM {source} WHERE success = 0"
            + (" AND printer_name = :printer" if printer else "")
            + " GROUP BY reason_key"), params).all()
        combos = conn.execute(sa.text(
            f"SELECT model_key, profile, printer_name, material, SUM(n), SUM(n * success) "
            f"FROM {source}{where} GROUP BY model_key, profile, printer_name, material "
            "ORDER BY SUM(n) DESC, model_key, profile, printer_name, material LIMIT :top"),
            params).all()
        days = conn.execute(day_q).all()
        ids = {int(r[0]) for r in dims["model"] if r[0]} | {int(r[0]) for r in combos if r[0]}
        titles = _model_titles(conn, ids)

    def label(dim: str, key: Any) -> str:
        if dim == "model":
            return "(not in the library)" if not key else titles.get(int(key), f"model #{key}")
        return str(key) if key else "(unknown)"

    by = {dim: _ranked([Rate((r[0] or None,) if dim == "model" else (r[0],), label(dim, r[0]),
                             int(r[1]), int(r[2] or 0)) for r in rows])
          for dim, rows in dims.items()}
    combinations = _ranked([
        Rate((r[0] or None, r[1], r[2], r[3]),
             " \u00b7 ".join(label(d, k) for d, k in zip(
                 ("model", "profile", "printer", "material"), r[:4], strict=True)),
             int(r[4]), int(r[5] or 0)) for r in combos])
    prints = sum(r.prints for r in by["printer"])
    successes = sum(r.successes for r in by["printer"])
    weeks, daily = fold_days(days)
    return Statistics(prints, successes, by, combinations,
                      sorted(((str(k) or "unknown", int(n)) for k, n in reasons),
                             key=lambda kv: (-kv[1], kv[0])),
                      weeks, daily, seconds=time.perf_counter() - t0, since=since,
                      groups=len(combos))


def fold_days(days: Sequence[Any]) -> tuple[list[WeekPoint], dict[str, list[tuple[int, int]]]]:
    """Weeks (success rate, time, filament) and prints per day per printer
    from (day, printer, success, n, printing_s, filament_mm) groups (pure)."""
    weeks: dict[int, list[float]] = {}
    daily: dict[str, dict[int, int]] = defaultdict(dict)
    for day, printer, success, count, printing_s, filament in days:
        n = int(count)
        wk = week_of(int(day))
        w = weeks.get(wk)
        if w is None:
            w = weeks[wk] = [0, 0, 0.0, 0.0]
        w[0] += n
        if success:
            w[1] += n
        w[2] += printing_s or 0.0
        w[3] += filament or 0.0
        per = daily[str(printer)]
        per[int(day)] = per.get(int(day), 0) + n
    return ([WeekPoint(k, int(v[0]), int(v[1]), v[2], v[3]) for k, v in sorted(weeks.items())],
            {p: sorted(d.items()) for p, d in sorted(daily.items())})


def floor(engine: Engine) -> tuple[int, float]:
    """One plain aggregate over the whole table (the benchmark's floor)."""
    h = history_jobs
    with engine.connect() as conn:
        n, s = conn.execute(sa.select(sa.func.count(), sa.func.total(h.c.printing_s))).one()
    return int(n), float(s)


def summary_for_model(engine: Engine, model_id: int) -> dict[str, object]:
    """'Printed N times, last outcome, success rate' for one library model."""
    h = history_jobs
    with engine.connect() as conn:
        n, ok = conn.execute(sa.select(sa.func.count(), sa.func.total(h.c.success))
                             .where(h.c.model_id == model_id, h.c.success.is_not(None))).one()
        last = conn.execute(sa.select(h.c.outcome, h.c.success, h.c.ended_at)
                            .where(h.c.model_id == model_id, h.c.success.is_not(None))
                            .order_by(h.c.created_at.desc(), h.c.job_id.desc()).limit(1)).first()
    return {"prints": int(n), "successes": int(ok),
            "success_rate": (ok / n) if n else None,
            "last_outcome": None if last is None else
            ("success" if last.success else str(last.outcome)),
            "last_at": None if last is None else last.ended_at}


def check_dimension(by: str | None) -> str | None:
    if by is not None and by not in DIMENSIONS:
        raise FilterError(f"cannot group by {by!r} (one of {', '.join(DIMENSIONS)})")
    return by


def _ranked(rates: list[Rate]) -> list[Rate]:
    return sorted(rates, key=lambda r: (-r.prints, -r.rate, r.label))


def _model_titles(conn: Any, ids: set[int]) -> dict[int, str]:
    if not ids or not sa.inspect(conn).has_table("lib_model"):
        return {}
    from library.schema import lib_model

    rows = conn.execute(sa.select(lib_model.c.id, lib_model.c.title)
                        .where(lib_model.c.id.in_(sorted(ids)))).all()
    return {int(r[0]): str(r[1]) for r in rows}


def _iso(day: int) -> str:
    import datetime as dt

    return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()
