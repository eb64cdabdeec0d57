"""Photo processing off the request path: a bounded queue in front of worker processes.

An upload is checked at once (size, format, pixel count: ``media.inspect_photo``),
its raw bytes are staged under ``storage/staging/`` and its row is written in
state ``pending``; the answer goes back without waiting for the pixels.  The
re-encoding and the perceptual hashes (``media.process_photo``) run in a pool of
worker processes (Pillow holds the GIL for part of its work, and the web
process has requests to serve); a finisher thread then stores the clean JPEG
by content hash, runs the near-duplicate check of REWARDS.md section 3 and turns
the row ``ready`` (or ``failed``, rejected and queued for a moderator, when the
pixels turn out unreadable).  The raw bytes never become a blob.

At most ``max_pending`` photos wait at once: past that, uploads are refused with
503 and a Retry-After (the queue is bounded; memory and disk stay bounded too).
Pending photos survive a restart: their staged bytes are queued again at start.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
import uuid
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from marketplace import media, rules
from marketplace import tables as t
from marketplace.db import Store, lock_name
from marketplace.errors import ApiError

log = logging.getLogger(__name__)

PENDING, READY, FAILED = "pending", "ready", "failed"


@dataclass(frozen=True)
class Failure:
    """A refused photo, as plain data (ApiError does not survive pickling)."""

    status: int
    detail: str
    code: str

    def error(self) -> ApiError:
        return ApiError(self.status, "Unprocessable content" if self.status == 422
                        else "Content too large", self.detail, self.code)


def work(raw: bytes, limit: int) -> media.Photo | Failure:
    """Runs in a worker process."""
    try:
        return media.process_photo(raw, limit)
    except ApiError as exc:
        return Failure(exc.status, exc.detail, exc.code)


def near_duplicate(conn: sa.Connection, owner_id: int, hashes: tuple[int, ...]) -> bool:
    """Section 3: the new photo, in any of its 8 rotations and mirror images, within 8 bits
    of a photo another account already put on the marketplace (as that photo is).  One
    row per stored photo is read (the stored variants serve the photos that come later)."""
    for (h,) in conn.execute(sa.select(t.photo_hashes.c.hash).where(
            t.photo_hashes.c.variant == 0, t.photo_hashes.c.owner_id != owner_id)):
        stored = int(h)
        if any(media.distance(v, stored) <= rules.PHASH_MAX_DISTANCE for v in hashes):
            return True
    return False


def ensure_blob(conn: sa.Connection, now: datetime, sha: str, size: int,
                media_type: str) -> None:
    """Record a stored file once, even when two accounts upload it at the same moment."""
    lock_name(conn, f"blob:{sha}")
    if conn.execute(sa.select(t.blobs.c.sha256).where(t.blobs.c.sha256 == sha)
                    ).first() is None:
        conn.execute(t.blobs.insert().values(sha256=sha, size=size, media_type=media_type,
                                             created_at=now))


@dataclass(frozen=True)
class Outcome:
    state: str
    failure: Failure | None = None


class QueueFullError(ApiError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(503, "Service busy", "too many photos are waiting to be processed; "
                         "try again shortly", "photo_queue_full", retry_after=retry_after)
        self.retry_after = retry_after


class PhotoJobs:
    """The bounded queue, the worker processes and the finisher threads."""

    def __init__(self, store: Store, blobs: media.BlobStore, staging: Path, *, limit: int,
                 workers: int, max_pending: int, clock: Any) -> None:
        self.store = store
        self.blobs = blobs
        self.staging = staging
        self.limit = limit
        self.workers = max(1, workers)
        self.max_pending = max(1, max_pending)
        self.clock = clock
        staging.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._reserved = 0
        self._jobs: dict[int, Future[Outcome]] = {}
        self._pool: ProcessPoolExecutor | None = None
        self._finishers = ThreadPoolExecutor(max_workers=self.workers,
                                             thread_name_prefix="photo-finisher")
        self._closed = False

    # -- the request side ---------------------------------------------------------

    def reserve(self) -> None:
        """Take a place in the queue, or refuse with 503 when it is full."""
        with self._lock:
            if self._closed or self._reserved >= self.max_pending:
                raise QueueFullError(retry_after=1)
            self._reserved += 1

    def release(self) -> None:
        """Give back a place taken by ``reserve`` that no job will use."""
        with self._lock:
            self._reserved -= 1

    def stage(self, raw: bytes) -> Path:
        tmp = self.staging / f"tmp-{uuid.uuid4().hex}"
        tmp.write_bytes(raw)
        return tmp

    def staged(self, photo_id: int) -> Path:
        return self.staging / f"{photo_id}.raw"

    def submit(self, photo_id: int, owner_id: int, tmp: Path | None = None) -> Future[Outcome]:
        """Queue a pending photo (its place already reserved); the future gives its state."""
        if tmp is not None:
            tmp.replace(self.staged(photo_id))
        with self._lock:  # registered before it can finish (and unregister itself)
            fut = self._finishers.submit(self._run, photo_id, owner_id)
            self._jobs[photo_id] = fut
        return fut

    def wait(self, photo_id: int, timeout: float) -> Outcome | None:
        """How the photo ended, or None if it is still pending after ``timeout``."""
        with self._lock:
            fut = self._jobs.get(photo_id)
        if fut is None:
            return None
        try:
            return fut.result(timeout=timeout)
        except (TimeoutError, CancelledError):
            return None

    def pending(self) -> int:
        with self._lock:
            return self._reserved

    # -- the worker side ----------------------------------------------------------

    def _processes(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn: this process has threads (the server, the database pool)
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))
            return self._pool

    def _run(self, photo_id: int, owner_id: int) -> Outcome:
        try:
            return self._process(photo_id, owner_id)
        except Exception:
            log.exception("processing photo %s failed; it stays pending until a restart",
                          photo_id)
            return Outcome(PENDING)
        finally:
            with self._lock:
                self._reserved -= 1
                self._jobs.pop(photo_id, None)

    def _process(self, photo_id: int, owner_id: int) -> Outcome:
        path = self.staged(photo_id)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            result: media.Photo | Failure = Failure(422, "the upload was lost", "upload_lost")
        else:
            try:
                result = self._processes().submit(work, raw, self.limit).result()
            except BrokenProcessPool:
                with self._lock:  # a worker died (killed, out of memory): start afresh
                    self._pool = None
                result = self._processes().submit(work, raw, self.limit).result()
        if isinstance(result, Failure):
            with self.store.write() as conn:
                conn.execute(t.photos.update().where(
                    t.photos.c.id == photo_id, t.photos.c.state == PENDING).values(
                    state=FAILED, rejected=True, queued=True))
            log.info("photo %s refused after upload: %s", photo_id, result.detail)
            path.unlink(missing_ok=True)
            return Outcome(FAILED, result)
        sha = self.blobs.put(result.data)
        with self.store.read() as conn:
            queued = near_duplicate(conn, owner_id, result.hashes)
        with self.store.write() as conn:
            ensure_blob(conn, self.clock(), sha, len(result.data), "image/jpeg")
            done = conn.execute(t.photos.update().where(
                t.photos.c.id == photo_id, t.photos.c.state == PENDING).values(
                sha256=sha, width=result.width, height=result.height,
                phash=f"{result.hashes[0]:016x}", queued=queued, state=READY)).rowcount
            # another server worker may have finished it first (both requeued it at start)
            for i, h in enumerate(result.hashes if done else ()):
                conn.execute(t.photo_hashes.insert().values(
                    photo_id=photo_id, variant=i, owner_id=owner_id, hash=media.to_signed(h)))
        path.unlink(missing_ok=True)
        return Outcome(READY)

    def requeue(self) -> int:
        """Queue again the photos a previous run left pending (at start)."""
        with self.store.read() as conn:
            rows = conn.execute(sa.select(t.photos.c.id, t.photos.c.owner_id).where(
                t.photos.c.state == PENDING).order_by(t.photos.c.id)).all()
        for pid, owner in rows:
            with self._lock:
                self._reserved += 1
            self.submit(int(pid), int(owner))
        old = time.time() - 3600  # uploads another worker may be staging right now are new
        for stale in self.staging.glob("tmp-*"):
            try:
                if stale.stat().st_mtime < old:
                    stale.unlink(missing_ok=True)
            except FileNotFoundError:
                pass
        return len(rows)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool = self._pool
        self._finishers.shutdown(wait=True, cancel_futures=True)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))
