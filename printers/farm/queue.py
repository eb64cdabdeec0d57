"""The queue across the farm, persisted in the desktop database.

One row of ``farm_queue`` per copy to print.  An item carries its
:class:`Requirements` (nozzle, material, minimum build volume, a tag, or a
chosen printer) and whether to start it or only upload it.  Its life::

    pending --assign--> starting --printer.start()--> printing --> completed
       |                   |  (error: back to pending,             failed
       |                   |   or failed after max_attempts)        cancelled
       |                   |                                        interrupted
       +--assign (no start)--> uploading --> uploaded

:meth:`FarmQueue.dispatch` is one pass of the dispatcher: it records the end
of finished jobs (read from their ``print_jobs`` records), then assigns
pending items to printers that fit and are idle, and hands the work to each
printer's worker through the supervisor.  Every transition is written before
anything is asked of a printer, in one transaction with what goes with it
(the assignment marks the printer's bed as used), and each is guarded by the
state it leaves (``WHERE state = 'pending'``), so that a restart at any point
loses nothing and starts nothing twice:

- an item is ``starting`` only between that commit and the printer's answer;
  a graceful shutdown answers every one (the supervisor fails work it had
  not begun, which puts the item back to ``pending``); after a crash,
  :meth:`recover` marks a leftover ``starting`` item ``interrupted`` (the
  print may or may not have begun: a person decides, nothing is re-sent);
- a ``printing`` item ends as its job record ends (a serial job cut by a
  shutdown or a crash ends ``interrupted``; it is never restarted by itself).

"Bed cleared?": a printer whose bed was used by a queued job takes no next
job until :meth:`bed_cleared` is called for it.  Staggered starts: at most
``max_heating`` printers heat up at once; an item counts as heating from its
assignment until its printer reports its job past the heating phase.

Listeners (:meth:`subscribe`) are called with no argument after every change,
on the thread that made it (the caller's, the dispatcher's, or a printer's
worker); they re-read :meth:`items` off the GUI thread.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from printers import schema
from printers.errors import GcodeFileError, JobError, PrinterError
from printers.interface import (
    ENDED_JOB_STATES,
    Capabilities,
    Printer,
    PrinterState,
    PrinterStatus,
)
from printers.jobs import ACTIVE_STATES

log = logging.getLogger(__name__)

T = TypeVar("T")

WARM_PROGRESS = 0.25  # a running job this far along is past any heating
INTERRUPTED_START = ("Layerline stopped while starting this job: check the printer, "
                     "then queue it again if nothing printed")


class ItemState(enum.StrEnum):
    PENDING = "pending"
    STARTING = "starting"
    PRINTING = "printing"
    UPLOADING = "uploading"
    UPLOADED = "uploaded"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def ended(self) -> bool:
        return self in (ItemState.COMPLETED, ItemState.FAILED, ItemState.CANCELLED,
                        ItemState.INTERRUPTED, ItemState.UPLOADED)

    @property
    def active(self) -> bool:
        return self in (ItemState.STARTING, ItemState.PRINTING, ItemState.UPLOADING)


@dataclass(frozen=True, slots=True)
class Requirements:
    """What a printer must have to take an item (None: anything goes)."""

    nozzle: float | None = None
    material: str | None = None
    min_volume: tuple[float, float, float] | None = None
    tag: str | None = None
    printer: str | None = None  # this printer and no other

    def fits(self, name: str, caps: Capabilities) -> bool:
        if self.printer is not None and name != self.printer:
            return False
        if self.nozzle is not None and (caps.nozzle_diameter is None
                                        or abs(caps.nozzle_diameter - self.nozzle) > 1e-6):
            return False
        if self.material is not None and (caps.material is None
                                          or caps.material.casefold()
                                          != self.material.casefold()):
            return False
        if self.min_volume is not None and (caps.build_volume is None or any(
                have < need for have, need in zip(caps.build_volume, self.min_volume,
                                                  strict=True))):
            return False
        return self.tag is None or self.tag in caps.tags

    def describe(self) -> str:
        parts = []
        if self.nozzle is not None:
            parts.append(f"{self.nozzle:g} mm nozzle")
        if self.material:
            parts.append(self.material)
        if self.min_volume:
            parts.append("at least " + "x".join(f"{v:g}" for v in self.min_volume) + " mm")
        if self.tag:
            parts.append(f"#{self.tag}")
        if self.printer:
            parts.append(f"on {self.printer}")
        return ", ".join(parts) or "any printer"


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: int
    position: float
    batch: int
    copy: int
    file_path: str
    file_name: str
    requirements: Requirements
    start: bool
    state: ItemState
    assigned: str | None
    job_id: int | None
    reason: str | None
    attempts: int
    created_at: float
    updated_at: float

    def as_dict(self) -> dict[str, Any]:
        r = self.requirements
        return {
            "id": self.id, "position": self.position, "batch": self.batch, "copy": self.copy,
            "file": self.file_path, "file_name": self.file_name, "start": self.start,
            "state": self.state.value, "assigned": self.assigned, "job_id": self.job_id,
            "reason": self.reason, "attempts": self.attempts, "created_at": self.created_at,
            "updated_at": self.updated_at,
            "requirements": {"nozzle": r.nozzle, "material": r.material,
                             "min_volume": None if r.min_volume is None else list(r.min_volume),
                             "tag": r.tag, "printer": r.printer},
        }


@dataclass(frozen=True, slots=True)
class Assignment:
    item_id: int
    printer: str
    start: bool


class Farmhand(Protocol):
    """What the dispatcher needs of the farm (the supervisor implements it)."""

    def statuses(self) -> dict[str, PrinterStatus]: ...

    def submit(self, name: str, fn: Callable[[Printer], T]) -> Future[T]: ...


class FarmQueue:
    """See the module docstring."""

    def __init__(self, sessions: sessionmaker[Session], *, max_heating: int = 2,
                 max_attempts: int = 3) -> None:
        if max_heating < 1:
            raise ValueError("max_heating must be at least 1")
        self._sessions = sessions
        self.max_heating = max_heating
        self.max_attempts = max_attempts
        self._listeners: list[Callable[[], None]] = []
        self._dispatch_lock = threading.Lock()
        self._warm: set[int] = set()  # items seen past their heating

    # ------------------------------------------------------------ listeners --
    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("queue listener failed")

    # ---------------------------------------------------------------- items --
    def add(self, file: Path, *, copies: int = 1, requirements: Requirements | None = None,
            start: bool = True) -> list[QueueItem]:
        """Queue ``copies`` copies of ``file`` at the end of the queue."""
        if copies < 1:
            raise JobError("copies must be at least 1")
        if not file.is_file():
            raise JobError(f"no such file: {file}")
        req = requirements or Requirements()
        q = schema.farm_queue
        now = time.time()
        with self._sessions.begin() as s:
            last = s.execute(sa.select(sa.func.max(q.c.position))).scalar()
            batch = (s.execute(sa.select(sa.func.max(q.c.batch))).scalar() or 0) + 1
            base = float(last or 0.0)
            ids = []
            for n in range(copies):
                ids.append(int(s.execute(q.insert().values(
                    position=base + n + 1, batch=batch, copy=n + 1,
                    file_path=str(file.resolve()), file_name=file.name,
                    nozzle=req.nozzle, material=req.material,
                    min_x=None if req.min_volume is None else req.min_volume[0],
                    min_y=None if req.min_volume is None else req.min_volume[1],
                    min_z=None if req.min_volume is None else req.min_volume[2],
                    tag=req.tag, printer=req.printer, start=start,
                    state=ItemState.PENDING.value, created_at=now, updated_at=now,
                ).returning(q.c.id)).scalar_one()))
        log.info("queued %d cop%s of %s (%s)", copies, "y" if copies == 1 else "ies",
                 file.name, req.describe())
        self._changed()
        return [self.item(i) for i in ids]

    def items(self, *, include_ended: bool = True) -> list[QueueItem]:
        q = schema.farm_queue
        query = sa.select(q).order_by(q.c.position, q.c.id)
        if not include_ended:
            query = query.where(q.c.state.in_([s.value for s in ItemState if not s.ended]))
        with self._sessions() as s:
            rows = s.execute(query).mappings().all()
        return [_item(r) for r in rows]

    def item(self, item_id: int) -> QueueItem:
        q = schema.farm_queue
        with self._sessions() as s:
            row = s.execute(sa.select(q).where(q.c.id == item_id)).mappings().first()
        if row is None:
            raise JobError(f"no queue item {item_id}")
        return _item(row)

    def move(self, item_id: int, index: int) -> None:
        """Put a pending item at ``index`` among the pending items (0: first)."""
        q = schema.farm_queue
        with self._sessions.begin() as s:
            ids = [int(r[0]) for r in s.execute(
                sa.select(q.c.id).where(q.c.state == ItemState.PENDING.value)
                .order_by(q.c.position, q.c.id)).all()]
            if item_id not in ids:
                raise JobError(f"queue item {item_id} is not pending")
            ids.remove(item_id)
            ids.insert(max(0, min(index, len(ids))), item_id)
            positions = sorted(float(r[0]) for r in s.execute(
                sa.select(q.c.position).where(q.c.id.in_(ids))).all())
            for pk, pos in zip(ids, positions, strict=True):
                s.execute(q.update().where(q.c.id == pk).values(position=pos))
        self._changed()

    def assign(self, item_id: int, printer: str | None) -> None:
        """Send a pending item to ``printer`` only (None: any that fits)."""
        self._update_pending(item_id, printer=printer)

    def cancel(self, item_id: int, farm: Farmhand | None = None) -> None:
        """Cancel an item: a pending one at once; a printing one by cancelling
        its job on its printer (the item ends as its job does)."""
        q = schema.farm_queue
        with self._sessions.begin() as s:
            row = s.execute(sa.select(q.c.state, q.c.assigned).where(q.c.id == item_id)).first()
            if row is None:
                raise JobError(f"no queue item {item_id}")
            state, assigned = ItemState(row[0]), row[1]
            if state is ItemState.PENDING:
                s.execute(q.update().where(q.c.id == item_id, q.c.state == state.value).values(
                    state=ItemState.CANCELLED.value, reason="cancelled before it started",
                    updated_at=time.time()))
        if state is ItemState.PENDING:
            self._changed()
            return
        if state.ended:
            raise JobError(f"queue item {item_id} has ended already ({state.value})")
        if farm is None or assigned is None:
            raise JobError(f"queue item {item_id} is {state.value}: cancel it on its printer")
        farm.submit(assigned, lambda p: p.cancel())

    def _update_pending(self, item_id: int, **values: Any) -> None:
        q = schema.farm_queue
        with self._sessions.begin() as s:
            done = _count(s.execute(q.update().where(q.c.id == item_id,
                                              q.c.state == ItemState.PENDING.value)
                             .values(updated_at=time.time(), **values)))
        if not done:
            raise JobError(f"queue item {item_id} is not pending")
        self._changed()

    # ---------------------------------------------------------------- beds --
    def beds_to_clear(self) -> set[str]:
        """Printers waiting for someone to confirm their bed is cleared."""
        b = schema.farm_beds
        with self._sessions() as s:
            return {str(r[0]) for r in s.execute(
                sa.select(b.c.printer).where(b.c.needs_clearing == sa.true())).all()}

    def bed_cleared(self, printer: str) -> bool:
        """Confirm ``printer``'s bed is cleared; False if it was not waiting."""
        b = schema.farm_beds
        with self._sessions.begin() as s:
            done = _count(s.execute(b.update().where(b.c.printer == printer,
                                              b.c.needs_clearing == sa.true())
                             .values(needs_clearing=False, updated_at=time.time())))
        if done:
            log.info("bed of %s cleared", printer)
            self._changed()
        return bool(done)

    # ------------------------------------------------------------- recovery --
    def recover(self) -> list[int]:
        """At start-up, before dispatching: items left ``starting`` or
        ``uploading`` by a crash become ``interrupted``; items whose job has
        ended take its outcome.  Returns the ids changed."""
        q = schema.farm_queue
        now = time.time()
        with self._sessions.begin() as s:
            ids = [int(r[0]) for r in s.execute(sa.select(q.c.id).where(q.c.state.in_(
                [ItemState.STARTING.value, ItemState.UPLOADING.value]))).all()]
            if ids:
                s.execute(q.update().where(q.c.id.in_(ids)).values(
                    state=ItemState.INTERRUPTED.value, reason=INTERRUPTED_START,
                    updated_at=now))
            ids += self._finish_ended(s)
        if ids:
            log.warning("queue: %d item(s) settled after a restart: %s", len(ids), ids)
            self._changed()
        return ids

    def _finish_ended(self, s: Session) -> list[int]:
        """Printing items whose job record has ended take its outcome."""
        q, j = schema.farm_queue, schema.jobs
        rows = s.execute(
            sa.select(q.c.id, j.c.state, j.c.reason)
            .select_from(q.join(j, j.c.id == q.c.job_id))
            .where(q.c.state == ItemState.PRINTING.value, j.c.state.not_in(ACTIVE_STATES))
        ).all()
        now = time.time()
        for item_id, state, reason in rows:
            s.execute(q.update().where(q.c.id == item_id,
                                       q.c.state == ItemState.PRINTING.value)
                      .values(state=ItemState(state).value, reason=reason, updated_at=now))
        return [int(r[0]) for r in rows]

    # ------------------------------------------------------------- dispatch --
    def reconcile(self) -> list[int]:
        """Record the end of every printing item whose job has ended."""
        with self._sessions.begin() as s:
            ids = self._finish_ended(s)
        if ids:
            self._changed()
        return ids

    def heating_count(self, statuses: dict[str, PrinterStatus],
                      items: Iterable[QueueItem] | None = None) -> int:
        """Printers heating up for a queued job, or about to: an item counts
        from its assignment until its printer reports its job running with
        every heater at its target (or, for a print that never heats, a
        quarter done)."""
        count = 0
        for item in items if items is not None else self.items(include_ended=False):
            if not item.start or not item.state.active or item.assigned is None:
                continue
            if item.state is ItemState.STARTING:
                count += 1
                continue
            if item.id in self._warm:
                continue
            status = statuses.get(item.assigned)
            job = None if status is None else status.job
            if status is None or job is None or job.job_id != item.job_id:
                count += 1  # started, but its printer has not said so yet
            elif job.state in ENDED_JOB_STATES:
                continue
            elif status.warm or (job.progress >= WARM_PROGRESS and not status.heating):
                self._warm.add(item.id)  # once warm, it stays so (a later M109 is short)
            else:
                count += 1
        return count

    def dispatch(self, farm: Farmhand) -> list[Assignment]:
        """One pass (see the module docstring); returns what it assigned."""
        with self._dispatch_lock:
            changed = bool(self.reconcile())
            statuses = farm.statuses()
            live = self.items(include_ended=False)
            pending = [i for i in live if i.state is ItemState.PENDING]
            if not pending:
                if changed:
                    self._changed()
                return []
            busy = {i.assigned for i in live if i.state.active and i.assigned}
            dirty = self.beds_to_clear()
            heating = self.heating_count(statuses, live)
            plan: list[Assignment] = []
            taken: set[str] = set()
            for item in pending:
                if item.start and heating >= self.max_heating:
                    continue
                name = self._choose(item, statuses, busy | taken, dirty)
                if name is None:
                    continue
                taken.add(name)
                if item.start:
                    heating += 1
                plan.append(Assignment(item.id, name, item.start))
            plan = self._commit(plan)
        for assignment in plan:
            item = self.item(assignment.item_id)
            self._hand_over(farm, item, assignment)
        if plan or changed:
            self._changed()
        return plan

    def _choose(self, item: QueueItem, statuses: dict[str, PrinterStatus], taken: set[str],
                dirty: set[str]) -> str | None:
        fitting = []
        for name in sorted(statuses):
            status = statuses[name]
            if name in taken or not item.requirements.fits(name, status.capabilities):
                continue
            if item.start:
                if not status.idle or status.reason is not None or name in dirty:
                    continue
            elif status.state not in (PrinterState.OPERATIONAL, PrinterState.PRINTING,
                                      PrinterState.PAUSED):
                continue
            fitting.append(name)
        return fitting[0] if fitting else None

    def _commit(self, plan: list[Assignment]) -> list[Assignment]:
        """Write the assignments (and the beds they use) in one transaction."""
        q, b = schema.farm_queue, schema.farm_beds
        done: list[Assignment] = []
        now = time.time()
        with self._sessions.begin() as s:
            for a in plan:
                state = ItemState.STARTING if a.start else ItemState.UPLOADING
                n = _count(s.execute(q.update().where(q.c.id == a.item_id,
                                               q.c.state == ItemState.PENDING.value)
                              .values(state=state.value, assigned=a.printer, reason=None,
                                      attempts=q.c.attempts + 1, updated_at=now)))
                if not n:
                    continue  # cancelled or moved meanwhile
                if a.start:
                    s.execute(b.delete().where(b.c.printer == a.printer))
                    s.execute(b.insert().values(printer=a.printer, needs_clearing=True,
                                                item_id=a.item_id, updated_at=now))
                done.append(a)
        for a in done:
            log.info("queue item %d -> %s (%s)", a.item_id, a.printer,
                     "start" if a.start else "upload only")
        return done

    def _hand_over(self, farm: Farmhand, item: QueueItem, a: Assignment) -> None:
        path = Path(item.file_path)

        def work(printer: Printer) -> int:
            if a.start:
                return printer.start(path)
            printer.upload(path)
            return 0

        try:
            future = farm.submit(a.printer, work)
        except PrinterError as exc:
            self._start_failed(item, a, exc)
            return
        future.add_done_callback(lambda f: self._started(item, a, f))

    def _started(self, item: QueueItem, a: Assignment, future: Future[Any]) -> None:
        """On the printer's worker: the printer's answer."""
        exc = future.exception() if not future.cancelled() else JobError("cancelled")
        if exc is not None:
            self._start_failed(item, a, exc)
            return
        q = schema.farm_queue
        with self._sessions.begin() as s:
            if a.start:
                s.execute(q.update().where(q.c.id == item.id,
                                           q.c.state == ItemState.STARTING.value)
                          .values(state=ItemState.PRINTING.value, job_id=int(future.result())
                                  or None, updated_at=time.time()))
            else:
                s.execute(q.update().where(q.c.id == item.id,
                                           q.c.state == ItemState.UPLOADING.value)
                          .values(state=ItemState.UPLOADED.value, updated_at=time.time()))
        self._changed()

    def _start_failed(self, item: QueueItem, a: Assignment, exc: BaseException) -> None:
        """The printer refused or could not be reached: the item goes back to
        pending (or fails after ``max_attempts``); the bed it had reserved is
        free again."""
        q, b = schema.farm_queue, schema.farm_beds
        from_state = ItemState.STARTING if a.start else ItemState.UPLOADING
        again = item.attempts + 1 < self.max_attempts and not isinstance(exc, GcodeFileError)
        reason = f"{a.printer}: {exc}"
        with self._sessions.begin() as s:
            s.execute(q.update().where(q.c.id == item.id, q.c.state == from_state.value).values(
                state=(ItemState.PENDING if again else ItemState.FAILED).value,
                assigned=None if again else a.printer, reason=reason,
                updated_at=time.time()))
            if a.start:
                s.execute(b.delete().where(b.c.printer == a.printer, b.c.item_id == item.id))
        log.warning("queue item %d not started on %s: %s (%s)", item.id, a.printer, exc,
                    "will retry" if again else "failed")
        self._changed()


def _item(m: Any) -> QueueItem:
    vol = None
    if m["min_x"] is not None and m["min_y"] is not None and m["min_z"] is not None:
        vol = (float(m["min_x"]), float(m["min_y"]), float(m["min_z"]))
    req = Requirements(nozzle=m["nozzle"], material=m["material"], min_volume=vol,
                       tag=m["tag"], printer=m["printer"])
    return QueueItem(
        id=int(m["id"]), position=float(m["position"]), batch=int(m["batch"]),
        copy=int(m["copy"]), file_path=str(m["file_path"]), file_name=str(m["file_name"]),
        requirements=req, start=bool(m["start"]), state=ItemState(m["state"]),
        assigned=m["assigned"], job_id=m["job_id"], reason=m["reason"],
        attempts=int(m["attempts"]), created_at=float(m["created_at"]),
        updated_at=float(m["updated_at"]),
    )


def _count(result: Any) -> int:
    """The rows an UPDATE changed."""
    return int(result.rowcount)
