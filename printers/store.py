"""Printers and print jobs in the desktop database.

Sessions are made per unit of work on the calling thread (the connection's
I/O thread writes its job; the CLI and the UI's workers read).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from printers import schema
from printers.errors import JobError, PrinterError, PrinterNotFoundError
from printers.jobs import ACTIVE_STATES, JobSnapshot

log = logging.getLogger(__name__)

INTERRUPTED_REASON = "Layerline stopped while printing (crash or power cut)"


@dataclass(frozen=True, slots=True)
class PrinterRecord:
    id: int
    name: str
    port: str
    baud: int
    kind: str = "serial"
    options: dict[str, Any] = field(default_factory=dict)
    url: str | None = None  # an OctoPrint printer's server

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "port": self.port,
                "baud": self.baud, "options": self.options, "url": self.url}

    @property
    def secret_name(self) -> str:
        """Where an OctoPrint printer's API key lives in the secret store."""
        return f"octoprint-key:{self.name}"


@dataclass(frozen=True, slots=True)
class JobRecord:
    id: int
    printer: str
    file: str
    state: str
    reason: str | None
    created_at: float
    started_at: float | None
    ended_at: float | None
    lines_total: int
    lines_confirmed: int
    bytes_total: int
    bytes_confirmed: int
    layer: int | None
    verdict: str | None = None
    verdict_reason: str | None = None
    sha256: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "printer": self.printer, "file": self.file, "state": self.state,
            "sha256": self.sha256,
            "reason": self.reason, "created_at": self.created_at,
            "started_at": self.started_at, "ended_at": self.ended_at,
            "lines_total": self.lines_total, "lines_confirmed": self.lines_confirmed,
            "bytes_total": self.bytes_total, "bytes_confirmed": self.bytes_confirmed,
            "layer": self.layer, "verdict": self.verdict, "verdict_reason": self.verdict_reason,
        }


class PrinterStore:
    """Reads and writes the printers tables."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    # -- printers ------------------------------------------------------------
    def add_printer(self, name: str, port: str, baud: int = 115200,
                    options: dict[str, Any] | None = None, *, kind: str = "serial",
                    url: str | None = None) -> PrinterRecord:
        """Add a printer: ``kind`` "serial" (``port``, ``baud``) or
        "octoprint" (``url``; ``port`` is the server's serial port or "")."""
        if kind not in ("serial", "octoprint"):
            raise PrinterError(f"unknown kind of printer {kind!r}")
        if kind == "octoprint" and not (url and url.startswith(("http://", "https://"))):
            raise PrinterError(f"an OctoPrint printer needs an http(s) URL, not {url!r}")
        name = name.strip()
        if not name:
            raise PrinterError("a printer needs a name")
        with self._sessions.begin() as s:
            exists = s.execute(sa.select(schema.printers.c.id)
                               .where(schema.printers.c.name == name)).first()
            if exists:
                raise PrinterError(f"a printer named {name!r} exists already")
            pk = s.execute(schema.printers.insert().values(
                name=name, kind=kind, port=port, baud=baud, url=url,
                options=json.dumps(options or {}), created_at=time.time())
                .returning(schema.printers.c.id)).scalar_one()
            return PrinterRecord(int(pk), name, port, baud, kind, options or {}, url)

    def update_options(self, name: str, changes: dict[str, Any]) -> PrinterRecord:
        """Merge ``changes`` into a printer's options (capabilities...)."""
        rec = self.printer(name)
        options = {**rec.options, **changes}
        with self._sessions.begin() as s:
            s.execute(schema.printers.update().where(schema.printers.c.name == name)
                      .values(options=json.dumps(options)))
        return replace(rec, options=options)

    def printers(self) -> list[PrinterRecord]:
        with self._sessions() as s:
            rows = s.execute(sa.select(schema.printers).order_by(schema.printers.c.name)).all()
        return [_printer(r) for r in rows]

    def printer(self, name: str) -> PrinterRecord:
        with self._sessions() as s:
            row = s.execute(sa.select(schema.printers)
                            .where(schema.printers.c.name == name)).first()
        if row is None:
            raise PrinterNotFoundError(f"no printer named {name!r} (see 'layerline printers list')")
        return _printer(row)

    def update_port(self, name: str, port: str) -> None:
        with self._sessions.begin() as s:
            s.execute(schema.printers.update().where(schema.printers.c.name == name)
                      .values(port=port))

    # -- jobs ------------------------------------------------------------------
    def create_job(self, printer: PrinterRecord | None, printer_name: str, file: str, *,
                   lines_total: int, bytes_total: int, layers_total: int | None,
                   slicer_estimate: float | None, sha256: str | None = None) -> int:
        now = time.time()
        with self._sessions.begin() as s:
            pk = s.execute(schema.jobs.insert().values(
                printer_id=None if printer is None else printer.id, printer_name=printer_name,
                file_path=file, file_name=file.rsplit("/", 1)[-1], state="queued",
                created_at=now, updated_at=now, lines_total=lines_total,
                bytes_total=bytes_total, layers_total=layers_total, owner_pid=os.getpid(),
                slicer_estimate_s=slicer_estimate, file_sha256=sha256)
                .returning(schema.jobs.c.id)).scalar_one()
            return int(pk)

    def update_job(self, job_id: int, **values: Any) -> None:
        """Change some of a job's columns (an OctoPrint job's state, progress,
        outcome: the server streams it, not Layerline)."""
        allowed = {"state", "reason", "started_at", "ended_at", "bytes_confirmed", "layer",
                   "eta_s", "lines_confirmed"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"not job columns: {sorted(unknown)}")
        with self._sessions.begin() as s:
            s.execute(schema.jobs.update().where(schema.jobs.c.id == job_id)
                      .values(updated_at=time.time(), **values))

    def job_state(self, job_id: int) -> tuple[str, str | None]:
        """A job's state and reason (cheap: the queue reads it often)."""
        with self._sessions() as s:
            row = s.execute(sa.select(schema.jobs.c.state, schema.jobs.c.reason)
                            .where(schema.jobs.c.id == job_id)).first()
        if row is None:
            raise JobError(f"no job with id {job_id}")
        return str(row[0]), row[1]

    def save_job(self, snap: JobSnapshot,
                 samples: Iterable[tuple[float, str, float | None, float | None]] = ()) -> None:
        """Write a job's state and progress (and new temperature samples)."""
        with self._sessions.begin() as s:
            s.execute(schema.jobs.update().where(schema.jobs.c.id == snap.id).values(
                state=snap.state.value, reason=snap.reason, started_at=snap.started_at,
                ended_at=snap.ended_at, updated_at=time.time(),
                lines_confirmed=snap.lines_confirmed, bytes_confirmed=snap.bytes_confirmed,
                layer=snap.layer, eta_s=snap.eta))
            rows = [{"job_id": snap.id, "t": t, "sensor": sensor, "actual": a, "target": tg}
                    for t, sensor, a, tg in samples]
            if rows:
                s.execute(schema.job_temperatures.insert(), rows)

    def recover_interrupted(self) -> list[int]:
        """Jobs left active by a crash or power cut become ``interrupted`` at
        the last line the printer confirmed.  Call once at start-up, before
        any connection runs."""
        with self._sessions.begin() as s:
            rows = s.execute(sa.select(schema.jobs.c.id, schema.jobs.c.owner_pid)
                             .where(schema.jobs.c.state.in_(ACTIVE_STATES))).all()
            ids = [int(r[0]) for r in rows if not _alive(r[1])]
            if ids:
                s.execute(schema.jobs.update().where(schema.jobs.c.id.in_(ids)).values(
                    state="interrupted", reason=INTERRUPTED_REASON, ended_at=time.time(),
                    updated_at=time.time()))
        if ids:
            log.warning("marked %d job(s) interrupted after an unclean stop: %s", len(ids), ids)
        return ids

    def jobs(self, limit: int = 200) -> list[JobRecord]:
        j, v = schema.jobs, schema.verdicts
        query = (sa.select(j, v.c.good, v.c.reason.label("verdict_reason"))
                 .select_from(j.outerjoin(v, v.c.job_id == j.c.id))
                 .order_by(j.c.created_at.desc(), j.c.id.desc()).limit(limit))
        with self._sessions() as s:
            rows = s.execute(query).mappings().all()
        return [_job(r) for r in rows]

    def job(self, job_id: int) -> JobRecord:
        j, v = schema.jobs, schema.verdicts
        query = (sa.select(j, v.c.good, v.c.reason.label("verdict_reason"))
                 .select_from(j.outerjoin(v, v.c.job_id == j.c.id)).where(j.c.id == job_id))
        with self._sessions() as s:
            row = s.execute(query).mappings().first()
        if row is None:
            raise JobError(f"no job with id {job_id}")
        return _job(row)

    def temperatures(self, job_id: int) -> list[tuple[float, str, float | None, float | None]]:
        t = schema.job_temperatures
        with self._sessions() as s:
            rows = s.execute(sa.select(t.c.t, t.c.sensor, t.c.actual, t.c.target)
                             .where(t.c.job_id == job_id).order_by(t.c.id)).all()
        return [(float(r[0]), str(r[1]), r[2], r[3]) for r in rows]

    def set_verdict(self, job_id: int, good: bool, reason: str | None) -> None:
        if not good and not (reason and reason.strip()):
            raise JobError("a bad print needs a reason")
        rec = self.job(job_id)
        if rec.state in ACTIVE_STATES:
            raise JobError(f"job {job_id} is still {rec.state}; confirm it when it has ended")
        with self._sessions.begin() as s:
            s.execute(schema.verdicts.delete().where(schema.verdicts.c.job_id == job_id))
            s.execute(schema.verdicts.insert().values(
                job_id=job_id, good=good, reason=None if good else reason,
                created_at=time.time()))


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _printer(row: Any) -> PrinterRecord:
    m = row._mapping
    try:
        options = json.loads(m["options"] or "{}")
    except ValueError:
        options = {}
    return PrinterRecord(int(m["id"]), str(m["name"]), str(m["port"]), int(m["baud"]),
                         str(m["kind"]), options, m["url"])


def _job(m: Any) -> JobRecord:
    good = m["good"]
    return JobRecord(
        id=int(m["id"]), printer=str(m["printer_name"]), file=str(m["file_path"]),
        state=str(m["state"]), reason=m["reason"], created_at=float(m["created_at"]),
        started_at=m["started_at"], ended_at=m["ended_at"], lines_total=int(m["lines_total"]),
        lines_confirmed=int(m["lines_confirmed"]), bytes_total=int(m["bytes_total"]),
        bytes_confirmed=int(m["bytes_confirmed"]), layer=m["layer"],
        verdict=None if good is None else ("good" if good else "bad"),
        verdict_reason=m["verdict_reason"], sha256=m["file_sha256"],
    )
