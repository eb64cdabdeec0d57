"""The history table: kept in step with ``print_jobs``, read in pages, exported.

:meth:`HistoryStore.sync` brings ``history_jobs`` up to date: new jobs (every
printer, serial or OctoPrint, whoever wrote them), jobs still running when
last seen, and verdicts given since.  The slow part (hashing the G-code,
reading its settings) happens outside any write transaction; each batch is
then written in one short transaction.  Old jobs are backfilled with what can
be derived: the library file by SHA-256, the settings from the file, the
heating time from the temperature trace, the rest of the run as printing.

Thread-safe: every method makes its own connection on the calling thread;
syncs are serialised.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from history import derive, rollup
from history.errors import HistoryError
from history.recorder import Durations
from history.records import ACTIVE, ROW_FIELDS, HistoryFilter, HistoryRow
from history.schema import history_jobs, rollup_combo, rollup_day
from printers import schema as ps

log = logging.getLogger(__name__)

BATCH = 500
PAGE = 200


class HistoryStore:
    """See the module docstring."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sync_guard = threading.Lock()
        self._hashes: dict[tuple[str, int, int], str | None] = {}
        self._settings: dict[str, dict[str, Any] | None] = {}
        self._watermark: int | None = None  # print_jobs ids up to here were all seen
        self._library: bool | None = None

    # -- sync -------------------------------------------------------------------
    def has_library(self) -> bool:
        if self._library is None:
            with self.engine.connect() as conn:
                self._library = sa.inspect(conn).has_table("lib_file")
        return self._library

    def sync(self, job_ids: Iterable[int] | None = None,
             durations: Mapping[int, Durations] | None = None) -> list[int]:
        """Bring history rows up to date (all that are stale, or ``job_ids``);
        returns the ids written."""
        durations = durations or {}
        with self._sync_guard:
            with self.engine.connect() as conn:
                if job_ids is None:
                    ids, top = self._stale_ids(conn)
                else:
                    ids, top = sorted(set(job_ids) | set(durations)), None
            written: list[int] = []
            models: set[int] = set()
            for start in range(0, len(ids), BATCH):
                batch = ids[start:start + BATCH]
                rows, old = self._prepare(batch, durations)
                if rows:
                    with self.engine.begin() as conn:
                        # Re-read in the write transaction: what the rollups take out.
                        old = [dict(m) for m in conn.execute(sa.select(history_jobs).where(
                            history_jobs.c.job_id.in_([r["job_id"] for r in rows])))
                            .mappings()]
                        stmt = sqlite_insert(history_jobs)
                        stmt = stmt.on_conflict_do_update(
                            index_elements=[history_jobs.c.job_id],
                            set_={c: stmt.excluded[c] for c in rows[0] if c != "job_id"})
                        conn.execute(stmt, rows)
                        rollup.apply(conn, old, rows)
                written += [int(r["job_id"]) for r in rows]
                models |= {int(r["model_id"]) for r in [*old, *rows]
                           if r["model_id"] is not None}
            if top is not None:
                self._watermark = top
            if models and self.has_library():
                with self.engine.begin() as conn:
                    update_library_counts(conn, sorted(models))
        if written:
            log.debug("history: %d job(s) synced", len(written))
        return written

    def _stale_ids(self, conn: Connection) -> tuple[list[int], int]:
        j, h, v = ps.jobs, history_jobs, ps.verdicts
        top = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(j.c.id), 0))).scalar_one())
        if self._watermark is None:  # once per process: every job not yet in history
            missing = sa.select(j.c.id).where(~sa.exists().where(h.c.job_id == j.c.id))
        else:
            missing = sa.select(j.c.id).where(j.c.id > self._watermark)
        active = sa.select(h.c.job_id).where(h.c.outcome.in_(ACTIVE))
        judged = (sa.select(v.c.job_id).join(h, h.c.job_id == v.c.job_id)
                  .where(v.c.created_at >= h.c.synced_at))
        unjudged = (sa.select(h.c.job_id).where(h.c.verdict.is_not(None))
                    .where(~sa.exists().where(v.c.job_id == h.c.job_id)))
        ids = conn.execute(sa.union(missing, active, judged, unjudged)).scalars().all()
        return sorted(int(i) for i in ids), top

    def _prepare(self, ids: Sequence[int], durations: Mapping[int, Durations]
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        j, v, h = ps.jobs, ps.verdicts, history_jobs
        with self.engine.connect() as conn:
            jobs = conn.execute(
                sa.select(j, v.c.good, v.c.reason.label("verdict_reason"))
                .select_from(j.outerjoin(v, v.c.job_id == j.c.id))
                .where(j.c.id.in_(ids))).mappings().all()
            old = {int(r["job_id"]): r for r in conn.execute(
                sa.select(h).where(h.c.job_id.in_(ids))).mappings()}
            now = time.time()
            rows = [self._row(conn, m, old.get(int(m["id"])), durations.get(int(m["id"])), now)
                    for m in jobs]
        return rows, [dict(r) for r in old.values()]

    def _row(self, conn: Connection, m: Any, old: Any,
             recorded: Durations | None, now: float) -> dict[str, Any]:
        outcome = str(m["state"])
        good = m["good"]
        verdict = None if good is None else ("good" if good else "bad")
        path = str(m["file_path"])
        sha = m["file_sha256"] or (old["file_sha256"] if old is not None else None) \
            or self._hash(path)
        link = self._library_link(conn, sha)
        settings = link.get("settings") if link else None
        if settings is None and sha is not None:
            settings = self._file_settings(path, sha)
        estimate = _num(settings.get("filament_used_mm")) if settings else None
        ended = outcome not in ACTIVE
        heating = printing = paused = None
        source = "derived"
        if recorded is not None:
            heating, printing, paused = recorded.heating_s, recorded.printing_s, \
                recorded.paused_s
            source = "recorded"
        elif old is not None and old["durations_source"] == "recorded":
            heating, printing, paused = old["heating_s"], old["printing_s"], old["paused_s"]
            source = "recorded"
        elif ended and m["started_at"] is not None and m["ended_at"] is not None:
            total = max(0.0, float(m["ended_at"]) - float(m["started_at"]))
            heating = derive.heating_from_trace(_trace(conn, int(m["id"])))
            heating = None if heating is None else min(heating, total)
            printing = total - (heating or 0.0)
        return {
            "job_id": int(m["id"]), "printer_name": m["printer_name"],
            "file_name": m["file_name"], "file_sha256": sha,
            "lib_file_id": link.get("file_id") if link else None,
            "model_id": link.get("model_id") if link else None,
            "version_id": link.get("version_id") if link else None,
            "profile": derive.profile_label(settings), "material": derive.material_of(settings),
            "nozzle": _num(settings.get("nozzle_diameter")) if settings else None,
            "layer_height": _num(settings.get("layer_height")) if settings else None,
            "slicer": settings.get("slicer") if settings else None,
            "outcome": outcome, "reason": m["reason"],
            "reason_key": derive.reason_key(outcome, m["reason"], verdict, m["verdict_reason"])
            if ended else "",
            "verdict": verdict, "verdict_reason": m["verdict_reason"],
            "success": (1 if outcome == "completed" and verdict != "bad" else 0)
            if ended else None,
            "created_at": m["created_at"], "started_at": m["started_at"],
            "ended_at": m["ended_at"],
            "day": derive.day_of(float(m["ended_at"] or m["created_at"])),
            "heating_s": heating, "printing_s": printing, "paused_s": paused,
            "durations_source": source, "filament_estimate_mm": estimate,
            "filament_mm": derive.filament_used(estimate, outcome, int(m["bytes_confirmed"]),
                                                int(m["bytes_total"])) if ended else None,
            "lines_total": m["lines_total"], "lines_confirmed": m["lines_confirmed"],
            "synced_at": now,
        }

    def _hash(self, path: str) -> str | None:
        try:
            st = Path(path).stat()
        except OSError:
            return None
        key = (path, st.st_size, st.st_mtime_ns)
        if key not in self._hashes:
            digest = hashlib.sha256()
            try:
                with Path(path).open("rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        digest.update(chunk)
            except OSError:
                return None
            self._hashes[key] = digest.hexdigest()
        return self._hashes[key]

    def _library_link(self, conn: Connection, sha: str | None) -> dict[str, Any] | None:
        if sha is None or not self.has_library():
            return None
        from library.schema import lib_file

        row = conn.execute(sa.select(lib_file.c.id, lib_file.c.model_id, lib_file.c.version_id,
                                     lib_file.c.settings_json)
                           .where(lib_file.c.blob_hash == sha).order_by(lib_file.c.id)
                           .limit(1)).first()
        if row is None:
            return None
        settings = None
        if row.settings_json:
            try:
                loaded = json.loads(row.settings_json)
                settings = loaded if isinstance(loaded, dict) else None
            except ValueError:
                settings = None
        return {"file_id": int(row.id), "model_id": int(row.model_id),
                "version_id": int(row.version_id), "settings": settings}

    def _file_settings(self, path: str, sha: str) -> dict[str, Any] | None:
        """The print settings read from the G-code's ends (once per content)."""
        if sha not in self._settings:
            from library import gcode, settings
            from library.errors import LibraryError

            found: dict[str, Any] | None = None
            try:
                text = gcode.read_ends(Path(path))
                parsed = settings.from_gcode(text.head, text.tail)
                found = parsed.as_dict() if parsed is not None else None
            except (OSError, LibraryError) as exc:
                log.debug("no settings from %s: %s", path, exc)
            self._settings[sha] = found
        return self._settings[sha]

    # -- reading ------------------------------------------------------------------
    def page(self, flt: HistoryFilter, after: tuple[float, int] | None = None,
             limit: int = PAGE) -> list[HistoryRow]:
        """Rows newest first, after the sort key ``after`` (keyset paging)."""
        query = self._select(flt)
        if after is not None:
            query = query.where(sa.tuple_(history_jobs.c.created_at, history_jobs.c.job_id)
                                < sa.tuple_(sa.literal(after[0]), sa.literal(after[1])))
        query = query.order_by(history_jobs.c.created_at.desc(),
                               history_jobs.c.job_id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_history_row(m) for m in conn.execute(query).mappings()]

    def count(self, flt: HistoryFilter) -> int:
        if flt == HistoryFilter():  # everything: the rollup's ended jobs + the active ones
            with self.engine.connect() as conn:
                ended = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(rollup_combo.c.n),
                                                                0))).scalar_one()
                active = conn.execute(sa.select(sa.func.count()).select_from(history_jobs)
                                      .where(history_jobs.c.outcome.in_(ACTIVE))).scalar_one()
            return int(ended) + int(active)
        query = sa.select(sa.func.count()).select_from(history_jobs)
        for cond in self._where(flt):
            query = query.where(cond)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def row(self, job_id: int) -> HistoryRow:
        query = self._select(HistoryFilter()).where(history_jobs.c.job_id == job_id)
        with self.engine.connect() as conn:
            m = conn.execute(query).mappings().first()
        if m is None:
            raise HistoryError(f"no job {job_id} in the history")
        return _history_row(m)

    def iterate(self, flt: HistoryFilter, batch: int = 2000) -> Iterator[HistoryRow]:
        after: tuple[float, int] | None = None
        while True:
            rows = self.page(flt, after, batch)
            yield from rows
            if len(rows) < batch:
                return
            after = rows[-1].sort_key

    def temperatures(self, job_id: int) -> list[tuple[float, str, float | None, float | None]]:
        with self.engine.connect() as conn:
            return _trace(conn, job_id)

    def printers(self) -> list[str]:
        with self.engine.connect() as conn:
            names = set(conn.execute(sa.select(ps.printers.c.name)).scalars())
            names |= set(conn.execute(sa.select(rollup_day.c.printer_name).distinct())
                         .scalars())
        return sorted(names)

    def reasons(self) -> list[str]:
        with self.engine.connect() as conn:
            return sorted(conn.execute(
                sa.select(rollup_combo.c.reason_key).where(rollup_combo.c.reason_key != "")
                .distinct()).scalars())

    def _select(self, flt: HistoryFilter) -> sa.Select[Any]:
        h = history_jobs
        cols: list[Any] = [h]
        source: Any = h
        if self.has_library():
            from library.schema import lib_model

            cols.append(lib_model.c.title.label("model_title"))
            source = h.outerjoin(lib_model, lib_model.c.id == h.c.model_id)
        else:
            cols.append(sa.null().label("model_title"))
        query = sa.select(*cols).select_from(source)
        for cond in self._where(flt):
            query = query.where(cond)
        return query

    def _where(self, flt: HistoryFilter) -> list[Any]:
        h = history_jobs
        conds: list[Any] = []
        if flt.text.strip():
            pattern = "%" + _escape_like(flt.text.strip()) + "%"
            match: Any = h.c.file_name.like(pattern, escape="\\")
            if self.has_library():
                from library.schema import lib_model

                match = sa.or_(match, h.c.model_id.in_(
                    sa.select(lib_model.c.id).where(lib_model.c.title.like(pattern,
                                                                           escape="\\"))))
            conds.append(match)
        if flt.printer:
            conds.append(h.c.printer_name == flt.printer)
        if flt.outcome == "active":
            conds.append(h.c.outcome.in_(ACTIVE))
        elif flt.outcome:
            conds.append(h.c.outcome == flt.outcome)
        if flt.reason:
            conds.append(h.c.reason_key == flt.reason)
        if flt.model_id is not None:
            conds.append(h.c.model_id == flt.model_id)
        if flt.since is not None:
            conds.append(h.c.created_at >= flt.since)
        if flt.until is not None:
            conds.append(h.c.created_at < flt.until)
        return conds

    # -- export ---------------------------------------------------------------------
    def export(self, flt: HistoryFilter, out: TextIO, fmt: str = "csv") -> int:
        """Write the filtered history (newest first) as CSV or JSON; the row count."""
        n = 0
        if fmt == "csv":
            writer = csv.writer(out)
            writer.writerow(ROW_FIELDS)
            for row in self.iterate(flt):
                writer.writerow(["" if x is None else x for x in
                                 (getattr(row, f) for f in ROW_FIELDS)])
                n += 1
        elif fmt == "json":
            out.write('{"jobs": [')
            for row in self.iterate(flt):
                out.write(("," if n else "") + "\n  " + json.dumps(row.as_dict()))
                n += 1
            out.write("\n]}\n")
        else:
            raise HistoryError(f"unknown export format {fmt!r} (csv or json)")
        return n


def update_library_counts(conn: Connection, model_ids: Sequence[int]) -> None:
    """"Printed N times, last outcome" on the library's models, recomputed
    from the history (idempotent)."""
    from library import catalog
    from library.schema import lib_model

    h = history_jobs
    for model_id in model_ids:
        if conn.execute(sa.select(lib_model.c.id).where(lib_model.c.id == model_id)).first() \
                is None:
            continue
        n, ok = conn.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(h.c.success),
                                                                          0))
                             .where(h.c.model_id == model_id, h.c.success.is_not(None))).one()
        last = conn.execute(sa.select(h.c.outcome, h.c.success, h.c.verdict)
                            .where(h.c.model_id == model_id, h.c.success.is_not(None))
                            .order_by(h.c.created_at.desc(), h.c.job_id.desc()).limit(1)).first()
        outcome = None
        if last is not None:
            outcome = "success" if last.success else (
                "bad print" if last.outcome == "completed" else str(last.outcome))
        conn.execute(lib_model.update().where(lib_model.c.id == model_id).values(
            print_count=int(n), success_count=int(ok), last_outcome=outcome))
        catalog.refresh(conn, model_id)


def _trace(conn: Connection, job_id: int) -> list[tuple[float, str, float | None, float | None]]:
    t = ps.job_temperatures
    rows = conn.execute(sa.select(t.c.t, t.c.sensor, t.c.actual, t.c.target)
                        .where(t.c.job_id == job_id).order_by(t.c.id)).all()
    return [(float(r[0]), str(r[1]), r[2], r[3]) for r in rows]


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _history_row(m: Any) -> HistoryRow:
    return HistoryRow(**{f: m["printer_name" if f == "printer" else f] for f in ROW_FIELDS})
