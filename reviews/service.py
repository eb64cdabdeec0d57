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

Also: the account (:attr:`ReviewsService.account`, :mod:`reviews.account`),
print profiles (:meth:`ReviewsService.publish_profile`,
:meth:`ReviewsService.browse_profiles`, :meth:`ReviewsService.download_profile`),
publication drafts (:attr:`ReviewsService.drafts`), votes, reports, jury
votes and suggestions (all through the outbox), and blocking reads through
:meth:`ReviewsService.client`.  The API for the UI is listed in
docs/ARCHITECTURE.md (Reviews).

Threads: every method blocks on the database or the network (and
``prepare_photos`` on image work): call them from worker threads.  The sender runs on its own
thread (:meth:`start_sending`).  Outbox listeners: see :mod:`reviews.outbox`.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from reviews import device_key, photos, preview
from reviews.account import Account
from reviews.account import Session as AccountSession
from reviews.client import MarketplaceClient
from reviews.device_key import DeviceKey, SecretStoreLike
from reviews.errors import OutboxError, ReviewsError
from reviews.http_transport import HttpTransport
from reviews.outbox import Attachment, Kind, Outbox, OutboxItem, State
from reviews.profiles import ProfileSettings, profile_payload, write_ini
from reviews.publication import MODEL_FILE_TYPES, Draft, DraftStore, publication_payload
from reviews.receipts import (
    Id,
    JobState,
    PrinterInfo,
    Receipt,
    Verdict,
    new_receipt,
    receipt_from_dict,
)
from reviews.sender import Backoff, Delivered, OutboxSender, Rejected, Transport

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
    job_id: int | None = None  # the desktop's job id (kept locally, never sent)


class ReviewsService:
    """Receipts, photos, reviews, profiles and publications into the outbox;
    the account; the sender's owner.

    ``base_url()`` (or a string) is the marketplace's root URL, read on every
    use (the settings may change it).  ``account()``, when given, replaces the
    signed-in account's id (tests); receipts then name the key's local id.
    ``spool_dir`` holds prepared photos until their items are delivered.
    """

    def __init__(self, sessions: Callable[[], Session], secrets: SecretStoreLike,
                 spool_dir: Path, *, base_url: Callable[[], str] | str = "http://127.0.0.1:8765",
                 account: Callable[[], Id | None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.outbox = Outbox(sessions, clock=clock)
        self.drafts = DraftStore(sessions, clock=clock)
        self.spool_dir = spool_dir
        self._secrets = secrets
        self._base_url: Callable[[], str] = (
            base_url if callable(base_url) else (lambda u=base_url: u))  # type: ignore[misc]
        self._account_override = account
        self._key: DeviceKey | None = None
        self._key_guard = threading.Lock()
        self._sender: OutboxSender | None = None
        self._transport: HttpTransport | None = None
        self._old_transports: list[HttpTransport] = []
        self._clients: dict[str, MarketplaceClient] = {}
        self._clients_guard = threading.Lock()
        self.account = Account(secrets, self._base_url, self.client)

    @property
    def base_url(self) -> str:
        return self._base_url().rstrip("/")

    def client(self) -> MarketplaceClient:
        """The blocking client of the configured marketplace (one per URL)."""
        url = self.base_url
        with self._clients_guard:
            client = self._clients.get(url)
            if client is None:
                client = self._clients[url] = MarketplaceClient(url, self._secrets)
            return client

    # ------------------------------------------------------------ the account
    def register(self, username: str, password: str, *, email: str | None = None,
                 referral: str | None = None) -> AccountSession:
        session = self.account.register(username, password, email=email, referral=referral)
        self.send_now()  # what waited for an account may go now
        return session

    def login(self, username: str, password: str) -> AccountSession:
        session = self.account.login(username, password)
        self.send_now()
        return session

    def sign_out(self) -> None:
        self.account.sign_out()

    def _who(self) -> tuple[Id, str] | None:
        """(account id, device key id for receipts), or None when signed out."""
        if self._account_override is not None:
            acc = self._account_override()
            return None if acc is None else (acc, self.device_key().key_id)
        session = self.account.session()
        if session is None or session.device_key_id is None:
            return None
        return session.account_id, session.device_key_id

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
        Returns None when nobody is signed in (a receipt names its account),
        and the existing item when this job already has a receipt."""
        if job.job_id is not None and (existing := self.receipt_for_job(job.job_id)):
            return existing
        who = self._who()
        if who is None:
            log.info("no marketplace account: the print is not reported")
            return None
        account, key_id = who
        key = self.device_key()
        receipt = new_receipt(
            account=account, device_key_id=key_id, file_sha256=job.file_sha256,
            printer=PrinterInfo(job.printer_kind, job.firmware), started_at=job.started_at,
            ended_at=job.ended_at, job_state=job.state, model_id=job.model_id,
            profile_id=job.profile_id, failure_reason=job.failure_reason,
            lines_confirmed=job.lines_confirmed,
        )
        payload = key.sign_receipt(receipt, key_id=key_id)
        if job.job_id is not None:
            payload["_job_id"] = job.job_id
        item = self.outbox.add(Kind.RECEIPT, payload, title=job.title or "print receipt",
                               hold=hold)
        self._wake()
        return item

    def receipt_for_job(self, job_id: int) -> OutboxItem | None:
        """The receipt item recorded for a desktop job, if any."""
        for item in self.outbox.items(kind=Kind.RECEIPT):
            if item.payload.get("_job_id") == job_id:
                return item
        return None

    def confirm_print(self, receipt_item_id: int, verdict: Verdict,
                      reason: str | None = None, *, release: bool = True) -> OutboxItem:
        """Add the user's verdict to a receipt not sent yet, and send it now
        (``release=False`` when the user goes on to write a review: the
        review names the model, the receipt is signed again with it and both
        go; :meth:`release_receipt` if the review is abandoned)."""
        item = self.outbox.get(receipt_item_id)
        if item.kind != Kind.RECEIPT:
            raise OutboxError(f"item {receipt_item_id} is a {item.kind}, not a receipt")
        if self._review_carrying(item) is not None:
            raise OutboxError("a review already carries this receipt; its verdict is final")
        return self._resign(item, lambda r: r.with_verdict(verdict, reason), release=release)

    def confirm_job(self, job_id: int, verdict: Verdict, reason: str | None = None, *,
                    release: bool = True) -> OutboxItem | None:
        """:meth:`confirm_print` for a desktop job's receipt (None: no receipt)."""
        item = self.receipt_for_job(job_id)
        return None if item is None else self.confirm_print(item.id, verdict, reason,
                                                            release=release)

    def release_receipt(self, receipt_item_id: int) -> OutboxItem:
        """Send a held receipt now, as it is."""
        item = self.outbox.release(receipt_item_id)
        self._wake()
        return item

    def _resign(self, item: OutboxItem, change: Callable[[Receipt], Receipt], *,
                release: bool) -> OutboxItem:
        receipt = change(receipt_from_dict(_envelope(item.payload)["receipt"]))
        payload = self.device_key().sign_receipt(receipt, key_id=str(receipt.device_key_id))
        payload.update({k: v for k, v in item.payload.items() if k.startswith("_")})
        edited = self.outbox.edit(item.id, payload=payload)
        if release and edited.state is State.QUEUED:
            edited = self.outbox.release(item.id)
        self._wake()
        return edited

    def _review_carrying(self, receipt_item: OutboxItem) -> OutboxItem | None:
        rid = _envelope(receipt_item.payload)["receipt"].get("receipt_id")
        for item in self.outbox.items(kind=Kind.REVIEW):
            env = item.payload.get("receipt")
            if isinstance(env, dict) and env.get("receipt", {}).get("receipt_id") == rid:
                return item
        return None

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

    def review_preview(self, model_id: int, profile_id: int | None = None, *,
                       rating: bool, photo: bool, description: str,
                       ) -> preview.ReviewPreview:
        """The composer's live preview: the service says which kind of review
        this would be and the month's cap used (``GET /me/review-preview``);
        the arithmetic is ``marketplace.rules`` (:mod:`reviews.preview`)."""
        answer = self.client().review_preview(model_id, profile_id)
        kind = answer.get("kind")
        cap = preview.MONTHLY_REVIEW_CAP
        left = float(answer.get("cap_left_this_month", cap))
        return preview.preview_review(
            first_on_model=kind == "first_on_model", new_profile=kind == "new_profile",
            rating=rating, photo=photo, description=preview.description_counts(description),
            month_to_date=round(cap - left), cap=cap)

    def submit_review(self, *, model_id: Id, profile_id: Id | None, rating: int | None,
                      description: str, photos: Sequence[Attachment] = (),
                      receipt_item_id: int | None = None, title: str = "") -> OutboxItem:
        """Queue a review; the receipt's envelope travels with it (the same
        signed bytes as the receipt item, which the service accepts once and
        links).  A receipt not sent yet that names no model is signed again
        for this review's model and profile first, and released."""
        if rating is not None and (isinstance(rating, bool) or rating not in range(1, 6)):
            raise ReviewsError(f"a rating is 1 to 5 stars, not {rating!r}")
        if len(description) > MAX_DESCRIPTION:
            raise ReviewsError(f"the description is longer than {MAX_DESCRIPTION} characters")
        if rating is None and not photos and not description.strip():
            raise ReviewsError("a review has a rating, photos or a description")
        payload: dict[str, Any] = {"model_id": model_id, "profile_id": profile_id,
                                   "stars": rating, "description": description,
                                   "receipt": None}
        if receipt_item_id is not None:
            receipt_item = self.outbox.get(receipt_item_id)
            if receipt_item.kind != Kind.RECEIPT:
                raise OutboxError(f"item {receipt_item_id} is not a receipt")
            rec = _envelope(receipt_item.payload)["receipt"]
            editable = receipt_item.state is State.QUEUED and receipt_item.attempts == 0
            if editable and rec.get("model_id") is None:
                receipt_item = self._resign(receipt_item, lambda r: dataclasses.replace(
                    r, model_id=model_id, profile_id=profile_id), release=True)
            elif editable:
                receipt_item = self.outbox.release(receipt_item.id)
            payload["receipt"] = _envelope(receipt_item.payload)
        item = self.outbox.add(Kind.REVIEW, payload, title=title or "review",
                               files=list(photos))
        self._wake()
        return item

    # ------------------------------------------------------------ print profiles
    def publish_profile(self, model_id: int, settings: ProfileSettings, *,
                        title: str = "") -> OutboxItem:
        """Queue a print profile for a model (from the G-code that ran: the
        app extracts ``settings`` with the library, see :mod:`reviews.profiles`)."""
        payload = profile_payload(model_id, title, settings)
        item = self.outbox.add(Kind.PROFILE, payload, title=payload["title"])
        self._wake()
        return item

    def browse_profiles(self, model_id: int) -> list[dict[str, Any]]:
        """Other people's profiles for a model, with their figures."""
        return self.client().profiles(model_id)

    def download_profile(self, profile_id: int, directory: Path) -> Path:
        """Download a profile (counted by the service) as an ``.ini`` in
        ``directory``; the app then imports it into the library."""
        return write_ini(self.client().download_profile(profile_id), directory)

    # ------------------------------------------------------------ publication
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

    # ------------------------------------------------------------ community
    def vote(self, review_id: int, helpful: bool) -> OutboxItem:
        return self._queue(Kind.VOTE, {"review_id": review_id, "helpful": helpful},
                           f"{'helpful' if helpful else 'unhelpful'}: review {review_id}")

    def report(self, target_type: str, target_id: int, reason: str,
               note: str | None = None) -> OutboxItem:
        """Report a model or a review (reason: ``ai_generated``, ``stolen``,
        ``unrelated_photo``, ``spam``)."""
        if target_type not in ("model", "review"):
            raise ReviewsError("only a model or a review can be reported")
        if reason not in REPORT_REASONS:
            raise ReviewsError(f"a report's reason is one of {', '.join(REPORT_REASONS)}")
        return self._queue(Kind.REPORT, {"target_type": target_type, "target_id": target_id,
                                         "reason": reason, "note": note or None},
                           f"report: {target_type} {target_id}")

    def jury_vote(self, case_id: int, vote: str, reason: str) -> OutboxItem:
        """A juror's blind vote (``uphold`` or ``keep``) with a one-line reason."""
        reason = reason.strip()
        if vote not in ("uphold", "keep"):
            raise ReviewsError("a juror votes uphold or keep")
        if not reason or "\n" in reason or "\r" in reason or len(reason) > 200:
            raise ReviewsError("a juror's reason is one line of at most 200 characters")
        return self._queue(Kind.JURY_VOTE, {"case_id": case_id, "vote": vote,
                                            "reason": reason}, f"jury vote: case {case_id}")

    def jury_duties(self) -> list[dict[str, Any]]:
        return self.client().jury_duties()

    def feedback(self, text: str) -> OutboxItem:
        """A suggestion for the marketplace (Help menu)."""
        text = text.strip()
        if not text or len(text) > 5000:
            raise ReviewsError("a suggestion is 1 to 5000 characters")
        return self._queue(Kind.FEEDBACK, {"text": text}, "suggestion")

    def _queue(self, kind: str, payload: dict[str, Any], title: str) -> OutboxItem:
        item = self.outbox.add(kind, payload, title=title)
        self._wake()
        return item

    # ------------------------------------------------------------ sending
    def transport(self) -> HttpTransport:
        """The HTTP transport to the configured marketplace (one per URL; the
        old ones are closed at :meth:`stop`)."""
        url = self.base_url
        with self._clients_guard:
            if self._transport is None or self._transport.base_url != url:
                if self._transport is not None:
                    self._old_transports.append(self._transport)
                self._transport = HttpTransport(url, token=lambda: self.client().token())
            return self._transport

    def start_sending(self, transport: Transport | None = None, *,
                      backoff: Backoff | None = None) -> None:
        """Start the sender thread (once); :meth:`stop` joins it."""
        if self._sender is not None:
            raise RuntimeError("the outbox sender is already running")
        self._sender = OutboxSender(self.outbox, transport or _CurrentTransport(self),
                                    backoff=backoff)
        self._sender.start()

    @property
    def sending(self) -> bool:
        return self._sender is not None and self._sender.running

    def sync(self, transport: Transport | None = None) -> dict[State, int]:
        """Deliver everything due now on this thread (``layerline sync``):
        held receipts are released and back-offs skipped.  Returns the counts."""
        self.outbox.hurry()
        sender = OutboxSender(self.outbox, transport or _CurrentTransport(self))
        self.outbox.recover()
        sender.run_until_idle()
        return self.outbox.counts()

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
        with self._clients_guard:
            for transport in [*self._old_transports, self._transport]:
                if transport is not None:
                    transport.close()
            self._transport = None
            self._old_transports.clear()
        with self._clients_guard:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

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


REPORT_REASONS = ("ai_generated", "stolen", "unrelated_photo", "spam")


class _CurrentTransport:
    """Sends through the transport of the marketplace configured *now* (the
    settings may point the app elsewhere while the sender runs)."""

    def __init__(self, service: ReviewsService) -> None:
        self._service = service

    def send(self, item: OutboxItem) -> Delivered | Rejected:
        return self._service.transport().send(item)


def _envelope(payload: dict[str, Any]) -> dict[str, Any]:
    """A receipt item's signed envelope, without the app's own notes."""
    return {k: v for k, v in payload.items() if not k.startswith("_")}
