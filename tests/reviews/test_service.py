"""The reviews service end to end on the domain side: a finished job, the
verdict, a photo with GPS tags, a review, through HTTP to the fake service."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from reviews.errors import OutboxError, ReviewsError
from reviews.http_transport import HttpTransport
from reviews.outbox import Outbox, State
from reviews.receipts import verify_envelope
from reviews.sender import OutboxSender
from reviews.service import FinishedJob, ReviewsService
from tests.helpers.fake_marketplace import FakeMarketplace
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
                          account=lambda: "u-42")


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
    assert receipt.account == "u-42" and receipt.model_id == 17
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


def test_a_review_with_a_gps_photo_and_its_receipt_reaches_the_service_clean(
        service: ReviewsService, tmp_path: Path) -> None:
    receipt_item = service.record_print(JOB)
    assert receipt_item is not None
    service.confirm_print(receipt_item.id, "good")
    attachments = service.prepare_photos([gps_photo(tmp_path / "IMG_1.jpg")])
    review = service.submit_review(model_id=17, profile_id=None, rating=5,
                                   description="Printed perfectly, no stringing at all.",
                                   photos=attachments, receipt_item_id=receipt_item.id)
    with FakeMarketplace() as market:
        transport = HttpTransport(market.url)
        OutboxSender(service.outbox, transport).run_until_idle()
        transport.close()
    assert service.outbox.get(review.id).state is State.DELIVERED
    assert service.outbox.get(receipt_item.id).state is State.DELIVERED
    by_path = {r.path: r for r in market.records}
    sent_review = by_path["/api/v1/reviews"]
    assert sent_review.payload["receipt"] == by_path["/api/v1/receipts"].payload
    [(_name, data)] = sent_review.files
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG" and not im.getexif()
    assert b"Exif" not in data
    # Delivered: the spooled photo can go.
    assert service.purge_spool() == 1


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


def test_the_sender_is_owned_and_stopped(service: ReviewsService) -> None:
    with FakeMarketplace() as market:
        transport = HttpTransport(market.url)
        service.start_sending(transport)
        with pytest.raises(RuntimeError):
            service.start_sending(transport)
        item = service.submit_review(model_id=1, profile_id=None, rating=4, description="")
        assert market.wait_for_records(1, 60)
        service.stop()
        transport.close()
    assert market.records[0].payload["rating"] == 4
    assert service.outbox.get(item.id).state is State.DELIVERED


def test_a_draft_is_published_with_its_files_and_clean_photos(
        service: ReviewsService, tmp_path: Path) -> None:
    from reviews.publication import Draft, PrintSettings

    stl = tmp_path / "hull.stl"
    stl.write_bytes(b"solid hull\nendsolid hull\n")
    draft = Draft(title="Hull", description="A hull.", category="Boats", license="CC0-1.0",
                  model_files=(stl,), photos=(gps_photo(tmp_path / "p.jpg"),),
                  settings=PrintSettings(material="PETG", nozzle_diameter=0.4,
                                         layer_height=0.2, infill_density=20))
    item = service.publish(draft)
    with FakeMarketplace() as market:
        transport = HttpTransport(market.url)
        OutboxSender(service.outbox, transport).run_until_idle()
        transport.close()
    assert service.outbox.get(item.id).state is State.DELIVERED
    [record] = market.records
    assert record.path == "/api/v1/models" and record.payload["title"] == "Hull"
    (model_name, model_data), (_photo_name, photo_data) = record.files
    assert model_name == "model_file-0.stl" and model_data == stl.read_bytes()
    assert photo_data.startswith(b"\xff\xd8") and b"Exif" not in photo_data
    with pytest.raises(ReviewsError):
        service.publish(Draft(title="incomplete"))
