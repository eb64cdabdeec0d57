"""The reviews service: from a finished print to items in the outbox.

One object for the app to build (in ``app/services.py``) and the UI and CLI to
call.  It knows nothing of printers or the library: the app maps a job record
of ``printers`` to a :class:`FinishedJob`.

The flow, as the end-of-print dialog and the review composer drive it:

1. :meth:`ReviewsService.record_print` — when a job ends: sign a receipt
   (verdict null) and queue it, *held* for :data:`VERDICT_HOLD` so that the
   user's verdict can still be added.  If nobody answers, the receipt goes
   without a verdict when the hold ends: every print counts.
2. :meth:`ReviewsService.confirm_print` — the user's verdict (good, or bad
   with a reason): the receipt is signed again with it and released at once.
   Once a receipt has been tried it is frozen (the service may hold it), and
   this raises :class:`~reviews.errors.OutboxError`.
3. :meth:`ReviewsService.prepare_photos` — photos made safe
   (:mod:`reviews.photos`) and written to the spool directory, by hash.
4. :meth:`ReviewsService.submit_review` — a review item carrying the
   receipt's signed envelope (the same bytes as the receipt item, so the
   service can link the two rather than see a replay) and the photos.
5. :meth:`ReviewsService.publish` — a complete publication draft
   (:mod:`reviews.publication`) with its model files and photos.

Threads: every method blocks on the database (and ``prepare_photos`` on
image work): call them from worker threads.  The sender runs on its own
thread (:meth:`start_sending`).  Outbox listeners: see :mod:`reviews.outbox`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from reviews import device_key, photos
from reviews.device_key import DeviceKey, SecretStoreLike
from reviews.errors import OutboxError, ReviewsError
from reviews.outbox import Attachment, Kind, Outbox, OutboxItem, State
from reviews.publication import MODEL_FILE_TYPES, Draft, publication_payload
from reviews.receipts import (
    Id,
    JobState,
    PrinterInfo,
    Verdict,
    new_receipt,
    receipt_from_dict,
)
from reviews.sender import Backoff, OutboxSender, Transport

log = logging.getLogger(__name__)

#: How long a receipt waits for the user's verdict before it goes without.
VERDICT_HOLD = 24 * 3600.0
MAX_DESCRIPTION = 10_000


@dataclass(frozen=True, slots=True)
class FinishedJob:
    """What a receipt needs of a finished print job."""

    file_sha256: str
    printer_kind: str
    firmware: str
    started_at: datetime
    ended_at: datetime
    state: JobState
    failure_reason: str | None = None
    lines_confirmed: int | None = None
    model_id: Id | None = None
    profile_id: Id | None = None
    title: str = ""


class ReviewsService:
    """Receipts, photos and reviews into the outbox; the sender's owner.

    ``account()`` returns the signed-in marketplace user id, or None.
    ``spool_dir`` holds prepared photos until their items are delivered.
    """

    def __init__(self, sessions: Callable[[], Session], secrets: SecretStoreLike,
                 spool_dir: Path, *, account: Callable[[], Id | None],
                 clock: Callable[[], float] = time.time) -> None:
        self.outbox = Outbox(sessions, clock=clock)
        self.spool_dir = spool_dir
        self._secrets = secrets
        self._account = account
        self._key: DeviceKey | None = None
        self._key_guard = threading.Lock()
        self._sender: OutboxSender | None = None

    # ------------------------------------------------------------ the key
    def device_key(self) -> DeviceKey:
        """This installation's receipt key (made on first use)."""
        with self._key_guard:
            if self._key is None:
                self._key = device_key.load_or_create(self._secrets)
            return self._key

    # ------------------------------------------------------------ receipts
    def record_print(self, job: FinishedJob, *, hold: float = VERDICT_HOLD) -> OutboxItem | None:
        """Sign and queue the receipt of a finished job (held for the verdict).
        Returns None when nobody is signed in: a receipt names its account."""
        account = self._account()
        if account is None:
            log.info("no marketplace account: the print is not reported")
            return None
        key = self.device_key()
        receipt = new_receipt(
            account=account, device_key_id=key.key_id, file_sha256=job.file_sha256,
            printer=PrinterInfo(job.printer_kind, job.firmware), started_at=job.started_at,
            ended_at=job.ended_at, job_state=job.state, model_id=job.model_id,
            profile_id=job.profile_id, failure_reason=job.failure_reason,
            lines_confirmed=job.lines_confirmed,
        )
        item = self.outbox.add(Kind.RECEIPT, key.sign_receipt(receipt),
                               title=job.title or "print receipt", hold=hold)
        self._wake()
        return item

    def confirm_print(self, receipt_item_id: int, verdict: Verdict,
                      reason: str | None = None) -> OutboxItem:
        """Add the user's verdict to a receipt not sent yet, and send it now."""
        item = self.outbox.get(receipt_item_id)
        if item.kind != Kind.RECEIPT:
            raise OutboxError(f"item {receipt_item_id} is a {item.kind}, not a receipt")
        receipt = receipt_from_dict(item.payload["receipt"]).with_verdict(verdict, reason)
        edited = self.outbox.edit(receipt_item_id,
                                  payload=self.device_key().sign_receipt(receipt))
        if edited.state is State.QUEUED:
            edited = self.outbox.release(receipt_item_id)
        self._wake()
        return edited

    # ------------------------------------------------------------ reviews
    def prepare_photos(self, paths: Sequence[Path]) -> list[Attachment]:
        """Each photo oriented, stripped, resized and spooled (PhotoError on a
        bad one: nothing is spooled for a bad photo, the others are kept)."""
        out = []
        for path in paths:
            prepared = photos.prepare_photo_file(path)
            spooled = prepared.save_in(self.spool_dir)
            out.append(Attachment(path=spooled, sha256=prepared.sha256,
                                  size=len(prepared.data), role="photo",
                                  media_type=prepared.media_type))
        return out

    def submit_review(self, *, model_id: Id, profile_id: Id | None, rating: int | None,
                      description: str, photos: Sequence[Attachment] = (),
                      receipt_item_id: int | None = None, title: str = "") -> OutboxItem:
        """Queue a review; the receipt's envelope travels with it."""
        if rating is not None and (isinstance(rating, bool) or rating not in range(1, 6)):
            raise ReviewsError(f"a rating is 1 to 5 stars, not {rating!r}")
        if len(description) > MAX_DESCRIPTION:
            raise ReviewsError(f"the description is longer than {MAX_DESCRIPTION} characters")
        payload: dict[str, Any] = {"model_id": model_id, "profile_id": profile_id,
                                   "rating": rating, "description": description,
                                   "receipt": None}
        if receipt_item_id is not None:
            receipt_item = self.outbox.get(receipt_item_id)
            if receipt_item.kind != Kind.RECEIPT:
                raise OutboxError(f"item {receipt_item_id} is not a receipt")
            payload["receipt"] = receipt_item.payload
        item = self.outbox.add(Kind.REVIEW, payload, title=title or "review",
                               files=list(photos))
        self._wake()
        return item

    def publish(self, draft: Draft) -> OutboxItem:
        """Queue a complete publication draft (REWARDS.md §8): the model
        files as they are, the photos made safe, in the draft's order."""
        payload = publication_payload(draft)  # raises when incomplete
        files = [Attachment.of(p, role="model_file",
                               media_type=MODEL_FILE_TYPES[p.suffix.lower()])
                 for p in draft.model_files]
        files += self.prepare_photos(list(draft.photos))
        item = self.outbox.add(Kind.MODEL_PUBLICATION, payload,
                               title=draft.title or "model", files=files)
        self._wake()
        return item

    # ------------------------------------------------------------ sending
    def start_sending(self, transport: Transport, *, backoff: Backoff | None = None) -> None:
        """Start the sender thread (once); :meth:`stop` joins it."""
        if self._sender is not None:
            raise RuntimeError("the outbox sender is already running")
        self._sender = OutboxSender(self.outbox, transport, backoff=backoff)
        self._sender.start()

    def send_now(self) -> None:
        """Everything queued is due now ("send now", or the network is back)."""
        self.outbox.hurry()
        self._wake()

    def _wake(self) -> None:
        if self._sender is not None:
            self._sender.wake()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the sender (the app's shutdown).  An item still in flight
        after ``timeout`` is safe: it stays ``sending`` and is sent again,
        with the same idempotency key, at the next start."""
        if self._sender is not None:
            self._sender.stop(timeout)
            self._sender = None

    def purge_spool(self) -> int:
        """Delete spooled files no unfinished item refers to; how many went.
        Call it at start-up, before photos are prepared (a photo spooled for a
        review not yet queued is not referred to by any item)."""
        if not self.spool_dir.is_dir():
            return 0
        keep = {f.path.resolve() for item in self.outbox.items(
            [State.QUEUED, State.SENDING, State.REJECTED]) for f in item.files}
        removed = 0
        for path in self.spool_dir.iterdir():
            if path.is_file() and path.resolve() not in keep:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
