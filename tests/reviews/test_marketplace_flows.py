"""The reviews service against the real marketplace service on loopback:
accounts, receipts, reviews with photos, profiles, publication, community.
Nothing is faked: ``python -m marketplace serve`` answers, and what it holds
is read back from its own database."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy.engine import Engine

from app import db
from library import settings as lib_settings
from reviews import device_key
from reviews.account import SESSION_SECRET
from reviews.client import TOKEN_SECRET, ProblemError
from reviews.errors import OutboxError
from reviews.outbox import State
from reviews.profiles import ProfileSettings
from reviews.publication import Attribution, Draft, PrintSettings
from reviews.service import FinishedJob, ReviewsService
from tests.helpers.marketplace_server import PASSWORD, MarketplaceProcess
from tests.helpers.secrets import MemorySecretStore

Creator = tuple[str, int, str]


def job(**kw: object) -> FinishedJob:
    now = datetime.now(UTC)
    base: dict[str, object] = dict(
        file_sha256="ab" * 32, printer_kind="marlin-serial", firmware="Marlin 2.1.2",
        started_at=now - timedelta(hours=2), ended_at=now - timedelta(minutes=1),
        state="completed", lines_confirmed=5000, title="Benchy")
    base.update(kw)
    return FinishedJob(**base)  # type: ignore[arg-type]


def gps_photo(path: Path, colour: tuple[int, int, int] = (200, 100, 50)) -> Path:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 36.0)}
    img = Image.new("RGB", (320, 240), colour)
    for x in range(0, 320, 16):  # some structure, so that perceptual hashes differ
        img.paste((x % 255, 40, 200 - x % 200), (x, (x * 7) % 200, x + 8, (x * 7) % 200 + 30))
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    path.write_bytes(buf.getvalue())
    return path


def signed_up(service: ReviewsService, marketplace: MarketplaceProcess,
              prefix: str = "rev") -> int:
    name, _id, _token = marketplace.user(prefix)  # made directly, then signed in by the app
    session = service.login(name, PASSWORD)
    return session.account_id


def test_register_with_a_referral_then_login_keeps_one_device_key(
        engine: Engine, tmp_path: Path, marketplace: MarketplaceProcess,
        creator: Creator) -> None:
    with marketplace.api(creator[2]) as http:
        code = http.get("/me/referral").json()["code"]
    secrets = MemorySecretStore()
    svc = ReviewsService(db.session_factory(engine), secrets, tmp_path / "spool",
                         base_url=marketplace.url)
    with pytest.raises(ProblemError) as bad:
        svc.register("newbie_bad", PASSWORD, referral="NOPE0000")
    assert bad.value.status == 422
    name = f"newbie{creator[1]}"
    session = svc.register(name, PASSWORD, referral=code)
    assert session.device_key_id is not None and svc.account.session() == session
    # Secrets only in the secret store; the session names the service's key id.
    assert secrets.get(TOKEN_SECRET) and json.loads(secrets.get(SESSION_SECRET) or "{}")[
        "device_key_id"] == session.device_key_id
    rows = marketplace.query("SELECT invited_by FROM accounts WHERE id = ?",
                             session.account_id)
    assert rows == [(creator[1],)]
    key = device_key.load(secrets)
    assert key is not None
    assert marketplace.query("SELECT id, public_key FROM device_keys WHERE account_id = ?",
                             session.account_id) == [(session.device_key_id,
                                                      key.public_key_b64)]
    # Signing out and in again (same installation) keeps the one key.
    svc.sign_out()
    assert svc.account.session() is None and secrets.get(TOKEN_SECRET) is None
    again = svc.login(name, PASSWORD)
    assert again.device_key_id == session.device_key_id
    assert len(marketplace.query("SELECT id FROM device_keys WHERE account_id = ?",
                                 session.account_id)) == 1
    with pytest.raises(ProblemError) as wrong:
        svc.login(name, "wrong password!")
    assert wrong.value.status == 401
    svc.stop()


def test_a_receipt_sent_alone_then_a_review_with_a_gps_photo_carrying_it(
        service: ReviewsService, marketplace: MarketplaceProcess, creator: Creator,
        tmp_path: Path) -> None:
    me = signed_up(service, marketplace)
    model = marketplace.published_model(creator[2])
    receipt = service.record_print(job(job_id=7))
    assert receipt is not None and receipt.payload["_job_id"] == 7
    assert service.record_print(job(job_id=7)) == receipt  # one receipt per job
    assert service.sync()[State.DELIVERED] == 1  # held receipts go at a sync too
    # It went without a verdict (the user had not answered): it counts as an
    # attempt, and it is frozen now.
    with pytest.raises(OutboxError):
        service.confirm_job(7, "good")

    second = service.record_print(job(job_id=8, model_id=model))
    assert second is not None
    service.confirm_job(8, "good")
    service.sync()  # the receipt is held by the service now
    photos = service.prepare_photos([gps_photo(tmp_path / "phone.jpg")])
    review = service.submit_review(model_id=model, profile_id=None, rating=5,
                                   description="Printed perfectly, no stringing at all.",
                                   photos=photos, receipt_item_id=second.id)
    counts = service.sync()
    assert counts[State.DELIVERED] == 3 and counts[State.REJECTED] == 0
    answer = service.outbox.get(review.id).answer
    assert answer["confirmed_print"] is True
    assert answer["points"] == {"offered": 10, "paid": 10.0, "parts": {
        "rating": 2, "photo": 4, "description": 4}, "capped": False}
    rows = marketplace.query(
        "SELECT r.confirmed, r.receipt_id, c.verdict FROM reviews r JOIN receipts c "
        "ON c.receipt_id = r.receipt_id WHERE r.author_id = ?", me)
    assert rows == [(1, second.payload["receipt"]["receipt_id"], "good")]
    assert marketplace.query("SELECT count(*) FROM receipts WHERE account_id = ?", me) == [(2,)]
    # The photo arrived without any metadata.
    with httpx.Client(base_url=marketplace.url, trust_env=False) as http:
        data = http.get(answer["photos"][0]["url"]).content
    with Image.open(io.BytesIO(data)) as img:
        assert not img.getexif() and "exif" not in img.info and "xmp" not in img.info


def test_a_review_written_before_its_receipt_was_sent_carries_it_once(
        service: ReviewsService, marketplace: MarketplaceProcess, creator: Creator) -> None:
    me = signed_up(service, marketplace)
    model = marketplace.published_model(creator[2])
    receipt = service.record_print(job(job_id=1))  # held; names no model yet
    assert receipt is not None
    service.confirm_print(receipt.id, "good")
    service.submit_review(model_id=model, profile_id=None, rating=4,
                          description="Good enough for what I needed it.",
                          receipt_item_id=receipt.id)
    # The receipt, signed again for the review's model, goes with it and alone.
    assert service.outbox.get(receipt.id).payload["receipt"]["model_id"] == model
    with pytest.raises(OutboxError):
        service.confirm_print(receipt.id, "bad", "warped")  # a review carries it
    assert service.sync()[State.DELIVERED] == 2
    assert marketplace.query("SELECT model_id, confirmed FROM receipts WHERE account_id = ?",
                             me) == [(model, 1)]
    assert marketplace.query("SELECT confirmed FROM reviews WHERE author_id = ?", me) == [(1,)]


def test_signed_out_items_wait_and_go_after_signing_in(
        service: ReviewsService, marketplace: MarketplaceProcess, creator: Creator) -> None:
    model = marketplace.published_model(creator[2])
    item = service.submit_review(model_id=model, profile_id=None, rating=3, description="")
    counts = service.sync()
    assert counts[State.QUEUED] == 1
    waiting = service.outbox.get(item.id)
    assert waiting.attempts == 1 and "not signed in" in (waiting.last_error or "")
    signed_up(service, marketplace)
    assert service.sync()[State.DELIVERED] == 1


def test_a_rejected_item_shows_why_and_is_fixed_and_resent(
        service: ReviewsService, marketplace: MarketplaceProcess, creator: Creator) -> None:
    signed_up(service, marketplace)
    model = marketplace.published_model(creator[2])
    bad = ProfileSettings(material="PLA", nozzle_diameter=9.0, layer_height=0.2,
                          infill_density=15)
    item = service.publish_profile(model, bad, title="Huge nozzle")
    service.sync()
    rejected = service.outbox.get(item.id)
    assert rejected.state is State.REJECTED and rejected.fixable
    assert "nozzle_diameter" in (rejected.last_error or ""), rejected.last_error
    fixed = dict(rejected.payload, nozzle_diameter=0.4)
    service.outbox.edit(item.id, payload=fixed)
    again = service.outbox.requeue(item.id)
    assert again.idempotency_key != rejected.idempotency_key
    service.sync()
    assert service.outbox.get(item.id).state is State.DELIVERED
    # Not fixable: a model that does not exist.
    gone = service.publish_profile(10**8, ProfileSettings("PLA", 0.4, 0.2, 15))
    service.sync()
    lost = service.outbox.get(gone.id)
    assert lost.state is State.REJECTED and lost.fixable is False


def test_profiles_from_a_gcode_published_browsed_and_downloaded_into_settings(
        service: ReviewsService, marketplace: MarketplaceProcess, creator: Creator,
        engine: Engine, tmp_path: Path) -> None:
    signed_up(service, marketplace)
    model = marketplace.published_model(creator[2])
    gcode = "\n".join([
        "; generated by PrusaSlicer 2.7.1 on 2026-11-20 at 10:00:00 UTC", "G28", "G1 X10",
        "; prusaslicer_config = begin", "; filament_type = PETG", "; nozzle_diameter = 0.6",
        "; layer_height = 0.3", "; fill_density = 25%", "; support_material = 1",
        "; support_material_style = organic", "; temperature = 240",
        "; prusaslicer_config = end", ""])
    text = gcode
    extracted = lib_settings.from_gcode(text, text)
    assert extracted is not None
    settings = ProfileSettings.from_settings(extracted)
    assert (settings.material, settings.support_type) == ("PETG", "organic")
    service.publish_profile(model, settings, title="PETG 0.6 fast")
    service.sync()
    other = ReviewsService(db.session_factory(engine), MemorySecretStore(),
                           tmp_path / "spool2", base_url=marketplace.url)
    signed_up(other, marketplace, "browser")
    found = other.browse_profiles(model)
    assert [p["title"] for p in found] == ["PETG 0.6 fast"]
    assert found[0]["genuine_downloads"] == 0
    path = other.download_profile(found[0]["id"], tmp_path / "profiles")
    back = lib_settings.from_ini(path.read_text())
    assert (back.material, back.nozzle_diameter, back.layer_height, back.infill_density,
            back.supports) == ("PETG", 0.6, 0.3, 25.0, True)
    assert other.browse_profiles(model)[0]["genuine_downloads"] == 1
    other.stop()


def test_a_model_is_published_through_the_four_steps(
        service: ReviewsService, marketplace: MarketplaceProcess, creator: Creator,
        tmp_path: Path) -> None:
    me = signed_up(service, marketplace)
    from marketplace.demo import cube_stl

    stl = tmp_path / "bracket.stl"
    stl.write_bytes(cube_stl(12.0))
    photos = tuple(gps_photo(tmp_path / f"p{n}.jpg", (40 * n, 90, 200 - 30 * n))
                   for n in range(3))
    draft = Draft(title="Wall bracket", description="A bracket for shelves.",
                  tags=("shelf", "bracket"), category="household", license="CC-BY-4.0",
                  origin="original", model_files=(stl,), photos=photos, cover=0,
                  settings=PrintSettings(material="PLA", nozzle_diameter=0.4,
                                         layer_height=0.2, infill_density=20))
    draft = draft.moved_photo(2, 0)  # dragged to the front; the cover follows its photo
    draft_id = service.drafts.save(draft)
    assert service.drafts.load(draft_id) == draft
    item = service.publish(service.drafts.load(draft_id))
    service.sync()
    done = service.outbox.get(item.id)
    assert done.state is State.DELIVERED, done.last_error
    mid = done.answer["id"]
    with marketplace.api(creator[2]) as http:
        model = http.get(f"/models/{mid}").json()
        assert model["status"] == "approved" and model["origin"] == "original"
        files = http.get(f"/models/{mid}/files").json()
        profiles = http.get(f"/models/{mid}/profiles").json()
    assert [f["name"] for f in files] == ["bracket.stl"]
    assert [p["material"] for p in profiles] == ["PLA"]
    photo_rows = marketplace.query(
        "SELECT position, is_cover FROM photos WHERE model_id = ? ORDER BY position", mid)
    assert photo_rows == [(0, 0), (1, 1), (2, 0)]  # the cover moved with its photo
    # A repost is labelled as one and carries its attribution.
    repost = Draft(title="Someone's vase", description="Shared with credit.",
                   category="decor", license="CC-BY-4.0", origin="repost",
                   model_files=(stl,), photos=(photos[0],),
                   attribution=Attribution(author="Ada", source_url="https://example.org/v"),
                   settings=draft.settings)
    rep = service.publish(repost)
    service.sync()
    rid = service.outbox.get(rep.id).answer["id"]
    assert marketplace.query("SELECT origin, attribution FROM models WHERE id = ?", rid) == [
        ("repost", "by Ada, https://example.org/v")]
    assert marketplace.query("SELECT count(*) FROM models WHERE creator_id = ?", me) == [(2,)]


def test_votes_reports_and_suggestions(
        service: ReviewsService, marketplace: MarketplaceProcess, creator: Creator) -> None:
    me = signed_up(service, marketplace)
    model = marketplace.published_model(creator[2])
    _reviewer, _rid, token = marketplace.user("other")
    with marketplace.api(token) as http:
        review = http.post("/reviews", json={"model_id": model, "stars": 4}).json()["id"]
    service.vote(review, helpful=True)
    service.report("model", model, "spam", "an advert")
    service.feedback("Please add a dark theme to the store.")
    juror = service.jury_vote(12345, "keep", "looks like a real print")
    service.sync()
    assert marketplace.query("SELECT helpful FROM votes WHERE account_id = ?", me) == [(1,)]
    assert marketplace.query("SELECT target_type, reason FROM reports WHERE reporter_id = ?",
                             me) == [("model", "spam")]
    assert marketplace.query("SELECT text FROM suggestions WHERE author_id = ?", me) == [
        ("Please add a dark theme to the store.",)]
    seat = service.outbox.get(juror.id)  # not drawn for that case: refused, not retried
    assert seat.state is State.REJECTED and seat.fixable is False
    assert service.jury_duties() == []
