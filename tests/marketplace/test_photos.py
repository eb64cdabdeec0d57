"""Photos processed off the request path, and blobs served only to who may see them."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace import photo_jobs
from marketplace import tables as t
from marketplace.db import Store, make_engine, migrate
from marketplace.demo import cube_stl, demo_photo
from marketplace.media import BlobStore
from tests.marketplace.client import Api, User

DESC = "Printed fine in PLA, no stringing, the clips snap on nicely."
ASYNC = {"Prefer": "respond-async"}
WAIT = {"Prefer": "wait=60"}


def upload_async(u: User, data: bytes, name: str = "p.jpg") -> dict[str, object]:
    r = u.post("/photos", files={"file": (name, data, "image/jpeg")}, headers=ASYNC)
    assert r.status_code == 202, r.text
    assert r.headers["preference-applied"] == "respond-async"
    body: dict[str, object] = r.json()
    assert r.headers["location"] == f"/api/v1/photos/{body['id']}"
    return body


def test_an_async_upload_is_accepted_pending_and_becomes_ready(api: Api) -> None:
    u = api.user()
    raw = demo_photo(501)
    accepted = upload_async(u, raw)
    assert accepted["url"] is None and accepted["sha256"] is None
    assert accepted["state"] in ("pending",)
    done = u.ok("GET", f"/photos/{accepted['id']}", headers=WAIT)  # waits on the job
    assert done["state"] == "ready" and done["url"].startswith("/api/v1/blobs/")
    stored = u.get(done["url"].removeprefix("/api/v1")).content
    assert stored.startswith(b"\xff\xd8") and hashlib.sha256(stored).hexdigest() == done["sha256"]
    # the raw upload itself never becomes a blob, not even for its owner
    assert u.get(f"/blobs/{hashlib.sha256(raw).hexdigest()}").status_code == 404


def test_a_review_with_a_pending_photo_pays_the_same_and_shows_it_when_ready(api: Api) -> None:
    creator, r = api.user(), api.user()
    m = creator.model()
    pending = upload_async(r, demo_photo(502))
    review = r.ok("POST", "/reviews", json={"model_id": m, "stars": 5, "description": DESC,
                                            "photo_ids": [pending["id"]]})
    assert review["points"]["paid"] == 10  # rating, photo and description, as before
    early = api.http.get(f"/reviews/{review['id']}").json()["photos"][0]
    assert (early["url"] is None) == (early["state"] != "ready")  # never a link to nothing
    ready = r.ok("GET", f"/photos/{pending['id']}", headers=WAIT)
    assert ready["state"] == "ready"
    shown = api.http.get(f"/reviews/{review['id']}").json()
    assert shown["photos"][0]["url"] == ready["url"]
    assert api.http.get(ready["url"].removeprefix("/api/v1")).status_code == 200  # public


def test_near_duplicates_are_still_queued_when_processed_in_the_background(api: Api) -> None:
    a, b, mod = api.user(), api.user(), api.role_user("moderator")
    a.ok("POST", "/photos", files={"file": ("a.jpg", demo_photo(503), "image/jpeg")})
    img = Image.open(io.BytesIO(demo_photo(503))).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=80)
    mirrored = upload_async(b, out.getvalue())
    done = b.ok("GET", f"/photos/{mirrored['id']}", headers=WAIT)
    assert done["state"] == "ready" and done["queued_for_moderation"] is True
    assert mirrored["id"] in [p["id"] for p in mod.ok("GET", "/moderation/photos")]


def test_pixels_unreadable_after_upload_fail_and_go_to_a_moderator(api: Api) -> None:
    u, mod = api.user(), api.role_user("moderator")
    truncated = demo_photo(504)[:1200]  # the header reads; the pixels do not
    sync = u.post("/photos", files={"file": ("t.jpg", truncated, "image/jpeg")})
    assert sync.status_code == 422 and sync.json()["code"] == "not_an_image"
    accepted = upload_async(u, truncated)
    failed = u.ok("GET", f"/photos/{accepted['id']}", headers=WAIT)
    assert (failed["state"], failed["rejected"], failed["url"]) == ("failed", True, None)
    queue = {p["id"]: p for p in mod.ok("GET", "/moderation/photos")}
    assert queue[accepted["id"]]["state"] == "failed"


def test_others_do_not_see_a_photo_state(api: Api) -> None:
    u, other = api.user(), api.user()
    pid = u.photo()
    assert other.get(f"/photos/{pid}").status_code == 404
    assert api.http.get(f"/photos/{pid}").status_code == 401


def test_a_full_queue_refuses_with_503_and_retry_after(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine)
    jobs = photo_jobs.PhotoJobs(Store(engine), BlobStore(tmp_path / "b"), tmp_path / "st",
                                limit=10**6, workers=1, max_pending=2, clock=None)
    try:
        jobs.reserve()
        jobs.reserve()
        with pytest.raises(photo_jobs.QueueFullError) as err:
            jobs.reserve()
        assert err.value.status == 503 and err.value.retry_after == 1
        assert err.value.problem()["code"] == "photo_queue_full"
        jobs.release()
        jobs.reserve()  # a place given back is taken again
    finally:
        jobs.close()
        engine.dispose()


def test_pending_photos_are_processed_after_a_restart(tmp_path: Path) -> None:
    """The staged bytes of a photo left pending are queued again when the service starts."""
    from datetime import UTC, datetime

    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine)
    now = datetime(2026, 3, 10, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(t.accounts.insert().values(id=1, username="u", email="u@x.invalid",
                                                password_hash="x", referral_code="R1",
                                                created_at=now))
        conn.execute(t.photos.insert().values(id=7, owner_id=1, width=640, height=480,
                                              state="pending", created_at=now))
    jobs = photo_jobs.PhotoJobs(Store(engine), BlobStore(tmp_path / "b"), tmp_path / "st",
                                limit=10**7, workers=1, max_pending=4, clock=lambda: now)
    try:
        jobs.staged(7).write_bytes(demo_photo(505))
        assert jobs.requeue() == 1
        outcome = jobs.wait(7, 60)
        assert outcome is not None and outcome.state == "ready"
    finally:
        jobs.close()
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.photos).where(t.photos.c.id == 7)).mappings().one()
        hashes = conn.execute(sa.select(sa.func.count()).select_from(t.photo_hashes)).scalar()
    engine.dispose()
    assert row["state"] == "ready" and row["sha256"] and hashes == 8
    assert not jobs.staged(7).exists()


def test_blobs_of_drafts_and_free_photos_are_private(api: Api) -> None:
    owner, other, mod = api.user(), api.user(), api.role_user("moderator")
    draft = owner.ok("POST", "/models", json={"title": "secret draft", "license": "MIT",
                                              "origin": "original", "tags": ["a"]})["id"]
    f = owner.ok("POST", f"/models/{draft}/files",
                 files={"file": ("m.stl", cube_stl(17), "model/stl")})
    pid = owner.photo(506)
    photo = owner.ok("PUT", f"/models/{draft}/photos",
                     json={"photos": [{"id": pid, "cover": True}]})[0]
    free = owner.ok("GET", f"/photos/{owner.photo(507)}")
    file_url = f["url"].removeprefix("/api/v1")
    photo_url = photo["url"].removeprefix("/api/v1")
    free_url = free["url"].removeprefix("/api/v1")
    for url in (file_url, photo_url, free_url):
        assert api.http.get(url).status_code == 404, url  # anonymous
        assert other.get(url).status_code == 404, url
        assert owner.get(url).status_code == 200, url
    assert mod.get(photo_url).status_code == 200  # moderators look at photos
    assert mod.get(file_url).status_code == 404  # but not at a draft's files
    owner.ok("POST", f"/models/{draft}/publish")
    assert api.http.get(file_url).status_code == 200
    assert api.http.get(photo_url).status_code == 200
    assert api.http.get(free_url).status_code == 404  # still nobody's business
    assert api.http.get("/blobs/not-a-hash").status_code == 404


def test_the_migrations_build_exactly_the_tables_of_tables_py(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), t.metadata) == []
    finally:
        engine.dispose()
