"""Photo uploads: checked at once, processed off the request path, then pHash-checked.

``POST /photos`` answers once the upload is checked (size, format, pixel count)
and stored: 202 Accepted with the photo ``pending`` when the client sends
``Prefer: respond-async`` (RFC 7240), else after waiting a bounded time for the
worker pool (``Prefer: wait=N`` shortens it), 201 with the processed photo.
A pending photo can be attached to a review or a model at once; its URL
appears when it is ready.  ``GET /photos/{id}`` tells its owner its state.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import JSONResponse

from marketplace import media, photo_jobs
from marketplace import tables as t
from marketplace.api.deps import Id, Svc, Tx, User, write
from marketplace.errors import not_found, too_large

router = APIRouter(tags=["media"])
MAX_WAIT = 60.0  # seconds a synchronous upload waits for its photo at most


def read_upload(upload: UploadFile, limit: int) -> bytes:
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise too_large(f"at most {limit} bytes")
    return data


def ensure_blob(tx: Tx, sha: str, size: int, media_type: str) -> None:
    photo_jobs.ensure_blob(tx.conn, tx.now, sha, size, media_type)


def photo_view(r: Any) -> dict[str, Any]:
    ready = r["state"] == photo_jobs.READY
    return {"id": r["id"], "state": r["state"],
            "url": f"/api/v1/blobs/{r['sha256']}" if ready else None,
            "sha256": r["sha256"] if ready else None,
            "width": r["width"], "height": r["height"], "phash": r["phash"],
            "queued_for_moderation": bool(r["queued"]), "cover": bool(r["is_cover"]),
            "real_print": bool(r["real_print"]), "rejected": bool(r["rejected"]),
            "position": r["position"]}


_WAIT = re.compile(r"\bwait\s*=\s*(\d{1,6})\b")


def _preferences(request: Request) -> tuple[bool, float]:
    """(respond-async asked, seconds to wait at most) from the Prefer header."""
    prefer = ",".join(request.headers.getlist("prefer")).lower()
    wait = MAX_WAIT
    if m := _WAIT.search(prefer):
        wait = min(MAX_WAIT, float(m.group(1)))
    return "respond-async" in prefer, wait


@router.post("/photos", status_code=201, responses={
    202: {"description": "Accepted: the photo is pending (Prefer: respond-async)"},
    503: {"description": "Too many photos are waiting (Retry-After says when to retry)"}})
def upload_photo(file: UploadFile, request: Request, who: User, svc: Svc) -> JSONResponse:
    raw = read_upload(file, svc.config.max_photo)
    head = media.inspect_photo(raw, svc.config.max_photo)  # refused at once, or queued
    jobs = svc.photos
    jobs.reserve()
    tmp = None
    created: list[int] = []

    def run(tx: Tx) -> tuple[int, Any]:
        res = tx.conn.execute(t.photos.insert().values(
            owner_id=who.id, sha256=None, width=head.width, height=head.height, phash=None,
            state=photo_jobs.PENDING, queued=False, created_at=tx.now))
        pk = res.inserted_primary_key
        assert pk is not None
        created[:] = [int(pk[0])]
        return 202, photo_view({"id": created[0], "sha256": None, "width": head.width,
                                "height": head.height, "phash": None,
                                "state": photo_jobs.PENDING, "queued": False,
                                "is_cover": False, "real_print": False, "rejected": False,
                                "position": 0})

    try:
        tmp = jobs.stage(raw)
        accepted = write(request, who, run)
    except BaseException:
        jobs.release()
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise
    if not created or accepted.status_code != 202:  # an idempotent replay: nothing new
        jobs.release()
        tmp.unlink(missing_ok=True)
        return accepted
    pid = created[0]
    jobs.submit(pid, who.id, tmp)
    respond_async, wait = _preferences(request)
    if respond_async or wait <= 0:
        accepted.headers["Preference-Applied"] = "respond-async"
        accepted.headers["Location"] = f"/api/v1/photos/{pid}"
        return accepted
    outcome = jobs.wait(pid, wait)
    if outcome is not None and outcome.failure is not None:
        raise outcome.failure.error()
    if outcome is None or outcome.state != photo_jobs.READY:
        accepted.headers["Location"] = f"/api/v1/photos/{pid}"
        return accepted
    with svc.store.read() as conn:
        row = conn.execute(sa.select(t.photos).where(t.photos.c.id == pid)).mappings().one()
    return JSONResponse(photo_view(row), 201)


@router.get("/photos/{photo_id}")
def get_photo(photo_id: Id, request: Request, who: User, svc: Svc) -> dict[str, Any]:
    """A photo's state, for its owner (and moderators).  With ``Prefer: wait=N`` a
    pending photo is waited for, up to N seconds, before the answer."""
    def load() -> Any:
        with svc.store.read() as conn:
            row = conn.execute(sa.select(t.photos).where(t.photos.c.id == photo_id)
                               ).mappings().first()
        if row is None or (row["owner_id"] != who.id and not who.has("moderator")):
            raise not_found("photo")
        return row

    row = load()
    if row["state"] == photo_jobs.PENDING and request.headers.get("prefer"):
        _, wait = _preferences(request)
        if wait > 0:
            svc.photos.wait(photo_id, wait)
            row = load()  # also when it finished between the first look and the wait
    return photo_view(row)
