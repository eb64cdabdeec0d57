"""Reports and juries (section 7), and what moderators, editors and admins decide."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from marketplace import ledger, rules
from marketplace import tables as t
from marketplace.api.deps import ROLES, Admin, BodyId, Editor, Id, Moderator, Svc, Tx, User, write
from marketplace.api.models import approve, load_model, visible_model
from marketplace.cases import (
    blind_item,
    case_view,
    decide,
    escalate_stale,
    open_case,
    record_vote,
    target_owner,
)
from marketplace.catalog import model_stats, spotlight_checklist
from marketplace.db import utc
from marketplace.errors import ApiError, conflict, forbidden, not_found

router = APIRouter(tags=["moderation"])


class ReportIn(BaseModel):
    target_type: str = Field(pattern="^(model|review)$")
    target_id: BodyId
    reason: str = Field(pattern="^(ai_generated|stolen|unrelated_photo|spam)$")
    note: str | None = Field(default=None, max_length=2000)


class JuryVote(BaseModel):
    vote: str = Field(pattern="^(uphold|keep)$")
    reason: str = Field(min_length=1, max_length=200, pattern=r"^[^\r\n]+$")


class Outcome(BaseModel):
    outcome: str = Field(pattern="^(upheld|cleared)$")


class Decision(BaseModel):
    approve: bool


class RoleIn(BaseModel):
    role: str = Field(pattern="^(user|moderator|editor|admin)$")


class ItemIn(BaseModel):
    title: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=2000)
    price: int = Field(gt=0, le=1_000_000)


def _new_id(res: sa.CursorResult[Any]) -> int:
    pk = res.inserted_primary_key
    assert pk is not None
    return int(pk[0])


@router.post("/reports", status_code=201)
def report(body: ReportIn, request: Request, who: User) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        c = tx.conn
        owner = target_owner(c, body.target_type, body.target_id)
        if owner is None:
            raise not_found(body.target_type)
        if body.target_type == "model":
            visible_model(c, body.target_id, who)  # a draft is not admitted to exist
        if owner == who.id:
            raise forbidden("nobody reports their own work")
        ban = utc(c.execute(sa.select(t.accounts.c.report_ban_until).where(
            t.accounts.c.id == who.id)).scalar())
        if ban is not None and ban > tx.now:
            raise ApiError(403, "Forbidden", "you cannot report until " + ban.isoformat(),
                           "reporting_suspended")
        dup = c.execute(sa.select(t.reports.c.id).where(
            t.reports.c.reporter_id == who.id, t.reports.c.target_type == body.target_type,
            t.reports.c.target_id == body.target_id, t.reports.c.status == "open")).first()
        if dup is not None:
            raise conflict("you already reported this", "already_reported")
        rid = _new_id(c.execute(t.reports.insert().values(
            reporter_id=who.id, target_type=body.target_type, target_id=body.target_id,
            reason=body.reason, note=body.note, status="open", created_at=tx.now)))
        reporters = c.execute(sa.select(sa.func.count(sa.distinct(t.reports.c.reporter_id)))
                              .where(t.reports.c.target_type == body.target_type,
                                     t.reports.c.target_id == body.target_id,
                                     t.reports.c.status == "open")).scalar_one()
        case_id = None
        if reporters >= rules.JURY_DISTINCT_REPORTERS:
            case_id = open_case(c, body.target_type, body.target_id, tx.now)
        return 201, {"id": rid, "status": "open", "case_id": case_id}
    return write(request, who, run)


@router.get("/me/jury-duties")
def jury_duties(who: User, svc: Svc) -> list[dict[str, Any]]:
    with svc.store.read() as conn:
        rows = conn.execute(sa.select(t.cases, t.jurors.c.vote).join(
            t.jurors, t.jurors.c.case_id == t.cases.c.id).where(
            t.jurors.c.account_id == who.id, t.cases.c.status == "jury")).mappings().all()
        return [{"case_id": r["id"], "voted": r["vote"] is not None,
                 "item": blind_item(conn, r)} for r in rows]


@router.post("/juries/{case_id}/votes")
def jury_vote(case_id: Id, body: JuryVote, request: Request, who: User) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        c = tx.conn
        seat = c.execute(sa.select(t.jurors.c.vote).where(
            t.jurors.c.case_id == case_id, t.jurors.c.account_id == who.id)).first()
        if seat is None:
            raise not_found("jury seat of yours")
        status = c.execute(sa.select(t.cases.c.status).where(t.cases.c.id == case_id)
                           ).scalar_one()
        if status != "jury":
            raise conflict("the jury has finished", "jury_closed")
        if seat.vote is not None:
            raise conflict("you already voted", "already_voted")
        outcome = record_vote(c, case_id, who.id, vote=body.vote, reason=body.reason,
                              now=tx.now)
        return 200, {"case_id": case_id, "recorded": True, "decided": outcome is not None}
    return write(request, who, run)


@router.get("/moderation/cases")
def moderator_cases(who: Moderator, svc: Svc, status: str = "moderator") -> list[dict[str, Any]]:
    with svc.store.read() as conn:
        rows = conn.execute(sa.select(t.cases).where(t.cases.c.status == status)
                            .order_by(t.cases.c.id).limit(200)).mappings().all()
        return [{**case_view(conn, r), "item": blind_item(conn, r)} for r in rows]


@router.post("/moderation/cases/{case_id}/decision")
def moderator_decides(case_id: Id, body: Outcome, request: Request,
                      who: Moderator) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        case = tx.conn.execute(sa.select(t.cases).where(t.cases.c.id == case_id)
                               ).mappings().first()
        if case is None:
            raise not_found("case")
        if case["status"] != "moderator":
            raise conflict("this case is not waiting for a moderator", "not_escalated")
        decide(tx.conn, case_id, body.outcome, tx.now, "moderator")
        row = tx.conn.execute(sa.select(t.cases).where(t.cases.c.id == case_id)).mappings().one()
        return 200, case_view(tx.conn, row)
    return write(request, who, run)


@router.post("/moderation/models/{model_id}/decision")
def moderate_model(model_id: Id, body: Decision, request: Request,
                   who: Moderator) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        model = load_model(tx.conn, model_id)
        if model["status"] != "pending":
            raise conflict("the model is not waiting for approval", "not_pending")
        tx.lock(int(model["creator_id"]))
        if body.approve:
            approve(tx, model_id)
        else:
            tx.conn.execute(t.models.update().where(t.models.c.id == model_id).values(
                status="rejected"))
        return 200, {"id": model_id, "status": "approved" if body.approve else "rejected"}
    return write(request, who, run)


@router.get("/moderation/photos")
def photo_queue(who: Moderator, svc: Svc) -> list[dict[str, Any]]:
    with svc.store.read() as conn:
        # near-duplicates, and photos whose pixels proved unreadable after upload
        rows = conn.execute(sa.select(t.photos).where(
            t.photos.c.queued.is_(True),
            sa.or_(t.photos.c.rejected.is_(False), t.photos.c.state == "failed"))
            .order_by(t.photos.c.id).limit(200)).mappings()
        return [{"id": r["id"], "state": r["state"],
                 "url": f"/api/v1/blobs/{r['sha256']}" if r["sha256"] else None,
                 "review_id": r["review_id"], "model_id": r["model_id"]} for r in rows]


@router.post("/moderation/photos/{photo_id}/reject")
def reject_photo(photo_id: Id, request: Request, who: Moderator) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        n = tx.conn.execute(t.photos.update().where(t.photos.c.id == photo_id).values(
            rejected=True, queued=False, real_print=False)).rowcount
        if not n:
            raise not_found("photo")
        return 200, {"id": photo_id, "rejected": True}
    return write(request, who, run)


@router.post("/moderation/reviews/{review_id}/revoke-photo-points")
def revoke_photo_points(review_id: Id, request: Request, who: Moderator) -> JSONResponse:
    """Section 3: the photo points of a review go (a negative entry); the review stays."""
    def run(tx: Tx) -> tuple[int, Any]:
        c = tx.conn
        review = c.execute(sa.select(t.reviews).where(t.reviews.c.id == review_id)
                           ).mappings().first()
        if review is None:
            raise not_found("review")
        tx.lock(int(review["author_id"]))
        entry = c.execute(sa.select(t.ledger).where(
            t.ledger.c.object_type == "review", t.ledger.c.object_id == review_id,
            t.ledger.c.reason == "review")).mappings().first()
        has_photos = c.execute(sa.select(t.photos.c.id).where(
            t.photos.c.review_id == review_id)).first() is not None
        revoked = 0
        if entry is not None and has_photos and not review["photo_points_revoked"]:
            part = 4 if entry["unique_key"].startswith("review_first:") else 3
            revoked = min(part * 10, int(entry["amount"]))
            ledger.write_entry(c, tx.now, account_id=int(review["author_id"]),
                               currency=entry["currency"], tenths=-revoked,
                               reason="photo_points_revoked", key=f"photo_revoke:{review_id}",
                               object_type="review", object_id=review_id,
                               reverses_id=int(entry["id"]))
            # the bonus and referral income paid on those points go with them
            for suffix in (":bonus", ":referral"):
                extra = c.execute(sa.select(t.ledger).where(
                    t.ledger.c.unique_key == entry["unique_key"] + suffix)).mappings().first()
                if extra is not None:
                    back = min(int(extra["amount"]),
                               ledger.to_tenths(rules.bonus(ledger.from_tenths(revoked))))
                    ledger.write_entry(c, tx.now, account_id=int(extra["account_id"]),
                                       currency=extra["currency"], tenths=-back,
                                       reason="photo_points_revoked",
                                       key=f"photo_revoke:{review_id}{suffix}",
                                       object_type="review", object_id=review_id,
                                       reverses_id=int(extra["id"]))
        c.execute(t.reviews.update().where(t.reviews.c.id == review_id).values(
            photo_points_revoked=True))
        return 200, {"review_id": review_id, "revoked": ledger.as_number(revoked)}
    return write(request, who, run)


@router.post("/editor/models/{model_id}/spotlight")
def select_spotlight(model_id: Id, request: Request, who: Editor) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        model = load_model(tx.conn, model_id)
        if model["status"] != "approved" or model["hidden"]:
            raise conflict("only published models become spotlight", "not_published")
        stats = model_stats(tx.conn, [model_id])[model_id]
        checklist = spotlight_checklist(tx.conn, model_id, model, stats)
        if model["spotlight_at"] is None:
            tx.conn.execute(t.models.update().where(t.models.c.id == model_id).values(
                spotlight_at=tx.now))
        return 200, {"id": model_id, "spotlight": True, "checklist": checklist.items(),
                     "checklist_passed": checklist.passed()}
    return write(request, who, run)


@router.get("/editor/applications")
def pending_applications(who: Editor, svc: Svc) -> list[dict[str, Any]]:
    with svc.store.read() as conn:
        rows = conn.execute(sa.select(t.applications).where(
            t.applications.c.status == "pending").order_by(t.applications.c.id)).mappings()
        return [{"id": r["id"], "account_id": r["account_id"], "kind": r["kind"],
                 "statement": r["statement"]} for r in rows]


@router.post("/editor/applications/{app_id}/decision")
def decide_application(app_id: Id, body: Decision, request: Request,
                       who: Editor) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        c = tx.conn
        app = c.execute(sa.select(t.applications).where(t.applications.c.id == app_id)
                        ).mappings().first()
        if app is None:
            raise not_found("application")
        if app["status"] != "pending":
            raise conflict("already decided", "already_decided")
        if app["account_id"] == who.id:
            raise forbidden("nobody decides their own application")
        status = "approved" if body.approve else "rejected"
        c.execute(t.applications.update().where(t.applications.c.id == app_id).values(
            status=status, decided_by=who.id, decided_at=tx.now))
        if body.approve:
            column = "certified" if app["kind"] == "certified" else "conversion_approved"
            c.execute(t.accounts.update().where(t.accounts.c.id == app["account_id"])
                      .values({column: True}))
        return 200, {"id": app_id, "status": status}
    return write(request, who, run)


@router.post("/admin/accounts/{account_id}/role")
def set_role(account_id: Id, body: RoleIn, request: Request, who: Admin) -> JSONResponse:
    assert body.role in ROLES

    def run(tx: Tx) -> tuple[int, Any]:
        n = tx.conn.execute(t.accounts.update().where(t.accounts.c.id == account_id)
                            .values(role=body.role)).rowcount
        if not n:
            raise not_found("account")
        return 200, {"id": account_id, "role": body.role}
    return write(request, who, run)


@router.post("/admin/store/items", status_code=201)
def add_item(body: ItemIn, request: Request, who: Admin) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        iid = _new_id(tx.conn.execute(t.store_items.insert().values(
            title=body.title, description=body.description, price=body.price, active=True)))
        return 201, {"id": iid, **body.model_dump()}
    return write(request, who, run)


@router.post("/admin/orders/{order_id}/decision")
def decide_order(order_id: Id, body: Decision, request: Request, who: Admin) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        c = tx.conn
        order = c.execute(sa.select(t.orders).where(t.orders.c.id == order_id)
                          ).mappings().first()
        if order is None:
            raise not_found("order")
        if order["status"] != "open":
            raise conflict("already decided", "already_decided")
        tx.lock(int(order["account_id"]))
        status = "fulfilled" if body.approve else "refused"
        c.execute(t.orders.update().where(t.orders.c.id == order_id).values(
            status=status, decided_at=tx.now))
        if not body.approve:
            ledger.write_entry(c, tx.now, account_id=int(order["account_id"]),
                               currency="standard", tenths=int(order["price"]) * 10,
                               reason="redemption_refund", key=f"order_refund:{order_id}",
                               object_type="order", object_id=order_id)
        return 200, {"id": order_id, "status": status}
    return write(request, who, run)


@router.post("/admin/withdrawals/{withdrawal_id}/decision")
def decide_withdrawal(withdrawal_id: Id, body: Decision, request: Request,
                      who: Admin) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        c = tx.conn
        w = c.execute(sa.select(t.withdrawals).where(t.withdrawals.c.id == withdrawal_id)
                      ).mappings().first()
        if w is None:
            raise not_found("withdrawal")
        if w["status"] != "pending":
            raise conflict("already decided", "already_decided")
        tx.lock(int(w["account_id"]))
        status = "approved" if body.approve else "rejected"
        c.execute(t.withdrawals.update().where(t.withdrawals.c.id == withdrawal_id).values(
            status=status, decided_at=tx.now))
        if not body.approve:
            ledger.write_entry(c, tx.now, account_id=int(w["account_id"]), currency="credits",
                               tenths=int(w["amount"]) * 10, reason="withdrawal_returned",
                               key=f"withdrawal_return:{withdrawal_id}",
                               object_type="withdrawal", object_id=withdrawal_id)
        return 200, {"id": withdrawal_id, "status": status}
    return write(request, who, run)


@router.post("/admin/escalations")
def run_escalation(request: Request, who: Admin) -> JSONResponse:
    """Run the 7-day escalation now (the service also runs it on its own schedule)."""
    return write(request, who, lambda tx: (200, {"escalated": escalate_stale(tx.conn, tx.now)}))
