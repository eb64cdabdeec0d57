"""The ledger: every award, bonus, spend and reversal is one row with a unique key.

Callers hold the write transaction of ``db.Store.write`` with the paying
account locked, so a cap read here cannot change before the row is written.
Amounts are kept in tenths (``to_tenths``/``from_tenths``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from marketplace import rules
from marketplace import tables as t
from marketplace.db import must_utc

CURRENCIES = ("standard", "spotlight", "credits", "cred", "karma")
CAPS = {
    "model_upload": rules.MODEL_UPLOAD_MONTHLY_CAP,
    "first_profile": rules.FIRST_PROFILE_MONTHLY_CAP,
    "review": rules.REVIEW_MONTHLY_CAP,
}


def to_tenths(points: Decimal | int) -> int:
    return int(Decimal(points) * 10)


def from_tenths(tenths: int) -> Decimal:
    return (Decimal(tenths) / 10).quantize(rules.TENTH)


def as_number(tenths: int) -> float | int:
    value = from_tenths(tenths)
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass(frozen=True)
class Award:
    account_id: int
    reason: str
    points: Decimal | int
    key: str
    object_type: str | None = None
    object_id: int | None = None
    currency: str = "standard"
    cap_group: str | None = None
    incentive: bool = False  # sections 2 and 3: the base of bonuses and referral income


def entry_exists(conn: sa.Connection, key: str) -> bool:
    return conn.execute(
        sa.select(t.ledger.c.id).where(t.ledger.c.unique_key == key)
    ).first() is not None


def write_entry(conn: sa.Connection, now: datetime, *, account_id: int, currency: str,
                tenths: int, reason: str, key: str, object_type: str | None = None,
                object_id: int | None = None, cap_group: str | None = None,
                reverses_id: int | None = None) -> int:
    res = conn.execute(t.ledger.insert().values(
        account_id=account_id, currency=currency, amount=tenths, reason=reason,
        object_type=object_type, object_id=object_id, unique_key=key, cap_group=cap_group,
        month=rules.month_key(now), day=rules.day_key(now), reverses_id=reverses_id,
        created_at=now,
    ))
    pk = res.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def month_used(conn: sa.Connection, account_id: int, cap_group: str, now: datetime) -> int:
    """Tenths this calendar month's awards under a cap still hold.

    The caps bound what an account earns from reviews, profiles or uploads in a
    month ("at most 70 per user per calendar month from reviews"): points a
    moderation reversal took back (a jury's upheld report, revoked photo points)
    are no longer earned, so they give their room back to the month they were
    paid in.  A compensating entry points at what it takes back (``reverses_id``).
    """
    month = rules.month_key(now)
    paid = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(t.ledger.c.amount), 0)).where(
            t.ledger.c.account_id == account_id, t.ledger.c.cap_group == cap_group,
            t.ledger.c.month == month, t.ledger.c.amount > 0,
        )
    ).scalar_one()
    orig = t.ledger.alias("orig")
    taken_back = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(t.ledger.c.amount), 0))
        .select_from(t.ledger.join(orig, t.ledger.c.reverses_id == orig.c.id))
        .where(orig.c.account_id == account_id, orig.c.cap_group == cap_group,
               orig.c.month == month, orig.c.amount > 0)
    ).scalar_one()
    return max(0, int(paid) + int(taken_back))


def pay(conn: sa.Connection, award: Award, now: datetime, *,
        launch_date: datetime) -> Decimal:
    """Pay an award (up to its cap), with its bonuses; returns what was paid."""
    if entry_exists(conn, award.key):
        row = conn.execute(sa.select(t.ledger.c.amount).where(
            t.ledger.c.unique_key == award.key)).scalar_one()
        return from_tenths(int(row))
    tenths = to_tenths(award.points)
    if award.cap_group is not None:
        cap = to_tenths(CAPS[award.cap_group])
        used = month_used(conn, award.account_id, award.cap_group, now)
        tenths = max(0, min(tenths, cap - used))
    if tenths <= 0:
        return Decimal(0)
    write_entry(conn, now, account_id=award.account_id, currency=award.currency,
                tenths=tenths, reason=award.reason, key=award.key,
                object_type=award.object_type, object_id=award.object_id,
                cap_group=award.cap_group)
    if award.incentive:
        _bonuses(conn, award, tenths, now, launch_date)
    return from_tenths(tenths)


def _bonuses(conn: sa.Connection, award: Award, tenths: int, now: datetime,
             launch_date: datetime) -> None:
    acct = conn.execute(sa.select(t.accounts).where(
        t.accounts.c.id == award.account_id)).mappings().one()
    extra = to_tenths(rules.bonus(from_tenths(tenths)))
    if extra <= 0:
        return
    registered = must_utc(acct["created_at"])
    if acct["certified"]:
        approved = approved_models(conn, award.account_id)
        if rules.is_new_creator(registered_at=registered, launch_date=launch_date,
                                approved_models=approved, certified=True, at=now):
            write_entry(conn, now, account_id=award.account_id, currency=award.currency,
                        tenths=extra, reason="new_creator_bonus", key=award.key + ":bonus",
                        object_type=award.object_type, object_id=award.object_id)
    inviter = acct["invited_by"]
    if inviter is not None and rules.referral_applies(invitee_registered_at=registered, at=now):
        write_entry(conn, now, account_id=int(inviter), currency=award.currency, tenths=extra,
                    reason="referral_income", key=award.key + ":referral",
                    object_type=award.object_type, object_id=award.object_id)


def approved_models(conn: sa.Connection, account_id: int) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(t.models).where(
        t.models.c.creator_id == account_id, t.models.c.status == "approved",
        t.models.c.hidden.is_(False))).scalar_one())


def balance(conn: sa.Connection, account_id: int, currency: str) -> int:
    return int(conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(t.ledger.c.amount), 0)).where(
            t.ledger.c.account_id == account_id, t.ledger.c.currency == currency)
    ).scalar_one())


def balances(conn: sa.Connection, account_id: int) -> dict[str, int]:
    rows = conn.execute(
        sa.select(t.ledger.c.currency, sa.func.sum(t.ledger.c.amount))
        .where(t.ledger.c.account_id == account_id).group_by(t.ledger.c.currency)
    ).all()
    out = dict.fromkeys(CURRENCIES, 0)
    out.update({str(c): int(a) for c, a in rows})
    return out


def spend(conn: sa.Connection, now: datetime, *, account_id: int, currency: str, tenths: int,
          reason: str, key: str, object_type: str | None = None,
          object_id: int | None = None) -> int:
    """A negative entry; the caller has checked the balance under the account lock."""
    return write_entry(conn, now, account_id=account_id, currency=currency, tenths=-tenths,
                       reason=reason, key=key, object_type=object_type, object_id=object_id)


def reverse_object(conn: sa.Connection, object_type: str, object_id: int, now: datetime,
                   reasons: tuple[str, ...] | None = None) -> int:
    """Compensating entries for every positive award tied to an object; returns how many."""
    q = sa.select(t.ledger).where(
        t.ledger.c.object_type == object_type, t.ledger.c.object_id == object_id,
        t.ledger.c.amount > 0, t.ledger.c.reverses_id.is_(None))
    if reasons is not None:
        q = q.where(t.ledger.c.reason.in_(reasons))
    count = 0
    for row in conn.execute(q).mappings().all():
        key = f"reversal:{row['id']}"
        if entry_exists(conn, key):
            continue
        # what is left of it: a part may already be gone (revoked photo points)
        already = int(conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(t.ledger.c.amount), 0)).where(
                t.ledger.c.reverses_id == row["id"])).scalar_one())
        left = int(row["amount"]) + already
        if left <= 0:
            continue
        write_entry(conn, now, account_id=row["account_id"], currency=row["currency"],
                    tenths=-left, reason="reversal", key=key,
                    object_type=object_type, object_id=object_id, reverses_id=row["id"])
        count += 1
    return count


def history(conn: sa.Connection, account_id: int, limit: int, offset: int) -> list[dict[str, Any]]:
    """Newest first, with the running balance of each entry's currency."""
    rows = conn.execute(
        sa.select(t.ledger).where(t.ledger.c.account_id == account_id)
        .order_by(t.ledger.c.id)
    ).mappings().all()
    running: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    for r in rows:
        running[r["currency"]] = running.get(r["currency"], 0) + int(r["amount"])
        out.append({
            "id": r["id"], "reason": r["reason"], "currency": r["currency"],
            "amount": as_number(int(r["amount"])),
            "balance": as_number(running[r["currency"]]),
            "object": ({"type": r["object_type"], "id": r["object_id"]}
                       if r["object_type"] else None),
            "reverses": r["reverses_id"],
            "created_at": must_utc(r["created_at"]).isoformat(),
        })
    out.reverse()
    return out[offset:offset + limit]
