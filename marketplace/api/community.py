"""Receipts, reviews, helpful votes and suggestions (REWARDS.md sections 3 and 9)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from marketplace import awards, ledger, receipts, rules
from marketplace import tables as t
from marketplace.api.deps import (
    Admin,
    BodyId,
    Id,
    MaybeUser,
    Principal,
    Svc,
    Tx,
    User,
    page_args,
    write,
)
from marketplace.api.models import visible_model
from marketplace.cases import open_case
from marketplace.db import must_utc
from marketplace.errors import ApiError, conflict, forbidden, not_found, unprocessable

router = APIRouter(tags=["community"])


class ReceiptEnvelope(BaseModel):
    receipt: dict[str, Any]
    signature: str = Field(min_length=1, max_length=200)


class ReviewIn(BaseModel):
    model_id: BodyId
    profile_id: BodyId | None = None
    stars: int | None = Field(default=None, ge=1, le=5)
    description: str | None = Field(default=None, max_length=10000)
    photo_ids: list[BodyId] = Field(default_factory=list, max_length=10)
    receipt: ReceiptEnvelope | None = None
    receipt_id: str | None = Field(default=None, max_length=36)


class VoteIn(BaseModel):
    helpful: bool


class SuggestionIn(BaseModel):
    text: str = Field(min_length=1, max_length=5000)


def _refuse(detail: str, code: str) -> ApiError:
    return ApiError(422, "Receipt refused", detail, code)


def accept_receipt(tx: Tx, who: Principal, env: ReceiptEnvelope) -> dict[str, Any]:
    rec = receipts.parse(env.receipt)
    if rec.account != who.id:
        raise _refuse("the receipt names another account", "wrong_account")
    key = tx.conn.execute(sa.select(t.device_keys).where(
        t.device_keys.c.id == rec.device_key_id)).mappings().first()
    if key is None or key["account_id"] != who.id:
        raise _refuse("the device key is not registered to this account", "unknown_key")
    if key["revoked_at"] is not None:
        raise _refuse("the device key was revoked", "revoked_key")
    receipts.verify(rec, env.signature, key["public_key"], tx.now)
    seen = tx.conn.execute(sa.select(t.receipts).where(
        t.receipts.c.receipt_id == rec.receipt_id)).mappings().first()
    if seen is not None:
        # The same signed receipt again (sent on its own, then attached to a
        # review, or the other way round) is the receipt already held, not a
        # replay; anything else under a known id is refused.
        if seen["account_id"] == who.id and seen["signature"] == env.signature \
                and seen["body"] == receipts.canonical_bytes(rec.body).decode():
            return {"receipt_id": seen["receipt_id"], "model_id": seen["model_id"],
                    "profile_id": seen["profile_id"], "job_state": seen["job_state"],
                    "verdict": seen["verdict"], "confirmed": bool(seen["confirmed"]),
                    "already_held": True}
        raise ApiError(409, "Receipt replayed", "this receipt was already sent",
                       "replayed_receipt")
    model_id = rec.model_id
    if rec.profile_id is not None:
        prof_model = tx.conn.execute(sa.select(t.profiles.c.model_id).where(
            t.profiles.c.id == rec.profile_id)).scalar()
        if prof_model is None or (model_id is not None and model_id != prof_model):
            raise _refuse("the profile is unknown or not of that model", "bad_profile")
        model_id = int(prof_model)
    if model_id is not None and tx.conn.execute(sa.select(t.models.c.id).where(
            t.models.c.id == model_id)).first() is None:
        raise _refuse("unknown model", "bad_model")
    tx.conn.execute(t.receipts.insert().values(
        receipt_id=rec.receipt_id, account_id=who.id, device_key_id=rec.device_key_id,
        model_id=model_id, profile_id=rec.profile_id, job_state=rec.job_state,
        verdict=rec.verdict, started_at=rec.started_at, ended_at=rec.ended_at,
        body=receipts.canonical_bytes(rec.body).decode(), signature=env.signature,
        confirmed=rec.confirmed_success, created_at=tx.now))
    if rec.confirmed_success and model_id is not None:
        if rec.profile_id is not None:
            awards.refresh_profile_milestones(tx.payer, rec.profile_id)
        awards.refresh_model_milestones(tx.payer, model_id)
    return {"receipt_id": rec.receipt_id, "model_id": model_id, "profile_id": rec.profile_id,
            "job_state": rec.job_state, "verdict": rec.verdict,
            "confirmed": rec.confirmed_success, "already_held": False}


@router.post("/receipts", status_code=201)
def submit_receipt(body: ReceiptEnvelope, request: Request, who: User) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        out = accept_receipt(tx, who, body)
        return (200 if out["already_held"] else 201), out
    return write(request, who, run)


def review_view(conn: sa.Connection, r: Any) -> dict[str, Any]:
    photos = conn.execute(sa.select(t.photos).where(
        t.photos.c.review_id == r["id"]).order_by(t.photos.c.position)).mappings().all()
    votes: dict[bool, int] = dict(conn.execute(sa.select(t.votes.c.helpful, sa.func.count()).where(
        t.votes.c.review_id == r["id"]).group_by(t.votes.c.helpful)).all())
    author = conn.execute(sa.select(t.accounts.c.username).where(
        t.accounts.c.id == r["author_id"])).scalar()
    return {
        "id": r["id"], "model_id": r["model_id"], "profile_id": r["profile_id"],
        "author": {"id": r["author_id"], "username": author},
        "stars": r["stars"], "description": r["description"],
        "photos": [{"id": p["id"], "url": f"/api/v1/blobs/{p['sha256']}",
                    "queued_for_moderation": p["queued"]} for p in photos],
        "confirmed_print": r["confirmed"], "receipt_id": r["receipt_id"],
        "helpful": int(votes.get(True, 0)), "unhelpful": int(votes.get(False, 0)),
        "hidden": r["hidden"], "created_at": must_utc(r["created_at"]).isoformat(),
    }


@router.post("/reviews", status_code=201)
def create_review(body: ReviewIn, request: Request, who: User, svc: Svc) -> JSONResponse:
    # Only the reviewer's account is locked: the creator's karma for a good rating
    # is uncapped and keyed by the review, so it needs no serialisation.
    def run(tx: Tx) -> tuple[int, Any]:
        c = tx.conn
        model = visible_model(c, body.model_id, who)
        if model["status"] != "approved" or model["hidden"]:
            raise conflict("only published models take reviews", "not_published")
        if model["creator_id"] == who.id:
            raise forbidden("creators do not review their own models")
        if body.profile_id is not None and c.execute(sa.select(t.profiles.c.id).where(
                t.profiles.c.id == body.profile_id, t.profiles.c.model_id == body.model_id,
                t.profiles.c.hidden.is_(False))).first() is None:
            raise not_found("print profile of this model")
        has_desc = rules.description_counts(body.description)
        if body.stars is None and not body.photo_ids and not (body.description or "").strip():
            raise unprocessable("a review has a rating, photos or a description", "empty_review")
        ids = list(dict.fromkeys(body.photo_ids))
        if ids:
            found = c.execute(sa.select(t.photos.c.id).where(
                t.photos.c.id.in_(ids), t.photos.c.owner_id == who.id,
                t.photos.c.model_id.is_(None), t.photos.c.review_id.is_(None))).scalars().all()
            if len(found) != len(ids):
                raise not_found("free photo of yours")
        receipt_id = body.receipt_id
        confirmed = False
        if body.receipt is not None:
            receipt_id = accept_receipt(tx, who, body.receipt)["receipt_id"]
        if receipt_id is not None:
            rec = c.execute(sa.select(t.receipts).where(
                t.receipts.c.receipt_id == receipt_id)).mappings().first()
            if rec is None or rec["account_id"] != who.id:
                raise not_found("receipt of yours")
            if rec["model_id"] not in (None, body.model_id):
                raise unprocessable("the receipt is for another model", "receipt_model")
            if c.execute(sa.select(t.reviews.c.id).where(
                    t.reviews.c.receipt_id == receipt_id)).first() is not None:
                raise conflict("that receipt already backs a review", "receipt_used")
            confirmed = bool(rec["confirmed"])
        res = c.execute(t.reviews.insert().values(
            author_id=who.id, model_id=body.model_id, profile_id=body.profile_id,
            stars=body.stars, description=body.description, receipt_id=receipt_id,
            confirmed=confirmed, created_at=tx.now))
        pk = res.inserted_primary_key
        assert pk is not None
        rid = int(pk[0])
        for pos, pid in enumerate(ids):
            c.execute(t.photos.update().where(t.photos.c.id == pid).values(
                review_id=rid, position=pos))
        award, parts = awards.review_award(
            c, author=who.id, model_id=body.model_id, profile_id=body.profile_id,
            review_id=rid, rating=body.stars is not None, photo=bool(ids),
            description=has_desc)
        paid = tx.payer.pay(award) if award is not None else 0
        if body.stars is not None and rules.positive_rating(body.stars):
            tx.payer.points(int(model["creator_id"]), "karma", rules.KARMA_POSITIVE_RATING,
                            "karma_rating", f"karma_rating:{rid}", "review", rid)
        if confirmed:
            tx.payer.points(who.id, "cred", rules.CRED_CONFIRMED_REVIEW, "cred_confirmed_review",
                            f"cred_confirmed_review:{rid}", "review", rid)
        if svc.config.content_check.flags("review", body.description or ""):
            open_case(c, "review", rid, tx.now)
        row = c.execute(sa.select(t.reviews).where(t.reviews.c.id == rid)).mappings().one()
        out = review_view(c, row)
        offered = sum(parts.values()) if parts else 0
        out["points"] = {"offered": offered, "paid": float(paid), "parts": parts,
                         "capped": float(paid) < offered}
        return 201, out
    return write(request, who, run)


@router.get("/reviews/{review_id}")
def get_review(review_id: Id, who: MaybeUser, svc: Svc) -> dict[str, Any]:
    with svc.store.read() as conn:
        r = conn.execute(sa.select(t.reviews).where(t.reviews.c.id == review_id)
                         ).mappings().first()
        if r is None or (r["hidden"] and not (who and (who.id == r["author_id"]
                                                       or who.has("moderator")))):
            raise not_found("review")
        visible_model(conn, int(r["model_id"]), who)
        return review_view(conn, r)


@router.get("/models/{model_id}/reviews")
def model_reviews(model_id: Id, who: MaybeUser, svc: Svc, limit: int = 50,
                  offset: int = 0) -> list[dict[str, Any]]:
    limit, offset = page_args(limit, offset)
    with svc.store.read() as conn:
        visible_model(conn, model_id, who)
        rows = conn.execute(sa.select(t.reviews).where(
            t.reviews.c.model_id == model_id, t.reviews.c.hidden.is_(False))
            .order_by(t.reviews.c.id.desc()).limit(limit).offset(offset)).mappings().all()
        return [review_view(conn, r) for r in rows]


@router.post("/reviews/{review_id}/votes")
def vote(review_id: Id, body: VoteIn, request: Request, who: User, svc: Svc) -> JSONResponse:
    with svc.store.read() as conn:
        author = conn.execute(sa.select(t.reviews.c.author_id).where(
            t.reviews.c.id == review_id, t.reviews.c.hidden.is_(False))).scalar()
    if author is None:
        raise not_found("review")

    def run(tx: Tx) -> tuple[int, Any]:
        c = tx.conn
        if author == who.id:
            raise forbidden("nobody votes on their own review")
        prior = c.execute(sa.select(t.votes.c.helpful).where(
            t.votes.c.review_id == review_id, t.votes.c.account_id == who.id)).first()
        if prior is None:
            c.execute(t.votes.insert().values(review_id=review_id, account_id=who.id,
                                              helpful=body.helpful, created_at=tx.now))
        else:
            c.execute(t.votes.update().where(t.votes.c.review_id == review_id,
                                             t.votes.c.account_id == who.id)
                      .values(helpful=body.helpful))
        if body.helpful:
            karma_paid = c.execute(sa.select(sa.func.count()).select_from(t.ledger).where(
                t.ledger.c.reason == "karma_helpful", t.ledger.c.object_type == "review",
                t.ledger.c.object_id == review_id)).scalar_one()
            if rules.karma_for_helpful(karma_paid + 1) > rules.karma_for_helpful(karma_paid):
                tx.payer.points(int(author), "karma", rules.KARMA_HELPFUL, "karma_helpful",
                                f"karma_helpful:{review_id}:{who.id}", "review", review_id)
            tx.payer.points(int(author), "cred", rules.CRED_HELPFUL_REVIEW, "cred_helpful_review",
                            f"cred_helpful:{review_id}", "review", review_id)
        r = c.execute(sa.select(t.reviews).where(t.reviews.c.id == review_id)).mappings().one()
        return 200, review_view(c, r)
    return write(request, who, run, lock=[int(author)])


@router.post("/suggestions", status_code=201)
def suggest(body: SuggestionIn, request: Request, who: User) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        res = tx.conn.execute(t.suggestions.insert().values(
            author_id=who.id, text=body.text, status="open", created_at=tx.now))
        pk = res.inserted_primary_key
        assert pk is not None
        return 201, {"id": int(pk[0]), "text": body.text, "status": "open"}
    return write(request, who, run)


@router.get("/suggestions")
def list_suggestions(who: User, svc: Svc) -> list[dict[str, Any]]:
    with svc.store.read() as conn:
        q = sa.select(t.suggestions).order_by(t.suggestions.c.id.desc()).limit(200)
        if not who.has("admin"):
            q = q.where(t.suggestions.c.author_id == who.id)
        return [{"id": r["id"], "text": r["text"], "status": r["status"],
                 "author_id": r["author_id"]} for r in conn.execute(q).mappings()]


@router.post("/suggestions/{suggestion_id}/implemented")
def mark_implemented(suggestion_id: Id, request: Request, who: Admin,
                     svc: Svc) -> JSONResponse:
    with svc.store.read() as conn:
        author = conn.execute(sa.select(t.suggestions.c.author_id).where(
            t.suggestions.c.id == suggestion_id)).scalar()
    if author is None:
        raise not_found("suggestion")

    def run(tx: Tx) -> tuple[int, Any]:
        tx.conn.execute(t.suggestions.update().where(t.suggestions.c.id == suggestion_id)
                        .values(status="implemented"))
        paid = tx.payer.pay(ledger.Award(
            int(author), "suggestion_implemented", rules.FEEDBACK_IMPLEMENTED_POINTS,
            f"suggestion:{suggestion_id}", "suggestion", suggestion_id, incentive=True))
        return 200, {"id": suggestion_id, "status": "implemented", "paid": float(paid)}
    return write(request, who, run, lock=[int(author)])
