"""The reviews service end to end on the domain side: a finished job, the
verdict, a photo with GPS tags, a review, through HTTP to the fake service."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from reviews.errors import OutboxError, ReviewsError
from reviews.outbox import Outbox, State
from reviews.receipts import verify_envelope
from reviews.service import FinishedJob, ReviewsService
from tests.helpers.secrets import MemorySecretStore

JOB = FinishedJob(
    file_sha256="ab" * 32, printer_kind="marlin-serial", firmware="Marlin 2.1.2",
    started_at=datetime(2026, 11, 23, 10, tzinfo=UTC),
    ended_at=datetime(2026, 11, 23, 12, tzinfo=UTC), state="completed",
    lines_confirmed=5000, model_id=17, title="Benchy",
)


@pytest.fixture
def service(outbox: Outbox, tmp_path: Path) -> ReviewsService:
    return ReviewsService(outbox._sessions, MemorySecretStore(), tmp_path / "spool",
                          account=lambda: 42)


def gps_photo(path: Path) -> Path:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 36.0)}
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 100, 50)).save(buf, "JPEG", exif=exif)
    path.write_bytes(buf.getvalue())
    return path


def test_a_receipt_waits_for_the_verdict_then_goes_signed_with_it(
        service: ReviewsService) -> None:
    item = service.record_print(JOB)
    assert item is not None and item.kind == "receipt"
    assert service.outbox.claim_next() is None  # held for the verdict
    confirmed = service.confirm_print(item.id, "good")
    assert confirmed.state is State.QUEUED
    key = service.device_key()
    receipt = verify_envelope(confirmed.payload, now=datetime(2026, 11, 24, tzinfo=UTC),
                              public_key_for=lambda a, k: key.public_key_raw)
    assert receipt.verdict == "good" and receipt.is_confirmed_success
    assert receipt.account == 42 and receipt.model_id == 17
    claimed = service.outbox.claim_next()  # released at once
    assert claimed is not None and claimed.id == item.id
    # Tried once: frozen, the verdict can no longer change.
    with pytest.raises(OutboxError):
        service.confirm_print(item.id, "bad", "warped")


def test_an_unanswered_receipt_goes_without_a_verdict(service: ReviewsService) -> None:
    item = service.record_print(JOB, hold=0)
    assert item is not None
    claimed = service.outbox.claim_next()
    assert claimed is not None and claimed.payload["receipt"]["verdict"] is None


def test_no_account_no_receipt(outbox: Outbox, tmp_path: Path) -> None:
    anonymous = ReviewsService(outbox._sessions, MemorySecretStore(), tmp_path,
                               account=lambda: None)
    assert anonymous.record_print(JOB) is None
    assert outbox.items() == []


def test_bad_reviews_are_refused_before_they_are_queued(service: ReviewsService) -> None:
    for rating in (0, 6, True):
        with pytest.raises(ReviewsError):
            service.submit_review(model_id=1, profile_id=None, rating=rating, description="")
    with pytest.raises(ReviewsError):
        service.submit_review(model_id=1, profile_id=None, rating=None,
                              description="x" * 10_001)
    vote = service.outbox.add("vote", {})
    with pytest.raises(OutboxError):
        service.submit_review(model_id=1, profile_id=None, rating=3, description="",
                              receipt_item_id=vote.id)
    with pytest.raises(OutboxError):
        service.confirm_print(vote.id, "good")


