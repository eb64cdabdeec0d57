"""The import pipeline: plan, then run in worker processes, resumably.

``plan`` walks the given files, folders and zip archives (archives are
vetted from their directory first; links are never followed) and records
one *import item* per file in the database, all ``pending``.  ``run`` feeds
the pending items to a pool of worker processes (two by default: both
cores) and writes each result as it arrives, in its own transaction, so an
import that is killed resumes where it stopped and never redoes or loses a
finished file.  ``cancel`` stops it between files.  Identical content is
stored once (a ``duplicate`` item points at the model that has it).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from library import analyse, catalog, licences
from library.catalog import insert_id
from library.errors import ImportCancelledError, LibraryError
from library.safety import DEFAULT_LIMITS, Limits, open_zip, read_member
from library.schema import lib_file, lib_import_item, lib_import_job, lib_model
from library.store import Store
from library.worker import WorkItem, WorkResult, init_worker, process

log = logging.getLogger(__name__)

_TEXT_NAMES = ("readme", "license", "licence", "attribution", "credits")


@dataclass(slots=True)
class Progress:
    job_id: int
    total: int
    finished: int
    failed: int
    bytes_done: int
    bytes_total: int
    current: str = ""


@dataclass(slots=True)
class ReportLine:
    name: str
    state: str        # done, duplicate, failed, pending
    error: str = ""
    model_id: int | None = None


@dataclass(slots=True)
class ImportReport:
    job_id: int
    state: str
    lines: list[ReportLine] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, state: str) -> int:
        return sum(1 for ln in self.lines if ln.state == state)

    def as_dict(self) -> dict[str, Any]:
        return {"job": self.job_id, "state": self.state, "seconds": round(self.seconds, 3),
                "imported": self.count("done"), "duplicates": self.count("duplicate"),
                "failed": self.count("failed"), "pending": self.count("pending"),
                "files": [{"name": ln.name, "state": ln.state, "error": ln.error,
                           "model": ln.model_id} for ln in self.lines]}


@dataclass(slots=True)
class _Planned:
    source: str
    member: str
    group_key: str
    size: int
    error: str = ""


def _walk(root: Path, out: list[_Planned], limits: Limits) -> None:
    if root.is_symlink():
        out.append(_Planned(str(root), "", str(root), 0, f"{root.name}: is a link; not followed"))
        return
    if root.is_dir():
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            for name in sorted(filenames):
                p = Path(dirpath) / name
                if p.is_symlink():
                    out.append(_Planned(str(p), "", str(p), 0, f"{name}: is a link; not followed"))
                elif analyse.format_of(name) or name.lower().endswith(".zip"):
                    _walk(p, out, limits)
        return
    if not root.exists():
        out.append(_Planned(str(root), "", str(root), 0, f"{root}: no such file"))
        return
    if root.suffix.lower() == ".zip":
        try:
            zf, infos = open_zip(str(root), limits)
        except LibraryError as exc:
            out.append(_Planned(str(root), "", str(root), root.stat().st_size,
                                f"{root.name}: {exc}"))
            return
        with zf:
            members = [i for i in infos if analyse.format_of(i.filename)
                       and not PurePosixPath(i.filename).name.startswith(".")
                       and "__MACOSX" not in i.filename]
            if not members:
                out.append(_Planned(str(root), "", str(root), root.stat().st_size,
                                    f"{root.name}: no model or G-code files inside"))
            for i in members:
                out.append(_Planned(str(root), i.filename, str(root), i.file_size))
        return
    if analyse.format_of(root.name) is None:
        out.append(_Planned(str(root), "", str(root), 0,
                            f"{root.name}: not a model, G-code or slicer profile"))
        return
    out.append(_Planned(str(root), "", str(root), root.stat().st_size))


def _group_loose_files(items: list[_Planned]) -> None:
    """G-code sliced from a mesh of the same folder joins that mesh's model
    (``benchy.stl`` + ``benchy_0.2mm_PLA.gcode``)."""
    meshes: dict[Path, list[tuple[str, str]]] = {}
    for it in items:
        if not it.member and analyse.format_of(it.source) in analyse.MESH_FORMATS:
            p = Path(it.source)
            meshes.setdefault(p.parent, []).append((p.stem.lower(), it.source))
    for it in items:
        if not it.member and analyse.format_of(it.source) in analyse.GCODE_FORMATS:
            p = Path(it.source)
            stem = p.name.lower().split(".")[0]
            best = max((m for m in meshes.get(p.parent, []) if stem.startswith(m[0])),
                       key=lambda m: len(m[0]), default=None)
            if best:
                it.group_key = best[1]


class Importer:
    """Runs imports for one library.  ``listener`` receives :class:`Progress`
    on the thread that calls :meth:`run`."""

    def __init__(self, engine: Engine, store: Store, *, workers: int = 2,
                 limits: Limits = DEFAULT_LIMITS, seconds_per_file: float = 120.0,
                 memory_per_worker: int = 6 << 30) -> None:
        self.engine, self.store, self.workers = engine, store, max(1, workers)
        self.limits, self.seconds = limits, seconds_per_file
        self.memory = memory_per_worker
        self._cancel = threading.Event()

    # -- planning ------------------------------------------------------
    def plan(self, roots: Sequence[Path]) -> int:
        planned: list[_Planned] = []
        for root in roots:
            _walk(Path(root).expanduser().absolute(), planned, self.limits)
        _group_loose_files(planned)
        with self.engine.begin() as conn:
            job = insert_id(conn.execute(lib_import_job.insert().values(
                created_at=time.time(), state="running",
                roots_json=json.dumps([str(r) for r in roots]))))
            if planned:
                conn.execute(lib_import_item.insert(), [
                    {"job_id": job, "source": p.source, "member": p.member,
                     "group_key": p.group_key, "size": p.size,
                     "state": "failed" if p.error else "pending", "error": p.error or None}
                    for p in planned])
        log.info("import job %s planned: %d item(s)", job, len(planned))
        return int(job)

    def unfinished_jobs(self) -> list[int]:
        with self.engine.connect() as conn:
            return [int(j) for j in conn.execute(
                sa.select(lib_import_job.c.id).where(lib_import_job.c.state != "done")
                .order_by(lib_import_job.c.id)).scalars()]

    def cancel(self) -> None:
        self._cancel.set()

    # -- running -------------------------------------------------------
    def run(self, job_id: int, listener: Callable[[Progress], None] | None = None
            ) -> ImportReport:
        self._cancel.clear()
        t0 = time.perf_counter()
        with self.engine.begin() as conn:
            conn.execute(lib_import_job.update().where(lib_import_job.c.id == job_id)
                         .values(state="running"))
            rows = conn.execute(sa.select(lib_import_item).where(
                lib_import_item.c.job_id == job_id).order_by(lib_import_item.c.id)
            ).mappings().all()
        pending = [r for r in rows if r["state"] == "pending"]
        by_id = {r["id"]: r for r in rows}
        prog = Progress(job_id, len(rows), len(rows) - len(pending),
                        sum(1 for r in rows if r["state"] == "failed"),
                        sum(r["size"] for r in rows if r["state"] != "pending"),
                        sum(r["size"] for r in rows))
        if listener:
            listener(prog)
        state = "done"
        try:
            self._execute(pending, by_id, prog, listener)
        except ImportCancelledError:
            state = "cancelled"
        with self.engine.begin() as conn:
            conn.execute(lib_import_job.update().where(lib_import_job.c.id == job_id).values(
                state=state, finished_at=time.time() if state == "done" else None))
        report = self.report(job_id)
        report.seconds = time.perf_counter() - t0
        log.info("import job %s %s: %d imported, %d duplicate(s), %d failed in %.1f s",
                 job_id, state, report.count("done"), report.count("duplicate"),
                 report.count("failed"), report.seconds)
        return report

    def _pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker, initargs=(self.memory, self.limits))

    def _execute(self, pending: list[Any], by_id: dict[int, Any], prog: Progress,
                 listener: Callable[[Progress], None] | None) -> None:
        if not pending:
            return
        queue = list(reversed(pending))
        attempts: dict[int, int] = {}
        pool = self._pool()
        running: dict[Future[WorkResult], Any] = {}
        try:
            while queue or running:
                if self._cancel.is_set():
                    raise ImportCancelledError("import cancelled")
                while queue and len(running) < 2 * self.workers:
                    row = queue.pop()
                    item = WorkItem(row["id"], row["source"], row["member"],
                                    str(self.store.root), self.seconds)
                    running[pool.submit(process, item)] = row
                done, _ = wait(list(running), timeout=0.5, return_when=FIRST_COMPLETED)
                for fut in done:
                    row = running.pop(fut)
                    try:
                        res = fut.result()
                    except BrokenProcessPool:
                        # A worker died (killed, or out of memory beyond the
                        # limit): retry its files once on a fresh pool.
                        n = attempts[row["id"]] = attempts.get(row["id"], 0) + 1
                        if n >= 2:
                            res = WorkResult(row["id"], False, error=(
                                f"{Path(row['member'] or row['source']).name}: the worker "
                                "process died on this file; skipped"))
                        else:
                            queue.append(row)
                            continue
                    self._record(res, row, by_id)
                    prog.finished += 1
                    prog.failed += 0 if res.ok else 1
                    prog.bytes_done += row["size"]
                    prog.current = Path(row["member"] or row["source"]).name
                    if listener:
                        listener(prog)
                if self._broken(pool):
                    # Every file in flight is retried once on a fresh pool;
                    # a file that breaks the pool twice is reported, so a
                    # pool that cannot start ends the import, never loops.
                    for fut, row in list(running.items()):
                        running.pop(fut)
                        n = attempts[row["id"]] = attempts.get(row["id"], 0) + 1
                        if n >= 2:
                            self._record(WorkResult(row["id"], False, error=(
                                f"{Path(row['member'] or row['source']).name}: the worker "
                                "process died on this file; skipped")), row, by_id)
                            prog.finished += 1
                            prog.failed += 1
                        else:
                            queue.append(row)
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = self._pool()
        finally:
            pool.shutdown(wait=not self._cancel.is_set(), cancel_futures=True)

    @staticmethod
    def _broken(pool: ProcessPoolExecutor) -> bool:
        return bool(getattr(pool, "_broken", False))

    # -- writing results ----------------------------------------------
    def _record(self, res: WorkResult, row: Any, by_id: dict[int, Any]) -> None:
        name = row["member"] or Path(row["source"]).name
        with self.engine.begin() as conn:
            values: dict[str, Any] = {"seconds": res.seconds}
            if not res.ok:
                values.update(state="failed", error=res.error)
            else:
                assert res.analysis is not None
                existing = conn.execute(sa.select(lib_file.c.model_id).where(
                    lib_file.c.blob_hash == res.blob_hash).limit(1)).scalar()
                if existing is not None:
                    values.update(state="duplicate", blob_hash=res.blob_hash,
                                  model_id=existing,
                                  error=f"identical to a file of model {existing}")
                else:
                    model_id, version_id = self._model_for(conn, row, res)
                    catalog.add_file(conn, model_id, version_id, res.blob_hash,
                                     name=PurePosixPath(name).name, size=res.size,
                                     analysis=res.analysis)
                    values.update(state="done", blob_hash=res.blob_hash, model_id=model_id)
            conn.execute(lib_import_item.update().where(lib_import_item.c.id == row["id"])
                         .values(**values))

    def _model_for(self, conn: Any, row: Any, res: WorkResult) -> tuple[int, int]:
        sibling = conn.execute(sa.select(lib_import_item.c.model_id).where(
            lib_import_item.c.job_id == row["job_id"],
            lib_import_item.c.group_key == row["group_key"],
            lib_import_item.c.state == "done",
            lib_import_item.c.model_id.is_not(None)).limit(1)).scalar()
        if sibling is not None and conn.execute(sa.select(lib_model.c.id).where(
                lib_model.c.id == sibling)).first():
            return int(sibling), catalog.latest_version(conn, sibling)
        group = Path(row["group_key"])
        title = group.stem.replace("_", " ").replace("-", " ").strip() or group.name
        fields: dict[str, Any] = {"origin": "imported"}
        meta = (res.analysis or {}).get("metadata") or {}
        if meta.get("Title"):
            title = meta["Title"]
        if meta.get("Designer"):
            fields["creator"] = meta["Designer"][:300]
        if meta.get("Description"):
            fields["description"] = meta["Description"]
        lic = licences.detect_licence(meta.get("LicenseTerms", "") or meta.get("License", ""))
        if lic:
            fields["licence"] = lic
        if row["member"]:
            att = self._zip_attribution(row["source"])
            if att.title:
                title = att.title
            for key in ("licence", "creator", "source_url"):
                if getattr(att, key) and not fields.get(key):
                    fields[key] = getattr(att, key)
            if att.creator:
                fields["attribution"] = f"{title} by {att.creator}" + (
                    f" ({att.source_url})" if att.source_url else "")
        return catalog.create_model(conn, title[:500], **fields)

    def _zip_attribution(self, path: str) -> licences.Attribution:
        texts: dict[str, str] = {}
        try:
            zf, infos = open_zip(path, self.limits)
        except LibraryError:
            return licences.Attribution()
        with zf:
            for info in infos:
                base = PurePosixPath(info.filename).name.lower()
                if base.startswith(_TEXT_NAMES) and info.file_size < (1 << 20):
                    texts[info.filename] = read_member(zf, info).decode("utf-8", "replace")
        return licences.detect(texts)

    # -- reporting ------------------------------------------------------
    def report(self, job_id: int) -> ImportReport:
        with self.engine.connect() as conn:
            job = conn.execute(sa.select(lib_import_job.c.state).where(
                lib_import_job.c.id == job_id)).scalar()
            if job is None:
                raise LibraryError(f"no import job {job_id}")
            rows = conn.execute(sa.select(lib_import_item).where(
                lib_import_item.c.job_id == job_id).order_by(lib_import_item.c.id)).mappings()
            lines = [ReportLine(
                name=(f"{Path(r['source']).name}/{r['member']}" if r["member"]
                      else Path(r["source"]).name),
                state=r["state"], error=r["error"] or "", model_id=r["model_id"]) for r in rows]
        return ImportReport(job_id, str(job), lines)


def import_paths(importer: Importer, roots: Iterable[Path],
                 listener: Callable[[Progress], None] | None = None) -> ImportReport:
    """Plan and run in one call (the CLI and tests)."""
    return importer.run(importer.plan(list(roots)), listener)
