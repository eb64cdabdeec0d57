"""Success rates, failure reasons and trends, computed with SQL aggregates.

Two kinds of groups (kept as rollups by every sync, see ``history.rollup``,
or computed by a scan of a covering index when a date range is asked for):

- by printer, model, profile, material, success and reason: every rate (per
  model, profile, printer, material and the top combinations) and the
  failure reasons, folded from those groups in one pass;
- by day, printer and success, with the printing time and the filament:
  success rate per week, prints per day per printer, time and filament per
  week.

:func:`floor` is one plain aggregate over the same table, the yardstick the
benchmark measures these against.
"""

from __future__ import annotations

import heapq
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from history.derive import day_of, week_of
from history.errors import FilterError
from history.schema import history_jobs, rollup_combo, rollup_day, rollup_dim

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


def compute(engine: Engine, since: float | None = None, printer: str | None = None,
            *, direct: bool = False, top: int = 500) -> Statistics:
    """Every statistic over the ended jobs (since ``since``, on ``printer``).

    Without a filter, from the rollups (see :func:`_from_rollups`).  With a
    date range or a printer (or ``direct``), from two GROUP BY scans of
    ``history_jobs`` over its covering indexes: by (printer, model, profile,
    material, success, reason), folded in one pass into every rate, the top
    combinations and the reasons; and by (day, printer, success) for the
    trends."""
    t0 = time.perf_counter()
    h = history_jobs
    if since is None and not printer and not direct:
        return _from_rollups(engine, top, t0)
    conds: list[Any] = [h.c.success.is_not(None)]
    if since is not None:
        conds.append(h.c.day >= day_of(since))
    if printer:
        conds.append(h.c.printer_name == printer)
    combo_cols = (h.c.printer_name, h.c.model_id, h.c.profile, h.c.material, h.c.success,
                  h.c.reason_key)
    combo_q = sa.select(*combo_cols, sa.func.count()).where(*conds).group_by(*combo_cols)
    day_cols = (h.c.day, h.c.printer_name, h.c.success)
    day_q = (sa.select(*day_cols, sa.func.count(), sa.func.total(h.c.printing_s),
                       sa.func.total(h.c.filament_mm)).where(*conds).group_by(*day_cols))
    with engine.connect() as conn:
        groups = conn.execute(combo_q).all()
        days = conn.execute(day_q).all()
        titles = _model_titles(conn, {int(r[1]) for r in groups if r[1]})
    by, combinations, reasons = fold_groups(groups, titles, top)
    prints = sum(r.prints for r in by["printer"])
    successes = sum(r.successes for r in by["printer"])
    weeks, daily = fold_days(days)
    return Statistics(prints, successes, by, combinations, reasons, weeks, daily,
                      seconds=time.perf_counter() - t0, since=since, groups=len(groups))


def _from_rollups(engine: Engine, top: int, t0: float) -> Statistics:
    """Everything, from the rollups: per dimension and reason (a few hundred
    rows), the top combinations (a GROUP BY over the combination rollup) and
    the days."""
    rc, rd, rm = rollup_combo, rollup_day, rollup_dim
    combo_keys = (rc.c.model_key, rc.c.profile, rc.c.printer_name, rc.c.material)
    prints = sa.func.sum(rc.c.n)
    with engine.connect() as conn:
        dims = conn.execute(sa.select(rm.c.dim, rm.c.key, rm.c.success, rm.c.n)
                            .where(rm.c.n > 0)).all()
        combos = conn.execute(
            sa.select(*combo_keys, prints, sa.func.sum(rc.c.n * rc.c.success))
            .group_by(*combo_keys).having(prints > 0)
            .order_by(prints.desc(), *combo_keys).limit(top)).all()
        days = conn.execute(sa.select(rd.c.day, rd.c.printer_name, rd.c.success, rd.c.n,
                                      rd.c.printing_s, rd.c.filament_mm)
                            .where(rd.c.n > 0)).all()
        ids = {int(r[1]) for r in dims if r[0] == "model" and r[1]}
        titles = _model_titles(conn, ids | {int(r[0]) for r in combos if r[0]})

    def label(dim: str, key: Any) -> str:
        if dim == "model":
            return "(not in the library)" if not key else titles.get(int(key), f"model #{key}")
        return str(key) if key else "(unknown)"

    cells: dict[str, dict[str, list[int]]] = {d: {} for d in DIMENSIONS}
    reasons: list[tuple[str, int]] = []
    for dim, key, success, n in dims:
        if dim == "reason":
            reasons.append((str(key) or "unknown", int(n)))
            continue
        cell = cells[dim].setdefault(str(key), [0, 0])
        cell[0] += int(n)
        cell[1] += int(n) if success else 0
    by = {dim: _ranked([Rate(((int(k) if k else None) if dim == "model" else k,),
                             label(dim, k), c[0], c[1]) for k, c in cells[dim].items()])
          for dim in DIMENSIONS}
    combinations = _ranked([
        Rate((r[0] or None, r[1], r[2], r[3]),
             " \u00b7 ".join(label(d, k) for d, k in zip(
                 ("model", "profile", "printer", "material"), r[:4], strict=True)),
             int(r[4]), int(r[5] or 0)) for r in combos])
    weeks, daily = fold_days(days)
    total = sum(r.prints for r in by["printer"])
    ok = sum(r.successes for r in by["printer"])
    return Statistics(total, ok, by, combinations,
                      sorted(reasons, key=lambda kv: (-kv[1], kv[0])), weeks, daily,
                      seconds=time.perf_counter() - t0, groups=len(dims))


def fold_groups(groups: Sequence[Any], titles: dict[int, str], top: int = 500
                ) -> tuple[dict[str, list[Rate]], list[Rate], list[tuple[str, int]]]:
    """Rates per dimension, the ``top`` combinations by prints and the
    failure reasons from (printer, model, profile, material, success,
    reason, n) groups, in one pass (pure).  Model 0 or None: not in the
    library."""
    by_model: dict[Any, list[int]] = {}
    by_profile: dict[Any, list[int]] = {}
    by_printer: dict[Any, list[int]] = {}
    by_material: dict[Any, list[int]] = {}
    combos: dict[Any, list[int]] = {}
    reasons: dict[str, int] = {}
    for printer, model_key, profile, material, success, reason, count in groups:
        n = int(count)
        good = n if success else 0
        model = model_key or None
        for table, key in ((by_model, model), (by_profile, profile), (by_printer, printer),
                           (by_material, material), (combos, (model, profile, printer,
                                                               material))):
            cell = table.get(key)
            if cell is None:
                table[key] = [n, good]
            else:
                cell[0] += n
                cell[1] += good
        if not success:
            r = reason or "unknown"
            reasons[r] = reasons.get(r, 0) + n

    def label(dim: str, key: Any) -> str:
        if dim == "model":
            return "(not in the library)" if not key else titles.get(int(key), f"model #{key}")
        return str(key) if key else "(unknown)"

    by = {dim: _ranked([Rate((key,), label(dim, key), c[0], c[1]) for key, c in table.items()])
          for dim, table in (("model", by_model), ("profile", by_profile),
                             ("printer", by_printer), ("material", by_material))}
    biggest = heapq.nsmallest(top, combos.items(),
                              key=lambda kv: (-kv[1][0], kv[0][0] or 0, str(kv[0][1]),
                                             str(kv[0][2]), str(kv[0][3])))
    combinations = _ranked([
        Rate(key, " \u00b7 ".join(label(d, k) for d, k in zip(
            ("model", "profile", "printer", "material"), key, strict=True)), c[0], c[1])
        for key, c in biggest])
    return by, combinations, sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))


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
