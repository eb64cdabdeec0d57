"""The durable outbox: everything meant for the marketplace, written first.

Reviews, receipts, print profiles, model publications, votes, reports,
feedback: the app never talks to the marketplace directly when it changes
something there.  It writes an :class:`OutboxItem` to the desktop database
(:meth:`Outbox.add`), with an idempotency key made at that moment, and the
:class:`~reviews.sender.OutboxSender` thread delivers it in the background.

States::

    queued ──claim──> sending ──Delivered──> delivered
      ^                  │ ──Rejected───> rejected ──requeue (new key)──> queued
      └──retryable error─┘ (back off)

- An item is claimed atomically (``UPDATE ... WHERE state='queued'``), so two
  senders never send it at the same moment.
- An item that was ``sending`` when the process died is queued again at the
  next start (:meth:`Outbox.recover`) with the **same** idempotency key: if
  the service had already applied it, it answers with its first answer.
- Two senders on one database (the app and a headless ``layerline sync``)
  are safe: at worst one re-queues an item the other is sending, the item
  goes twice with the same key, and the service applies it once.
- A rejected item keeps the service's reason (``last_error``), whether the
  user can fix it (``fixable``) and the service's answer.  It can be edited
  (:meth:`Outbox.edit`) and queued again (:meth:`Outbox.requeue`) with a new
  idempotency key: a rejected request changed nothing on the service, and the
  old key would only bring back the old rejection.
- An item already tried (``attempts > 0``) that is not rejected cannot be
  edited: the service may hold it already, under its key.

Listeners (:meth:`Outbox.add_listener`) are called with the item's new
snapshot after every change of state or content, on the thread that made the
change: the sender's thread for sending/delivered/rejected/retry, the
caller's thread for add/edit/requeue/discard.  They must be quick and must not
raise (an exception is logged and ignored); a UI bridge re-emits on the GUI
thread.

Thread-safe: every method makes its own session on the calling thread, and
every transaction that writes starts with its write (SQLite in WAL mode
cannot turn a read transaction into a write one when another connection has
written meanwhile; a transaction that writes first waits for the lock).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from reviews.errors import OutboxError
from reviews.schema import outbox_files, outbox_items

log = logging.getLogger(__name__)


class State(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    DELIVERED = "delivered"
    REJECTED = "rejected"


class Kind(StrEnum):
    """The kinds the app writes; the transport maps each to an endpoint.
    Any short lowercase word is accepted, so a new kind needs no migration."""

    RECEIPT = "receipt"
    REVIEW = "review"
    PROFILE = "profile"
    MODEL_PUBLICATION = "model_publication"
    VOTE = "vote"
    REPORT = "report"
    JURY_VOTE = "jury_vote"
    FEEDBACK = "feedback"
    DEVICE_KEY = "device_key"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with an item, checked against its hash when sent."""

    path: Path
    sha256: str
    size: int
    role: str = "file"
    media_type: str = "application/octet-stream"

    @classmethod
    def of(cls, path: Path, *, role: str = "file",
           media_type: str = "application/octet-stream") -> Attachment:
        """Hash ``path`` now (raises OutboxError when it cannot be read)."""
        digest = hashlib.sha256()
        size = 0
        try:
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
                    size += len(chunk)
        except OSError as exc:
            raise OutboxError(f"cannot attach {path}: {exc.strerror or exc}") from None
        return cls(path=path, sha256=digest.hexdigest(), size=size, role=role,
                   media_type=media_type)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A snapshot of one item (the database holds the truth)."""

    id: int
    kind: str
    title: str
    idempotency_key: str
    payload: dict[str, Any]
    state: State
    attempts: int
    next_attempt_at: float
    last_error: str | None
    fixable: bool | None
    answer: Any
    created_at: float
    updated_at: float
    files: tuple[Attachment, ...] = field(default=())


Listener = Callable[[OutboxItem], None]


def _dump(payload: Any) -> str:
    try:
        return json.dumps(payload, ensure_ascii=False, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise OutboxError(f"the item cannot be stored as JSON: {exc}") from None


def _write(s: Session, statement: Any) -> int:
    """Run an UPDATE or DELETE; how many rows it changed."""
    return int(cast(CursorResult[Any], s.execute(statement)).rowcount)


def _new_key() -> str:
    return str(uuid.uuid4())


class Outbox:
    """The outbox table, its state changes and its listeners.

    ``sessions`` is a session factory (``services.sessions`` in the app); the
    database must have the ``reviews`` tables (migration 0004_reviews).
    ``clock`` gives UTC Unix seconds (tests may pass their own).
    """

    def __init__(self, sessions: Callable[[], Session], *,
                 clock: Callable[[], float] = time.time) -> None:
        self._sessions = sessions
        self.clock = clock
        self._listeners: list[Listener] = []
        self._listeners_guard = threading.Lock()

    # ------------------------------------------------------------ listeners
    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(item)`` after every change; returns a function
        that removes it.  See the module docstring for the threads."""
        with self._listeners_guard:
            self._listeners.append(listener)

        def remove() -> None:
            with self._listeners_guard:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def _notify(self, item: OutboxItem) -> None:
        with self._listeners_guard:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(item)
            except Exception:
                log.exception("an outbox listener failed on item %d", item.id)

    # ------------------------------------------------------------ writing
    def add(self, kind: str, payload: Mapping[str, Any], *, title: str = "",
            files: Sequence[Attachment] = (), hold: float = 0.0) -> OutboxItem:
        """Write an item with a fresh idempotency key, queued for sending now,
        or ``hold`` seconds from now (so that it can still be completed, e.g.
        a receipt waiting for the user's verdict; :meth:`release` ends the
        wait early)."""
        if not kind or len(kind) > 40 or not kind.replace("_", "").isalnum():
            raise OutboxError(f"not an outbox item kind: {kind!r}")
        now = self.clock()
        with self._sessions() as s, s.begin():
            item_id = int(s.execute(outbox_items.insert().values(
                kind=kind, title=title[:200], idempotency_key=_new_key(),
                payload=_dump(dict(payload)), state=State.QUEUED, attempts=0,
                next_attempt_at=now + max(0.0, hold), created_at=now, updated_at=now,
            ).returning(outbox_items.c.id)).scalar_one())
            self._write_files(s, item_id, files)
            item = self._get(s, item_id)
        log.info("outbox: queued %s item %d (%s)", kind, item.id, item.idempotency_key)
        self._notify(item)
        return item

    @staticmethod
    def _write_files(s: Session, item_id: int, files: Iterable[Attachment]) -> None:
        s.execute(outbox_files.delete().where(outbox_files.c.item_id == item_id))
        for position, f in enumerate(files):
            s.execute(outbox_files.insert().values(
                item_id=item_id, position=position, role=f.role, path=str(f.path),
                sha256=f.sha256, size=f.size, media_type=f.media_type,
            ))

    def edit(self, item_id: int, *, payload: Mapping[str, Any] | None = None,
             title: str | None = None, files: Sequence[Attachment] | None = None) -> OutboxItem:
        """Change a rejected item, or a queued one never tried.  Its state does
        not change (call :meth:`requeue` to send a rejected item again)."""
        now = self.clock()
        values: dict[str, Any] = {"updated_at": now}
        if payload is not None:
            values["payload"] = _dump(dict(payload))
        if title is not None:
            values["title"] = title[:200]
        c = outbox_items.c
        with self._sessions() as s, s.begin():
            editable = sa.or_(c.state == State.REJECTED,
                              sa.and_(c.state == State.QUEUED, c.attempts == 0))
            done = _write(s, outbox_items.update()
                          .where(c.id == item_id, editable).values(**values))
            if not done:
                current = self._get(s, item_id)  # raises for an unknown id
                raise OutboxError(
                    f"item {item_id} is {current.state} after {current.attempts} attempt(s); "
                    "only a rejected item, or one not sent yet, can be changed"
                )
            if files is not None:
                self._write_files(s, item_id, files)
            item = self._get(s, item_id)
        self._notify(item)
        return item

    def requeue(self, item_id: int) -> OutboxItem:
        """Queue a rejected item again, with a new idempotency key."""
        now = self.clock()
        c = outbox_items.c
        with self._sessions() as s, s.begin():
            done = _write(s, outbox_items.update()
                          .where(c.id == item_id, c.state == State.REJECTED)
                          .values(state=State.QUEUED, idempotency_key=_new_key(),
                                  attempts=0, next_attempt_at=now, last_error=None,
                                  fixable=None, answer=None, updated_at=now))
            if not done:
                raise OutboxError(f"item {item_id} is {self._get(s, item_id).state}, "
                                  "not rejected: there is nothing to resend")
            item = self._get(s, item_id)
        log.info("outbox: item %d queued again as %s", item_id, item.idempotency_key)
        self._notify(item)
        return item

    def release(self, item_id: int) -> OutboxItem:
        """Make a queued item due now (end a hold, or skip its back-off)."""
        now = self.clock()
        c = outbox_items.c
        with self._sessions() as s, s.begin():
            _write(s, outbox_items.update().where(c.id == item_id, c.state == State.QUEUED)
                   .values(next_attempt_at=now, updated_at=now))
            item = self._get(s, item_id)
        self._notify(item)
        return item

    def discard(self, item_id: int) -> None:
        """Remove a rejected item or one never sent (the user gave up on it)."""
        c = outbox_items.c
        removable = sa.or_(c.state == State.REJECTED,
                           sa.and_(c.state == State.QUEUED, c.attempts == 0))
        with self._sessions() as s, s.begin():
            # Write first (see claim_next); the files go with the item.
            if not _write(s, outbox_items.delete().where(c.id == item_id, removable)):
                item = self._get(s, item_id)  # raises for an unknown id
                raise OutboxError(f"item {item_id} is {item.state} after {item.attempts} "
                                  "attempt(s) and cannot be discarded")
            s.execute(outbox_files.delete().where(outbox_files.c.item_id == item_id))
        log.info("outbox: discarded item %d", item_id)

    def prune_delivered(self, older_than: float) -> int:
        """Forget items delivered more than ``older_than`` seconds ago (their
        answers included); how many went."""
        c = outbox_items.c
        cutoff = self.clock() - older_than
        old = sa.select(c.id).where(c.state == State.DELIVERED, c.updated_at < cutoff)
        with self._sessions() as s, s.begin():
            _write(s, outbox_files.delete().where(outbox_files.c.item_id.in_(old)))
            return _write(s, outbox_items.delete().where(c.id.in_(old)))

    # ------------------------------------------------------------ reading
    def get(self, item_id: int) -> OutboxItem:
        with self._sessions() as s:
            return self._get(s, item_id)

    def items(self, states: Iterable[State] | None = None, *, newest_first: bool = True,
              limit: int | None = None, kind: str | None = None) -> list[OutboxItem]:
        query = sa.select(outbox_items)
        if kind is not None:
            query = query.where(outbox_items.c.kind == kind)
        if states is not None:
            query = query.where(outbox_items.c.state.in_([str(x) for x in states]))
        order = outbox_items.c.id.desc() if newest_first else outbox_items.c.id
        query = query.order_by(order)
        if limit is not None:
            query = query.limit(limit)
        with self._sessions() as s:
            rows = s.execute(query).mappings().all()
            files = self._files(s, [r["id"] for r in rows])
        return [self._item(r, files.get(r["id"], ())) for r in rows]

    def counts(self) -> dict[State, int]:
        with self._sessions() as s:
            rows = s.execute(sa.select(outbox_items.c.state, sa.func.count())
                             .group_by(outbox_items.c.state)).all()
        found = {State(state): int(n) for state, n in rows}
        return {state: found.get(state, 0) for state in State}

    def next_due_at(self) -> float | None:
        """When the earliest queued item is due (None when nothing is queued)."""
        with self._sessions() as s:
            value = s.execute(sa.select(sa.func.min(outbox_items.c.next_attempt_at))
                              .where(outbox_items.c.state == State.QUEUED)).scalar()
        return None if value is None else float(value)

    def _get(self, s: Session, item_id: int) -> OutboxItem:
        row = s.execute(sa.select(outbox_items).where(outbox_items.c.id == item_id)) \
            .mappings().first()
        if row is None:
            raise OutboxError(f"there is no outbox item {item_id}")
        return self._item(row, self._files(s, [item_id]).get(item_id, ()))

    @staticmethod
    def _files(s: Session, ids: list[int]) -> dict[int, tuple[Attachment, ...]]:
        if not ids:
            return {}
        out: dict[int, list[Attachment]] = {}
        rows = s.execute(sa.select(outbox_files).where(outbox_files.c.item_id.in_(ids))
                         .order_by(outbox_files.c.item_id, outbox_files.c.position)).mappings()
        for r in rows:
            out.setdefault(r["item_id"], []).append(Attachment(
                path=Path(r["path"]), sha256=r["sha256"], size=r["size"], role=r["role"],
                media_type=r["media_type"]))
        return {k: tuple(v) for k, v in out.items()}

    @staticmethod
    def _item(r: Any, files: tuple[Attachment, ...]) -> OutboxItem:
        return OutboxItem(
            id=r["id"], kind=r["kind"], title=r["title"], idempotency_key=r["idempotency_key"],
            payload=json.loads(r["payload"]), state=State(r["state"]), attempts=r["attempts"],
            next_attempt_at=r["next_attempt_at"], last_error=r["last_error"],
            fixable=r["fixable"], answer=None if r["answer"] is None else json.loads(r["answer"]),
            created_at=r["created_at"], updated_at=r["updated_at"], files=files,
        )

    # ------------------------------------------------------------ the sender's side
    def recover(self) -> list[int]:
        """Queue again every item left ``sending`` by a process that died,
        keeping its idempotency key.  Called by the sender when it starts."""
        now = self.clock()
        c = outbox_items.c
        with self._sessions() as s, s.begin():
            ids = sorted(s.execute(
                outbox_items.update().where(c.state == State.SENDING)
                .values(state=State.QUEUED, next_attempt_at=now, updated_at=now)
                .returning(c.id)).scalars())
        for item_id in ids:
            log.info("outbox: item %d was being sent when the app stopped; it will be sent "
                     "again with the same idempotency key", item_id)
            self._notify(self.get(item_id))
        return ids

    def claim_next(self) -> OutboxItem | None:
        """Atomically move the next due queued item to ``sending`` (counting
        the attempt) and return it; None when nothing is due."""
        now = self.clock()
        c = outbox_items.c
        due = (sa.select(c.id).where(c.state == State.QUEUED, c.next_attempt_at <= now)
               .order_by(c.next_attempt_at, c.id).limit(1).scalar_subquery())
        with self._sessions() as s, s.begin():
            # One statement that writes first: SQLite takes the write lock at
            # once (waiting for it), instead of failing to upgrade a read.
            item_id = s.execute(
                outbox_items.update().where(c.id == due, c.state == State.QUEUED)
                .values(state=State.SENDING, attempts=c.attempts + 1, updated_at=now)
                .returning(c.id)
            ).scalar()
            if item_id is None:
                return None
            item = self._get(s, item_id)
        self._notify(item)
        return item

    def _finish(self, item: OutboxItem, **values: Any) -> OutboxItem:
        c = outbox_items.c
        values["updated_at"] = self.clock()
        with self._sessions() as s, s.begin():
            done = _write(s, outbox_items.update()
                          .where(c.id == item.id, c.state == State.SENDING,
                                 c.idempotency_key == item.idempotency_key)
                          .values(**values))
            current = self._get(s, item.id)
        if not done:
            log.warning("outbox: item %d changed while it was being sent (now %s)",
                        item.id, current.state)
        self._notify(current)
        return current

    def mark_delivered(self, item: OutboxItem, answer: Any) -> OutboxItem:
        log.info("outbox: delivered %s item %d after %d attempt(s)", item.kind, item.id,
                 item.attempts)
        return self._finish(item, state=State.DELIVERED, answer=_dump(answer),
                            last_error=None, fixable=None)

    def mark_rejected(self, item: OutboxItem, reason: str, *, fixable: bool,
                      answer: Any = None) -> OutboxItem:
        log.warning("outbox: the service rejected %s item %d: %s", item.kind, item.id, reason)
        return self._finish(item, state=State.REJECTED, last_error=reason, fixable=fixable,
                            answer=None if answer is None else _dump(answer))

    def mark_retry(self, item: OutboxItem, error: str, *, delay: float) -> OutboxItem:
        log.info("outbox: %s item %d not delivered (%s); next try in %.1f s", item.kind,
                 item.id, error, delay)
        return self._finish(item, state=State.QUEUED, last_error=error,
                            next_attempt_at=self.clock() + delay)

    def hurry(self) -> int:
        """Make every queued item due now (the network is back, or the user
        pressed "send now").  Returns how many were waiting."""
        now = self.clock()
        c = outbox_items.c
        with self._sessions() as s, s.begin():
            return _write(s, outbox_items.update()
                          .where(c.state == State.QUEUED, c.next_attempt_at > now)
                          .values(next_attempt_at=now))
