"""What each event pays (REWARDS.md sections 1, 2, 3 and 6), on top of the ledger.

Every function runs inside the caller's write transaction, after the accounts
it pays have been locked.  Unique keys make every award replay-safe.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from marketplace import ledger, rules
from marketplace import tables as t
from marketplace.db import lock_accounts, utc
from marketplace.ledger import Award


class Payer:
    """Binds a connection, the time and the launch date for a run of awards."""

    def __init__(self, conn: sa.Connection, now: datetime, launch_date: datetime) -> None:
        self.conn = conn
        self.now = now
        self.launch_date = launch_date

    def pay(self, award: Award) -> Decimal:
        return ledger.pay(self.conn, award, self.now, launch_date=self.launch_date)

    def points(  # noqa: PLR0917 - reads like a ledger line
        self, account_id: int, currency: str, amount: int, reason: str, key: str,
        object_type: str | None = None, object_id: int | None = None) -> None:
        """An uncapped award without bonuses (karma, cred tokens, beginner tasks)."""
        self.pay(Award(account_id, reason, amount, key, object_type, object_id, currency))


# ------------------------------------------------------------- section 1 ---
def beginner_tasks_state(conn: sa.Connection, account_id: int) -> dict[str, bool]:
    acct = conn.execute(sa.select(t.accounts).where(t.accounts.c.id == account_id)
                        ).mappings().one()
    has_pref = conn.execute(sa.select(t.preference_tags.c.tag).where(
        t.preference_tags.c.account_id == account_id).limit(1)).first() is not None
    has_printer = conn.execute(sa.select(t.printers.c.id).where(
        t.printers.c.account_id == account_id).limit(1)).first() is not None
    return {
        "set_preference": has_pref,
        "nickname_avatar": bool(acct["nickname"]) and bool(acct["avatar"]),
        "profile": bool((acct["bio"] or "").strip()),
        "printer_setup": has_printer,
    }


def check_beginner_tasks(p: Payer, account_id: int) -> None:
    for task, done in beginner_tasks_state(p.conn, account_id).items():
        if done:
            p.points(account_id, "standard", rules.BEGINNER_TASKS[task], f"task:{task}",
                     f"task:{task}:{account_id}")


def tasks_done(conn: sa.Connection, account_id: int) -> set[str]:
    rows = conn.execute(sa.select(t.ledger.c.reason).where(
        t.ledger.c.account_id == account_id, t.ledger.c.reason.like("task:%"),
        t.ledger.c.amount > 0)).scalars().all()
    return {r.split(":", 1)[1] for r in rows}


# ------------------------------------------------------------- section 2 ---
def on_model_approved(p: Payer, model: dict[str, Any]) -> None:
    creator, mid = int(model["creator_id"]), int(model["id"])
    if model["origin"] in rules.PAYING_ORIGINS:
        p.pay(Award(creator, "model_upload", rules.MODEL_UPLOAD_POINTS, f"model_upload:{mid}",
                    "model", mid, cap_group="model_upload", incentive=True))
    if model["origin"] in ("original", "remix"):
        p.pay(Award(creator, "task:first_model_upload",
                    rules.BEGINNER_TASKS["first_model_upload"],
                    f"task:first_model_upload:{creator}", "model", mid))
    p.points(creator, "karma", rules.KARMA_PUBLISH, "karma_publish", f"karma_publish:{mid}",
             "model", mid)
    p.points(creator, "cred", rules.CRED_APPROVED_MODEL, "cred_approved_model",
             f"cred_model:{mid}", "model", mid)


def on_profile_uploaded(p: Payer, profile: dict[str, Any]) -> None:
    uploader, mid, pid = int(profile["uploader_id"]), int(profile["model_id"]), int(profile["id"])
    p.pay(Award(uploader, "first_profile", rules.FIRST_PROFILE_POINTS,
                f"first_profile:{uploader}:{mid}", "profile", pid, cap_group="first_profile",
                incentive=True))
    p.pay(Award(uploader, "task:first_profile_upload",
                rules.BEGINNER_TASKS["first_profile_upload"],
                f"task:first_profile_upload:{uploader}", "profile", pid))


def model_counts(conn: sa.Connection, model_id: int, creator_id: int) -> tuple[int, int]:
    downloaders = conn.execute(sa.select(sa.func.count()).select_from(t.model_downloaders).where(
        t.model_downloaders.c.model_id == model_id,
        t.model_downloaders.c.account_id != creator_id)).scalar_one()
    printers = conn.execute(sa.select(sa.func.count(sa.distinct(t.receipts.c.account_id))).where(
        t.receipts.c.model_id == model_id, t.receipts.c.confirmed.is_(True),
        t.receipts.c.account_id != creator_id)).scalar_one()
    return int(downloaders), int(printers)


def profile_counts(conn: sa.Connection, profile_id: int, uploader_id: int) -> tuple[int, int]:
    downloaders = conn.execute(sa.select(sa.func.count()).select_from(
        t.profile_downloaders).where(
        t.profile_downloaders.c.profile_id == profile_id,
        t.profile_downloaders.c.account_id != uploader_id)).scalar_one()
    printers = conn.execute(sa.select(sa.func.count(sa.distinct(t.receipts.c.account_id))).where(
        t.receipts.c.profile_id == profile_id, t.receipts.c.confirmed.is_(True),
        t.receipts.c.account_id != uploader_id)).scalar_one()
    return int(downloaders), int(printers)


def paid_so_far(conn: sa.Connection, reason: str, object_type: str, object_id: int) -> int:
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(t.ledger.c.amount), 0)).where(
        t.ledger.c.reason == reason, t.ledger.c.object_type == object_type,
        t.ledger.c.object_id == object_id)).scalar_one())


def _spotlight(model: dict[str, Any], now: datetime) -> bool:
    at = utc(model["spotlight_at"])
    return at is not None and at <= now


def refresh_model_milestones(p: Payer, model_id: int) -> None:
    model = p.conn.execute(sa.select(t.models).where(t.models.c.id == model_id)
                           ).mappings().one()
    if model["status"] != "approved" or model["hidden"]:
        return
    creator = int(model["creator_id"])
    lock_accounts(p.conn, [creator])
    d, c = model_counts(p.conn, model_id, creator)
    count = rules.genuine_downloads(downloaders=d, confirmed_printers=c)
    total = rules.model_milestone_points(count) * 10
    delta = total - paid_so_far(p.conn, "model_milestone", "model", model_id)
    if delta > 0:
        p.pay(Award(creator, "model_milestone", ledger.from_tenths(delta),
                    f"model_milestone:{model_id}:{total}", "model", model_id,
                    "spotlight" if _spotlight(dict(model), p.now) else "standard",
                    incentive=True))


def refresh_profile_milestones(p: Payer, profile_id: int) -> None:
    prof = p.conn.execute(sa.select(t.profiles).where(t.profiles.c.id == profile_id)
                          ).mappings().one()
    model = p.conn.execute(sa.select(t.models).where(t.models.c.id == prof["model_id"])
                           ).mappings().one()
    if prof["hidden"] or model["hidden"]:
        return
    uploader = int(prof["uploader_id"])
    lock_accounts(p.conn, [uploader])
    d, c = profile_counts(p.conn, profile_id, uploader)
    count = rules.genuine_downloads(downloaders=d, confirmed_printers=c)
    total = rules.profile_milestone_points(count) * 10
    delta = total - paid_so_far(p.conn, "profile_milestone", "profile", profile_id)
    if delta > 0:
        p.pay(Award(uploader, "profile_milestone", ledger.from_tenths(delta),
                    f"profile_milestone:{profile_id}:{total}", "profile", profile_id,
                    "spotlight" if _spotlight(dict(model), p.now) else "standard",
                    incentive=True))


# ------------------------------------------------------------- section 3 ---
def review_award(conn: sa.Connection, *, author: int, model_id: int, profile_id: int | None,
                 review_id: int, rating: bool, photo: bool, description: bool
                 ) -> tuple[Award | None, dict[str, int]]:
    """Which award a new review earns (before the monthly cap) and its parts."""
    earlier = conn.execute(sa.select(t.reviews.c.id, t.reviews.c.profile_id).where(
        t.reviews.c.author_id == author, t.reviews.c.model_id == model_id,
        t.reviews.c.id != review_id)).all()
    first = not earlier
    if not first and (profile_id is None or any(r.profile_id == profile_id for r in earlier)):
        return None, {}
    if first:
        parts = {"rating": 2 * rating, "photo": 4 * photo, "description": 4 * description}
        key = f"review_first:{author}:{model_id}"
    else:
        parts = {"rating": 2 * rating, "photo": 3 * photo, "description": 2 * description}
        key = f"review_profile:{author}:{profile_id}"
    pts = rules.review_points(first_on_model=first, rating=rating, photo=photo,
                              description=description)
    assert pts == sum(parts.values())
    return Award(author, "review", pts, key, "review", review_id, cap_group="review",
                 incentive=True), parts


def model_creator(conn: sa.Connection, model_id: int) -> int:
    return int(conn.execute(sa.select(t.models.c.creator_id).where(
        t.models.c.id == model_id)).scalar_one())
