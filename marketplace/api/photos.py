"""Photo uploads (re-encoded, metadata stripped, pHash-checked) and blob downloads."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from marketplace import media, rules
from marketplace import tables as t
from marketplace.api.deps import Svc, Tx, User, write
from marketplace.db import lock_name
from marketplace.errors import not_found, too_large, unprocessable

router = APIRouter(tags=["media"])


def read_upload(upload: UploadFile, limit: int) -> bytes:
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise too_large(f"at most {limit} bytes")
    return data


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


def ensure_blob(tx: Tx, sha: str, size: int, media_type: str) -> None:
    """Record a stored file once, even when two accounts upload it at the same moment."""
    lock_name(tx.conn, f"blob:{sha}")
    if tx.conn.execute(sa.select(t.blobs.c.sha256).where(t.blobs.c.sha256 == sha)
                       ).first() is None:
        tx.conn.execute(t.blobs.insert().values(sha256=sha, size=size, media_type=media_type,
                                                created_at=tx.now))


def store_photo(tx: Tx, owner_id: int, photo: media.Photo, sha: str,
                queued: bool) -> dict[str, Any]:
    c = tx.conn
    ensure_blob(tx, sha, len(photo.data), "image/jpeg")
    res = c.execute(t.photos.insert().values(
        owner_id=owner_id, sha256=sha, width=photo.width, height=photo.height,
        phash=f"{photo.hashes[0]:016x}", queued=queued, created_at=tx.now))
    pk = res.inserted_primary_key
    assert pk is not None
    pid = int(pk[0])
    for i, h in enumerate(photo.hashes):
        c.execute(t.photo_hashes.insert().values(photo_id=pid, variant=i, owner_id=owner_id,
                                                 hash=media.to_signed(h)))
    return photo_view({"id": pid, "sha256": sha, "width": photo.width, "height": photo.height,
                       "phash": f"{photo.hashes[0]:016x}", "queued": queued, "is_cover": False,
                       "real_print": False, "rejected": False, "position": 0})


def photo_view(r: Any) -> dict[str, Any]:
    return {"id": r["id"], "url": f"/api/v1/blobs/{r['sha256']}", "sha256": r["sha256"],
            "width": r["width"], "height": r["height"], "phash": r["phash"],
            "queued_for_moderation": bool(r["queued"]), "cover": bool(r["is_cover"]),
            "real_print": bool(r["real_print"]), "rejected": bool(r["rejected"]),
            "position": r["position"]}


@router.post("/photos", status_code=201)
def upload_photo(file: UploadFile, request: Request, who: User, svc: Svc) -> JSONResponse:
    raw = read_upload(file, svc.config.max_photo)
    photo = media.process_photo(raw, svc.config.max_photo)  # CPU work outside the lock
    sha = svc.blobs.put(photo.data)
    # The reuse check reads only: it runs before the write lock is taken.
    with svc.store.read() as conn:
        queued = near_duplicate(conn, who.id, photo.hashes)
    return write(request, who, lambda tx: (201, store_photo(tx, who.id, photo, sha, queued)))


@router.get("/blobs/{sha256}")
def get_blob(sha256: str, svc: Svc) -> FileResponse:
    with svc.store.read() as conn:
        row = conn.execute(sa.select(t.blobs).where(t.blobs.c.sha256 == sha256)).first()
    if row is None:
        raise not_found("file")
    try:
        path = svc.blobs.path(sha256)
    except ValueError:
        raise unprocessable("not a sha256") from None
    return FileResponse(path, media_type=row.media_type)
