"""Models: the upload workflow of REWARDS.md section 8, versions, remixes, downloads."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from marketplace import awards, media, rules
from marketplace import tables as t
from marketplace.api.deps import BodyId, Id, MaybeUser, Principal, Svc, Tx, User, page_args, write
from marketplace.api.photos import ensure_blob, photo_view, read_upload
from marketplace.catalog import model_view, moderation_case_for_flag
from marketplace.db import utc
from marketplace.errors import ApiError, conflict, forbidden, not_found, unprocessable

router = APIRouter(tags=["models"])

LICENSES = frozenset({
    "CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0", "CC-BY-NC-SA-4.0", "CC-BY-ND-4.0",
    "CC-BY-NC-ND-4.0", "CC-BY-3.0", "CC-BY-SA-3.0", "CC-BY-NC-3.0", "CC-BY-NC-SA-3.0",
    "MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "GPL-2.0-or-later", "GPL-3.0-or-later",
    "GPL-3.0-only", "LGPL-2.1-or-later", "LGPL-3.0-or-later", "MPL-2.0", "0BSD", "Unlicense",
})
Tag = Annotated[str, Field(min_length=1, max_length=40)]


class ModelFields(BaseModel):
    title: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=20000)
    tags: list[Tag] | None = Field(default=None, max_length=30)
    category: str | None = Field(default=None, max_length=60)
    license: str | None = Field(default=None, max_length=40)
    origin: str | None = Field(default=None, pattern="^(original|remix|repost|imported)$")
    parent_id: BodyId | None = None
    attribution: str | None = Field(default=None, max_length=2000)


class PhotoRef(BaseModel):
    id: BodyId
    cover: bool = False
    real_print: bool = False


class PhotoOrder(BaseModel):
    photos: list[PhotoRef] = Field(max_length=30)


def load_model(conn: sa.Connection, model_id: int) -> dict[str, Any]:
    row = conn.execute(sa.select(t.models).where(t.models.c.id == model_id)).mappings().first()
    if row is None:
        raise not_found("model")
    return dict(row)


def can_see(model: dict[str, Any], who: Principal | None) -> bool:
    if who is not None and who.id == model["creator_id"]:
        return True
    if model["status"] == "draft":
        return False
    if model["status"] != "approved" or model["hidden"]:
        return who is not None and who.has("moderator")
    return True


def visible_model(conn: sa.Connection, model_id: int, who: Principal | None) -> dict[str, Any]:
    model = load_model(conn, model_id)
    if not can_see(model, who):
        raise not_found("model")  # a draft is not even admitted to exist
    return model


def own_model(conn: sa.Connection, model_id: int, who: Principal) -> dict[str, Any]:
    model = visible_model(conn, model_id, who)
    if model["creator_id"] != who.id:
        raise forbidden("only the model's creator may change it")
    return model


def _apply_fields(tx: Tx, model_id: int, body: ModelFields, creator_id: int) -> None:
    values: dict[str, Any] = {"updated_at": tx.now}
    data = body.model_dump(exclude_unset=True)
    for name in ("title", "description", "category", "license", "origin", "attribution"):
        if name in data:
            values[name] = data[name]
    if data.get("license") is not None and data["license"] not in LICENSES:
        raise unprocessable(f"unknown licence {data['license']!r}", "bad_license")
    if "parent_id" in data:
        if data["parent_id"] is not None:
            parent = load_model(tx.conn, data["parent_id"])
            if parent["status"] != "approved" or parent["hidden"] or parent["id"] == model_id:
                raise unprocessable("a remix's parent must be a published model", "bad_parent")
        values["parent_id"] = data["parent_id"]
    tx.conn.execute(t.models.update().where(t.models.c.id == model_id).values(**values))
    if body.tags is not None:
        tx.conn.execute(t.model_tags.delete().where(t.model_tags.c.model_id == model_id))
        for tag in sorted({x.strip().lower() for x in body.tags if x.strip()}):
            tx.conn.execute(t.model_tags.insert().values(model_id=model_id, tag=tag))


@router.post("/models", status_code=201)
def create_draft(body: ModelFields, request: Request, who: User) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        res = tx.conn.execute(t.models.insert().values(
            creator_id=who.id, status="draft", created_at=tx.now, updated_at=tx.now))
        pk = res.inserted_primary_key
        assert pk is not None
        mid = int(pk[0])
        _apply_fields(tx, mid, body, who.id)
        return 201, model_view(tx.conn, mid, who)
    return write(request, who, run)


@router.get("/models/{model_id}")
def get_model(model_id: Id, who: MaybeUser, svc: Svc) -> dict[str, Any]:
    with svc.store.read() as conn:
        visible_model(conn, model_id, who)
        return model_view(conn, model_id, who)


@router.patch("/models/{model_id}")
def edit_model(model_id: Id, body: ModelFields, request: Request, who: User) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        model = own_model(tx.conn, model_id, who)
        if model["status"] != "draft" and body.origin is not None \
                and body.origin != model["origin"]:
            raise conflict("the origin of a published model cannot change", "origin_locked")
        _apply_fields(tx, model_id, body, who.id)
        return 200, model_view(tx.conn, model_id, who)
    return write(request, who, run)


@router.delete("/models/{model_id}")
def delete_draft(model_id: Id, request: Request, who: User) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        model = own_model(tx.conn, model_id, who)
        if model["status"] != "draft":
            raise conflict("only drafts can be deleted", "not_a_draft")
        c = tx.conn
        c.execute(t.model_tags.delete().where(t.model_tags.c.model_id == model_id))
        c.execute(t.model_files.delete().where(t.model_files.c.model_id == model_id))
        c.execute(t.photos.update().where(t.photos.c.model_id == model_id).values(model_id=None))
        c.execute(t.models.delete().where(t.models.c.id == model_id))
        return 200, {"deleted": model_id}
    return write(request, who, run)


def _add_file(tx: Tx, model_id: int, version: int, *, name: str, kind: str, data: bytes,
              sha: str) -> dict[str, Any]:
    c = tx.conn
    ensure_blob(tx, sha, len(data), "application/octet-stream")
    res = c.execute(t.model_files.insert().values(
        model_id=model_id, version=version, name=name, kind=kind, sha256=sha, size=len(data),
        created_at=tx.now))
    pk = res.inserted_primary_key
    assert pk is not None
    return {"id": int(pk[0]), "name": name, "kind": kind, "size": len(data), "sha256": sha,
            "version": version, "url": f"/api/v1/blobs/{sha}"}


def _checked_upload(file: UploadFile, svc: Svc) -> tuple[str, str, bytes, str]:
    name = (file.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
    data = read_upload(file, svc.config.max_model_file)
    kind = media.check_model_file(name, data, svc.config.max_model_file)
    sha = svc.blobs.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    return name, kind, data, sha


@router.post("/models/{model_id}/files", status_code=201)
def upload_file(model_id: Id, file: UploadFile, request: Request, who: User,
                svc: Svc) -> JSONResponse:
    name, kind, data, sha = _checked_upload(file, svc)

    def run(tx: Tx) -> tuple[int, Any]:
        model = own_model(tx.conn, model_id, who)
        if model["status"] != "draft":
            raise conflict("a published model takes new files as a new version",
                           "publish_a_version")
        return 201, _add_file(tx, model_id, model["version"], name=name, kind=kind,
                              data=data, sha=sha)
    return write(request, who, run)


@router.post("/models/{model_id}/versions", status_code=201)
def new_version(model_id: Id, files: list[UploadFile], request: Request, who: User,
                svc: Svc) -> JSONResponse:
    if not files or len(files) > 20:
        raise unprocessable("a version has 1 to 20 files")
    checked = [_checked_upload(f, svc) for f in files]

    def run(tx: Tx) -> tuple[int, Any]:
        model = own_model(tx.conn, model_id, who)
        if model["status"] == "draft":
            raise conflict("add files to a draft directly", "still_a_draft")
        version = int(model["version"]) + 1
        out = [_add_file(tx, model_id, version, name=n, kind=k, data=d, sha=s)
               for n, k, d, s in checked]
        tx.conn.execute(t.models.update().where(t.models.c.id == model_id).values(
            version=version, updated_at=tx.now))
        return 201, {"version": version, "files": out}
    return write(request, who, run)


@router.get("/models/{model_id}/files")
def list_files(model_id: Id, who: MaybeUser, svc: Svc,
               version: Annotated[int | None, Query(ge=1, le=100_000)] = None,
               ) -> list[dict[str, Any]]:
    with svc.store.read() as conn:
        model = visible_model(conn, model_id, who)
        q = sa.select(t.model_files).where(t.model_files.c.model_id == model_id)
        q = q.where(t.model_files.c.version == (version or model["version"]))
        rows = conn.execute(q.order_by(t.model_files.c.id)).mappings().all()
    return [{"id": r["id"], "name": r["name"], "kind": r["kind"], "size": r["size"],
             "sha256": r["sha256"], "version": r["version"],
             "url": f"/api/v1/blobs/{r['sha256']}"} for r in rows]


@router.put("/models/{model_id}/photos")
def set_photos(model_id: Id, body: PhotoOrder, request: Request, who: User) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        own_model(tx.conn, model_id, who)
        ids = [p.id for p in body.photos]
        if len(set(ids)) != len(ids):
            raise unprocessable("a photo is listed twice")
        if sum(p.cover for p in body.photos) > 1:
            raise unprocessable("only one photo is the cover")
        c = tx.conn
        rows = {r.id: r for r in c.execute(sa.select(t.photos).where(t.photos.c.id.in_(ids)))}
        for pid in ids:
            r = rows.get(pid)
            if r is None or r.owner_id != who.id or r.review_id is not None or \
                    r.model_id not in (None, model_id):
                raise not_found(f"free photo of yours with id {pid}")
        c.execute(t.photos.update().where(t.photos.c.model_id == model_id).values(
            model_id=None, is_cover=False, position=0))
        has_cover = any(p.cover for p in body.photos)
        for pos, p in enumerate(body.photos):
            c.execute(t.photos.update().where(t.photos.c.id == p.id).values(
                model_id=model_id, position=pos, real_print=p.real_print,
                is_cover=p.cover or (not has_cover and pos == 0)))
        rows2 = c.execute(sa.select(t.photos).where(t.photos.c.model_id == model_id)
                          .order_by(t.photos.c.position)).mappings().all()
        c.execute(t.models.update().where(t.models.c.id == model_id).values(updated_at=tx.now))
        return 200, [photo_view(r) for r in rows2]
    return write(request, who, run)


def publish_problems(conn: sa.Connection, model: dict[str, Any]) -> list[str]:
    problems = []
    if not (model["title"] or "").strip():
        problems.append("a title")
    if model["license"] not in LICENSES:
        problems.append("a licence")
    if model["origin"] not in rules.ORIGINS:
        problems.append("an origin")
    if model["origin"] == "remix" and model["parent_id"] is None:
        problems.append("the parent model of the remix")
    if model["origin"] == "repost" and not (model["attribution"] or "").strip():
        problems.append("the attribution of the reposted model")
    files = conn.execute(sa.select(sa.func.count()).select_from(t.model_files).where(
        t.model_files.c.model_id == model["id"])).scalar_one()
    if not files:
        problems.append("at least one model file")
    photos = conn.execute(sa.select(sa.func.count()).select_from(t.photos).where(
        t.photos.c.model_id == model["id"])).scalar_one()
    if not photos:
        problems.append("at least one photo")
    return problems


def approve(tx: Tx, model_id: int) -> None:
    tx.conn.execute(t.models.update().where(t.models.c.id == model_id).values(
        status="approved", approved_at=tx.now))
    model = load_model(tx.conn, model_id)
    awards.on_model_approved(tx.payer, model)


@router.post("/models/{model_id}/publish")
def publish(model_id: Id, request: Request, who: User, svc: Svc) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        model = own_model(tx.conn, model_id, who)
        if model["status"] != "draft":
            raise conflict("the model is already published", "already_published")
        problems = publish_problems(tx.conn, model)
        if problems:
            raise ApiError(422, "Not ready to publish", "the model still needs "
                           + ", ".join(problems), "not_ready", missing=problems)
        tx.conn.execute(t.models.update().where(t.models.c.id == model_id).values(
            status="pending", published_at=tx.now, updated_at=tx.now))
        if svc.config.auto_approve:
            approve(tx, model_id)
        text = f"{model['title']}\n{model['description']}"
        if svc.config.content_check.flags("model", text):
            moderation_case_for_flag(tx.conn, "model", model_id, tx.now)
        return 200, model_view(tx.conn, model_id, who)
    return write(request, who, run)


@router.get("/me/models")
def my_models(who: User, svc: Svc) -> list[dict[str, Any]]:
    with svc.store.read() as conn:
        ids = conn.execute(sa.select(t.models.c.id).where(t.models.c.creator_id == who.id)
                           .order_by(t.models.c.id.desc())).scalars().all()
        return [model_view(conn, int(i), who) for i in ids]


@router.post("/models/{model_id}/downloads")
def download_model(model_id: Id, request: Request, who: User, svc: Svc) -> JSONResponse:
    with svc.store.read() as conn:
        creator = visible_model(conn, model_id, who)["creator_id"]

    def run(tx: Tx) -> tuple[int, Any]:
        model = visible_model(tx.conn, model_id, who)
        if model["status"] != "approved" or model["hidden"]:
            raise conflict("only published models can be downloaded", "not_published")
        record_download(tx, who.id, model, None)
        files = tx.conn.execute(sa.select(t.model_files).where(
            t.model_files.c.model_id == model_id, t.model_files.c.version == model["version"])
        ).mappings().all()
        return 200, {"model_id": model_id, "version": model["version"], "files": [
            {"name": f["name"], "sha256": f["sha256"], "url": f"/api/v1/blobs/{f['sha256']}"}
            for f in files]}
    return write(request, who, run, lock=[creator])


@router.get("/me/downloads")
def my_downloads(who: User, svc: Svc, limit: int = 50, offset: int = 0
                 ) -> list[dict[str, Any]]:
    """The signed-in account's downloads of models and profiles, newest first."""
    limit, offset = page_args(limit, offset)
    with svc.store.read() as conn:
        rows = conn.execute(sa.select(t.downloads).where(t.downloads.c.account_id == who.id)
                            .order_by(t.downloads.c.id.desc()).limit(limit).offset(offset)
                            ).mappings().all()
    return [{"model_id": r["model_id"], "profile_id": r["profile_id"],
             "at": _when(dict(r), "created_at")} for r in rows]


def record_download(tx: Tx, account_id: int, model: dict[str, Any],
                    profile: dict[str, Any] | None) -> None:
    c, mid = tx.conn, int(model["id"])
    c.execute(t.downloads.insert().values(account_id=account_id, model_id=mid,
                                          profile_id=profile["id"] if profile else None,
                                          created_at=tx.now))
    new = c.execute(sa.select(t.model_downloaders.c.account_id).where(
        t.model_downloaders.c.model_id == mid,
        t.model_downloaders.c.account_id == account_id)).first() is None
    if new:
        c.execute(t.model_downloaders.insert().values(model_id=mid, account_id=account_id))
        if account_id != model["creator_id"]:
            tx.payer.points(int(model["creator_id"]), "karma", rules.KARMA_DOWNLOAD,
                            "karma_download", f"karma_dl:{mid}:{account_id}", "model", mid)
    if profile is not None:
        pid = int(profile["id"])
        if c.execute(sa.select(t.profile_downloaders.c.account_id).where(
                t.profile_downloaders.c.profile_id == pid,
                t.profile_downloaders.c.account_id == account_id)).first() is None:
            c.execute(t.profile_downloaders.insert().values(profile_id=pid,
                                                            account_id=account_id))
        awards.refresh_profile_milestones(tx.payer, pid)
    awards.refresh_model_milestones(tx.payer, mid)


def _when(model: dict[str, Any], name: str) -> str | None:
    m = utc(model[name])
    return m.isoformat() if m else None
