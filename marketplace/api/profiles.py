"""Print profiles on models (REWARDS.md section 8 step 3) and their downloads."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from marketplace import awards, rules
from marketplace import tables as t
from marketplace.api.deps import Id, MaybeUser, Principal, Svc, Tx, User, write
from marketplace.api.models import record_download, visible_model
from marketplace.db import must_utc
from marketplace.errors import conflict, not_found, too_large

router = APIRouter(tags=["profiles"])
MAX_RAW = 1_000_000


class ProfileIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    material: str = Field(min_length=1, max_length=40)
    nozzle_diameter: float = Field(gt=0, le=3)
    layer_height: float = Field(gt=0, le=2)
    infill_density: float = Field(ge=0, le=100)
    supports: bool
    support_type: str | None = Field(default=None, max_length=40)
    slicer: str | None = Field(default=None, max_length=60)
    raw_settings: dict[str, Any] | None = None


def profile_view(conn: sa.Connection, r: Any) -> dict[str, Any]:
    d, c = awards.profile_counts(conn, int(r["id"]), int(r["uploader_id"]))
    genuine = rules.genuine_downloads(downloaders=d, confirmed_printers=c)
    return {
        "id": r["id"], "model_id": r["model_id"], "uploader_id": r["uploader_id"],
        "title": r["title"], "material": r["material"], "nozzle_diameter": r["nozzle_diameter"],
        "layer_height": r["layer_height"], "infill_density": r["infill_density"],
        "supports": r["supports"], "support_type": r["support_type"], "slicer": r["slicer"],
        "raw_settings": json.loads(r["raw_settings"]) if r["raw_settings"] else None,
        "genuine_downloads": genuine,
        "milestones": {"points": rules.profile_milestone_points(genuine),
                       "next_at": rules.next_profile_milestone(genuine)},
        "created_at": must_utc(r["created_at"]).isoformat(),
    }


def load_profile(conn: sa.Connection, profile_id: int, who: Principal | None) -> dict[str, Any]:
    r = conn.execute(sa.select(t.profiles).where(t.profiles.c.id == profile_id)
                     ).mappings().first()
    if r is None or r["hidden"]:
        raise not_found("print profile")
    visible_model(conn, int(r["model_id"]), who)
    return dict(r)


@router.post("/models/{model_id}/profiles", status_code=201)
def upload_profile(model_id: Id, body: ProfileIn, request: Request, who: User,
                   svc: Svc) -> JSONResponse:
    raw = json.dumps(body.raw_settings) if body.raw_settings is not None else None
    if raw is not None and len(raw) > MAX_RAW:
        raise too_large("the slicer settings may be at most 1 MB")

    def run(tx: Tx) -> tuple[int, Any]:
        model = visible_model(tx.conn, model_id, who)
        if model["status"] != "approved" or model["hidden"]:
            raise conflict("print profiles go on published models", "not_published")
        res = tx.conn.execute(t.profiles.insert().values(
            model_id=model_id, uploader_id=who.id, title=body.title, material=body.material,
            nozzle_diameter=body.nozzle_diameter, layer_height=body.layer_height,
            infill_density=body.infill_density, supports=body.supports,
            support_type=body.support_type, slicer=body.slicer, raw_settings=raw,
            created_at=tx.now))
        pk = res.inserted_primary_key
        assert pk is not None
        row = tx.conn.execute(sa.select(t.profiles).where(t.profiles.c.id == int(pk[0]))
                              ).mappings().one()
        awards.on_profile_uploaded(tx.payer, dict(row))
        return 201, profile_view(tx.conn, row)
    return write(request, who, run)


@router.get("/models/{model_id}/profiles")
def model_profiles(model_id: Id, who: MaybeUser, svc: Svc) -> list[dict[str, Any]]:
    with svc.store.read() as conn:
        visible_model(conn, model_id, who)
        rows = conn.execute(sa.select(t.profiles).where(
            t.profiles.c.model_id == model_id, t.profiles.c.hidden.is_(False))
            .order_by(t.profiles.c.id)).mappings().all()
        return [profile_view(conn, r) for r in rows]


@router.get("/profiles/{profile_id}")
def get_profile(profile_id: Id, who: MaybeUser, svc: Svc) -> dict[str, Any]:
    with svc.store.read() as conn:
        return profile_view(conn, load_profile(conn, profile_id, who))


@router.post("/profiles/{profile_id}/downloads")
def download_profile(profile_id: Id, request: Request, who: User, svc: Svc) -> JSONResponse:
    with svc.store.read() as conn:
        prof = load_profile(conn, profile_id, who)
        creator = visible_model(conn, int(prof["model_id"]), who)["creator_id"]

    def run(tx: Tx) -> tuple[int, Any]:
        p = load_profile(tx.conn, profile_id, who)
        model = visible_model(tx.conn, int(p["model_id"]), who)
        if model["status"] != "approved" or model["hidden"]:
            raise conflict("only published models can be downloaded", "not_published")
        record_download(tx, who.id, model, p)
        row = tx.conn.execute(sa.select(t.profiles).where(t.profiles.c.id == profile_id)
                              ).mappings().one()
        return 200, profile_view(tx.conn, row)
    return write(request, who, run, lock=[creator, int(prof["uploader_id"])])
