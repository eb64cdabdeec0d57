"""The statistics' materialised aggregates (``history_rollup_combo``,
``history_rollup_dim`` and ``history_rollup_day``): each ended job adds one
to its groups.  A sync
takes a rewritten job's old contribution out and puts its new one in, in the
same transaction as the rows themselves; :func:`rebuild` recomputes both
tables from ``history_jobs`` with two GROUP BYs (after a bulk load)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from history.schema import history_jobs, rollup_combo, rollup_day, rollup_dim

ComboKey = tuple[str, int, str, str, int, str]
DayKey = tuple[int, str, int]
DimKey = tuple[str, str, int]

#: rollup_dim's dimensions and the history_jobs column each one groups.
DIM_COLUMNS = (("model", "model_id"), ("profile", "profile"), ("printer", "printer_name"),
               ("material", "material"))


def _delta(rows: Iterable[Mapping[str, Any]], sign: int,
           combos: dict[ComboKey, list[float]], days: dict[DayKey, list[float]],
           dims: dict[DimKey, list[float]]) -> None:
    for r in rows:
        if r["success"] is None:
            continue
        success = int(r["success"])
        for dim, col in DIM_COLUMNS:
            value = r[col]
            dims[(dim, "" if value is None else str(value), success)][0] += sign
        if not success:
            dims[("reason", str(r["reason_key"]), 0)][0] += sign
        printing = float(r["printing_s"] or 0.0) * sign
        filament = float(r["filament_mm"] or 0.0) * sign
        c = combos[(str(r["printer_name"]), int(r["model_id"] or 0), str(r["profile"]),
                    str(r["material"]), int(r["success"]), str(r["reason_key"]))]
        d = days[(int(r["day"]), str(r["printer_name"]), int(r["success"]))]
        for acc in (c, d):
            acc[0] += sign
            acc[1] += printing
            acc[2] += filament


def apply(conn: Connection, old: Iterable[Mapping[str, Any]],
          new: Iterable[Mapping[str, Any]]) -> None:
    """Take ``old`` rows' contributions out and put ``new`` rows' in."""
    combos: dict[ComboKey, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    days: dict[DayKey, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    dims: dict[DimKey, list[float]] = defaultdict(lambda: [0])
    _delta(old, -1, combos, days, dims)
    _delta(new, +1, combos, days, dims)
    combo_rows = [{"printer_name": k[0], "model_key": k[1], "profile": k[2], "material": k[3],
                   "success": k[4], "reason_key": k[5], "n": int(v[0]), "printing_s": v[1],
                   "filament_mm": v[2]} for k, v in combos.items() if any(v)]
    day_rows = [{"day": k[0], "printer_name": k[1], "success": k[2], "n": int(v[0]),
                 "printing_s": v[1], "filament_mm": v[2]} for k, v in days.items() if any(v)]
    dim_rows = [{"dim": k[0], "key": k[1], "success": k[2], "n": int(v[0])}
                for k, v in dims.items() if v[0]]
    for table, rows in ((rollup_combo, combo_rows), (rollup_day, day_rows),
                        (rollup_dim, dim_rows)):
        if not rows:
            continue
        stmt = sqlite_insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=[c for c in table.primary_key.columns],
            set_={name: getattr(table.c, name) + getattr(stmt.excluded, name)
                  for name in ("n", "printing_s", "filament_mm") if name in table.c})
        conn.execute(stmt, rows)
        conn.execute(table.delete().where(table.c.n <= 0))


def rebuild(conn: Connection) -> None:
    """Both rollups recomputed from ``history_jobs``."""
    h = history_jobs
    conn.execute(rollup_combo.delete())
    conn.execute(rollup_day.delete())
    conn.execute(rollup_dim.delete())
    ended = h.c.success.is_not(None)
    for dim, col in DIM_COLUMNS:
        column = h.c[col]
        key = sa.func.coalesce(sa.cast(column, sa.String), "")
        conn.execute(rollup_dim.insert().from_select(
            ["dim", "key", "success", "n"],
            sa.select(sa.literal(dim), key, h.c.success, sa.func.count()).where(ended)
            .group_by(key, h.c.success)))
    conn.execute(rollup_dim.insert().from_select(
        ["dim", "key", "success", "n"],
        sa.select(sa.literal("reason"), h.c.reason_key, sa.literal(0), sa.func.count())
        .where(h.c.success == 0).group_by(h.c.reason_key)))
    combo_cols = (h.c.printer_name, sa.func.coalesce(h.c.model_id, 0), h.c.profile,
                  h.c.material, h.c.success, h.c.reason_key)
    conn.execute(rollup_combo.insert().from_select(
        ["printer_name", "model_key", "profile", "material", "success", "reason_key", "n",
         "printing_s", "filament_mm"],
        sa.select(*combo_cols, sa.func.count(), sa.func.total(h.c.printing_s),
                  sa.func.total(h.c.filament_mm)).where(ended).group_by(*combo_cols)))
    day_cols = (h.c.day, h.c.printer_name, h.c.success)
    conn.execute(rollup_day.insert().from_select(
        ["day", "printer_name", "success", "n", "printing_s", "filament_mm"],
        sa.select(*day_cols, sa.func.count(), sa.func.total(h.c.printing_s),
                  sa.func.total(h.c.filament_mm)).where(ended).group_by(*day_cols)))
