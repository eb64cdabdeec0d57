"""Stored files by content hash, served only to those who may see what holds them.

A blob is served when it is a file of a model the caller may see (published,
or their own draft), a ready photo on such a model or on a visible review of
one, a photo of the caller's own, a moderator's look at any photo, or an
avatar.  Anything else is 404, as if it did not exist: a draft's files and
photos stay private even to someone who learnt their hash.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import FileResponse

from marketplace import photo_jobs
from marketplace import tables as t
from marketplace.api.deps import MaybeUser, Principal, Svc
from marketplace.api.models import can_see
from marketplace.errors import not_found

router = APIRouter(tags=["media"])
_SHA = re.compile(r"[0-9a-f]{64}")


def may_fetch(conn: sa.Connection, sha: str, who: Principal | None) -> bool:
    def model_visible(model_id: int | None) -> bool:
        if model_id is None:
            return False
        m = conn.execute(sa.select(t.models).where(t.models.c.id == model_id)
                         ).mappings().first()
        return m is not None and can_see(dict(m), who)

    for (model_id,) in conn.execute(sa.select(t.model_files.c.model_id).where(
            t.model_files.c.sha256 == sha).distinct()):
        if model_visible(int(model_id)):
            return True
    photos = conn.execute(sa.select(t.photos).where(
        t.photos.c.sha256 == sha, t.photos.c.state == photo_jobs.READY)).mappings().all()
    for p in photos:
        if who is not None and (p["owner_id"] == who.id or who.has("moderator")):
            return True
        if p["rejected"]:
            continue
        if p["model_id"] is not None and model_visible(int(p["model_id"])):
            return True
        if p["review_id"] is not None:
            r = conn.execute(sa.select(t.reviews.c.model_id, t.reviews.c.hidden).where(
                t.reviews.c.id == p["review_id"])).first()
            if r is not None and not r.hidden and model_visible(int(r.model_id)):
                return True
    return conn.execute(sa.select(t.accounts.c.id).where(t.accounts.c.avatar == sha)
                        .limit(1)).first() is not None


@router.get("/blobs/{sha256}")
def get_blob(sha256: str, who: MaybeUser, svc: Svc) -> FileResponse:
    if not _SHA.fullmatch(sha256):
        raise not_found("file")
    with svc.store.read() as conn:
        row = conn.execute(sa.select(t.blobs).where(t.blobs.c.sha256 == sha256)).first()
        if row is None or not may_fetch(conn, sha256, who):
            raise not_found("file")
    return FileResponse(svc.blobs.path(sha256), media_type=row.media_type)
