"""Balances, history, §11 summary, conversions, withdrawals, promotion and the store."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from marketplace import awards, ledger, rules
from marketplace import tables as t
from marketplace.api.deps import BodyId, Id, Svc, Tx, User, page_args, write
from marketplace.api.models import own_model, visible_model
from marketplace.errors import ApiError, conflict, not_found, unprocessable
from marketplace.reputation import creator_reputation

router = APIRouter(tags=["rewards"])


class ConversionIn(BaseModel):
    spotlight_points: int = Field(gt=0, le=10_000_000)
    target: str = Field(pattern="^(credits|standard)$")


class WithdrawalIn(BaseModel):
    amount: int = Field(gt=0, le=10_000_000)


class PromotionIn(BaseModel):
    tokens: int = Field(gt=0, le=1000)


class OrderIn(BaseModel):
    item_id: BodyId


def balances_view(conn: sa.Connection, account_id: int) -> dict[str, Any]:
    raw = ledger.balances(conn, account_id)
    return {
        "standard": ledger.as_number(raw["standard"]),
        "spotlight": ledger.as_number(raw["spotlight"]),
        "credits": ledger.as_number(raw["credits"]),
        "cred_tokens": raw["cred"] // 10,
        "karma": raw["karma"] // 10,
    }


@router.get("/me/balances")
def my_balances(who: User, svc: Svc) -> dict[str, Any]:
    with svc.store.read() as conn:
        return balances_view(conn, who.id)


@router.get("/me/ledger")
def my_ledger(who: User, svc: Svc, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    limit, offset = page_args(limit, offset)
    with svc.store.read() as conn:
        return ledger.history(conn, who.id, limit, offset)


def promotion_spent(conn: sa.Connection, day: str, *, model_id: int | None = None,
                    creator_id: int | None = None) -> int:
    q = sa.select(sa.func.coalesce(sa.func.sum(t.promotions.c.tokens), 0)).where(
        t.promotions.c.day == day)
    if model_id is not None:
        q = q.where(t.promotions.c.model_id == model_id)
    if creator_id is not None:
        q = q.where(t.promotions.c.creator_id == creator_id)
    return int(conn.execute(q).scalar_one())


@router.get("/me/rewards")
def rewards_summary(who: User, svc: Svc) -> dict[str, Any]:
    """Everything REWARDS.md section 11 lists, for the signed-in account."""
    now = svc.now()
    with svc.store.read() as conn:
        caps = {}
        for group, cap in ledger.CAPS.items():
            used = ledger.month_used(conn, who.id, group, now)
            caps[group] = {"month": rules.month_key(now), "used": ledger.as_number(used),
                           "cap": cap}
        done = awards.tasks_done(conn, who.id)
        tasks = [{"task": k, "points": v, "done": k in done}
                 for k, v in rules.BEGINNER_TASKS.items()]
        model_rows = conn.execute(sa.select(t.models.c.id, t.models.c.title).where(
            t.models.c.creator_id == who.id, t.models.c.status == "approved")).all()
        models = []
        for mid, title in model_rows:
            d, c = awards.model_counts(conn, int(mid), who.id)
            g = rules.genuine_downloads(downloaders=d, confirmed_printers=c)
            models.append({
                "model_id": mid, "title": title, "downloaders": d, "confirmed_printers": c,
                "genuine_downloads": g,
                "points_so_far": ledger.as_number(
                    awards.paid_so_far(conn, "model_milestone", "model", int(mid))),
                "points_due": rules.model_milestone_points(g),
                "next_at": rules.next_model_milestone(g), "cap": rules.MODEL_MILESTONE_CAP})
        profiles = []
        for pid, mid in conn.execute(sa.select(t.profiles.c.id, t.profiles.c.model_id).where(
                t.profiles.c.uploader_id == who.id)).all():
            d, c = awards.profile_counts(conn, int(pid), who.id)
            g = rules.genuine_downloads(downloaders=d, confirmed_printers=c)
            profiles.append({
                "profile_id": pid, "model_id": mid, "genuine_downloads": g,
                "points_so_far": ledger.as_number(
                    awards.paid_so_far(conn, "profile_milestone", "profile", int(pid))),
                "points_due": rules.profile_milestone_points(g),
                "next_at": rules.next_profile_milestone(g), "cap": rules.PROFILE_MILESTONE_CAP})
        rep = creator_reputation(conn, who.id)
        day = rules.day_key(now)
        bal = balances_view(conn, who.id)
        return {
            "balances": bal,
            "caps": caps,
            "beginner_tasks": tasks,
            "model_milestones": models,
            "profile_milestones": profiles,
            "reputation": rep,
            "karma": bal["karma"],
            "cred_tokens": {
                "balance": bal["cred_tokens"],
                "spent_today": promotion_spent(conn, day, creator_id=who.id),
                "creator_daily_cap": rules.PROMOTION_TOKENS_PER_CREATOR_PER_DAY,
                "model_daily_cap": rules.PROMOTION_TOKENS_PER_MODEL_PER_DAY,
            },
        }


@router.get("/me/review-preview")
def review_preview(who: User, svc: Svc, model_id: Annotated[int, Query(ge=1, le=2**31 - 1)],
                   profile_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
                   ) -> dict[str, Any]:
    """What a review of this model (and profile) would earn the signed-in account now."""
    now = svc.now()
    with svc.store.read() as conn:
        visible_model(conn, model_id, who)
        award, parts = awards.review_award(
            conn, author=who.id, model_id=model_id, profile_id=profile_id, review_id=-1,
            rating=True, photo=True, description=True)
        used = ledger.month_used(conn, who.id, "review", now)
    cap_left = max(0, rules.REVIEW_MONTHLY_CAP * 10 - used)
    best = ledger.to_tenths(award.points) if award is not None else 0
    return {
        "kind": (None if award is None else
                 "first_on_model" if award.key.startswith("review_first:") else "new_profile"),
        "parts": parts, "max_points": ledger.as_number(best),
        "cap_left_this_month": ledger.as_number(cap_left),
        "would_pay_at_most": ledger.as_number(min(best, cap_left)),
        "description_min_chars": rules.REVIEW_DESCRIPTION_MIN_CHARS,
    }


@router.post("/me/conversions", status_code=201)
def convert(body: ConversionIn, request: Request, who: User) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        c = tx.conn
        approved = c.execute(sa.select(t.accounts.c.conversion_approved).where(
            t.accounts.c.id == who.id)).scalar_one()
        if not approved:
            raise ApiError(403, "Forbidden", "your conversion application is not approved",
                           "conversion_not_approved")
        try:
            out = rules.conversion(body.spotlight_points, body.target)
        except ValueError as exc:
            raise unprocessable(str(exc), "bad_conversion") from None
        if ledger.balance(c, who.id, "spotlight") < body.spotlight_points * 10:
            raise conflict("not enough spotlight points", "insufficient_balance")
        n = c.execute(sa.select(sa.func.count()).select_from(t.ledger).where(
            t.ledger.c.account_id == who.id, t.ledger.c.reason == "conversion_out")
        ).scalar_one()
        key = f"conversion:{who.id}:{n + 1}"
        ledger.spend(c, tx.now, account_id=who.id, currency="spotlight",
                     tenths=body.spotlight_points * 10, reason="conversion_out", key=key)
        currency = "credits" if body.target == "credits" else "standard"
        ledger.write_entry(c, tx.now, account_id=who.id, currency=currency, tenths=out * 10,
                           reason="conversion_in", key=key + ":in")
        return 201, {"spotlight_points": body.spotlight_points, "target": body.target,
                     "received": out, "balances": balances_view(c, who.id)}
    return write(request, who, run)


@router.post("/me/withdrawals", status_code=201)
def withdraw(body: WithdrawalIn, request: Request, who: User) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        c = tx.conn
        if ledger.balance(c, who.id, "credits") < body.amount * 10:
            raise conflict("not enough credits", "insufficient_balance")
        res = c.execute(t.withdrawals.insert().values(account_id=who.id, amount=body.amount,
                                                      status="pending", created_at=tx.now))
        pk = res.inserted_primary_key
        assert pk is not None
        wid = int(pk[0])
        ledger.spend(c, tx.now, account_id=who.id, currency="credits", tenths=body.amount * 10,
                     reason="withdrawal", key=f"withdrawal:{wid}", object_type="withdrawal",
                     object_id=wid)
        return 201, {"id": wid, "amount": body.amount, "status": "pending"}
    return write(request, who, run)


@router.get("/me/withdrawals")
def my_withdrawals(who: User, svc: Svc) -> list[dict[str, Any]]:
    with svc.store.read() as conn:
        rows = conn.execute(sa.select(t.withdrawals).where(
            t.withdrawals.c.account_id == who.id).order_by(t.withdrawals.c.id.desc())).mappings()
        return [{"id": r["id"], "amount": r["amount"], "status": r["status"]} for r in rows]


@router.post("/models/{model_id}/promotions", status_code=201)
def promote(model_id: Id, body: PromotionIn, request: Request, who: User) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        c = tx.conn
        model = own_model(c, model_id, who)
        if model["status"] != "approved" or model["hidden"]:
            raise conflict("only published models can be promoted", "not_published")
        day = rules.day_key(tx.now)
        refusal = rules.promotion_refusal(
            tokens=body.tokens,
            spent_on_model_today=promotion_spent(c, day, model_id=model_id),
            spent_by_creator_today=promotion_spent(c, day, creator_id=who.id),
            balance=ledger.balance(c, who.id, "cred") // 10)
        if refusal is not None:
            raise ApiError(409, "Promotion refused", refusal, "promotion_refused")
        res = c.execute(t.promotions.insert().values(
            model_id=model_id, creator_id=who.id, tokens=body.tokens,
            placements_left=body.tokens * rules.PLACEMENTS_PER_TOKEN, day=day,
            expires_at=rules.end_of_utc_day(tx.now), created_at=tx.now))
        pk = res.inserted_primary_key
        assert pk is not None
        pid = int(pk[0])
        ledger.spend(c, tx.now, account_id=who.id, currency="cred", tenths=body.tokens * 10,
                     reason="promotion", key=f"promotion:{pid}", object_type="model",
                     object_id=model_id)
        return 201, {"id": pid, "model_id": model_id, "tokens": body.tokens,
                     "placements": body.tokens * rules.PLACEMENTS_PER_TOKEN,
                     "expires_at": rules.end_of_utc_day(tx.now).isoformat()}
    return write(request, who, run)


@router.get("/store/items")
def store_items(svc: Svc) -> list[dict[str, Any]]:
    with svc.store.read() as conn:
        rows = conn.execute(sa.select(t.store_items).where(t.store_items.c.active.is_(True))
                            .order_by(t.store_items.c.id)).mappings()
        return [{"id": r["id"], "title": r["title"], "description": r["description"],
                 "price": r["price"]} for r in rows]


@router.post("/store/orders", status_code=201)
def redeem(body: OrderIn, request: Request, who: User) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        c = tx.conn
        item = c.execute(sa.select(t.store_items).where(
            t.store_items.c.id == body.item_id, t.store_items.c.active.is_(True))
        ).mappings().first()
        if item is None:
            raise not_found("store item")
        if ledger.balance(c, who.id, "standard") < item["price"] * 10:
            raise conflict("not enough points", "insufficient_balance")
        res = c.execute(t.orders.insert().values(account_id=who.id, item_id=item["id"],
                                                 price=item["price"], status="open",
                                                 created_at=tx.now))
        pk = res.inserted_primary_key
        assert pk is not None
        oid = int(pk[0])
        ledger.spend(c, tx.now, account_id=who.id, currency="standard",
                     tenths=item["price"] * 10, reason="redemption", key=f"order:{oid}",
                     object_type="order", object_id=oid)
        return 201, {"id": oid, "item_id": item["id"], "price": item["price"],
                     "status": "open"}
    return write(request, who, run)


@router.get("/me/orders")
def my_orders(who: User, svc: Svc) -> list[dict[str, Any]]:
    with svc.store.read() as conn:
        rows = conn.execute(sa.select(t.orders).where(t.orders.c.account_id == who.id)
                            .order_by(t.orders.c.id.desc())).mappings()
        return [{"id": r["id"], "item_id": r["item_id"], "price": r["price"],
                 "status": r["status"]} for r in rows]
