"""Reports, juries and their outcomes (REWARDS.md section 7)."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from marketplace import ledger, rules
from marketplace import tables as t
from marketplace.db import must_utc

log = logging.getLogger(__name__)
ACTIVE = ("jury", "moderator")


def target_owner(conn: sa.Connection, target_type: str, target_id: int) -> int | None:
    if target_type == "model":
        q = sa.select(t.models.c.creator_id).where(t.models.c.id == target_id)
    else:
        q = sa.select(t.reviews.c.author_id).where(t.reviews.c.id == target_id)
    owner = conn.execute(q).scalar()
    return None if owner is None else int(owner)


def eligible_jurors(conn: sa.Connection, exclude: set[int]) -> list[int]:
    rows = conn.execute(
        sa.select(t.ledger.c.account_id).where(t.ledger.c.currency == "karma")
        .group_by(t.ledger.c.account_id)
        .having(sa.func.sum(t.ledger.c.amount) >= rules.JURY_MIN_KARMA * 10)
    ).scalars().all()
    return sorted(int(r) for r in rows if int(r) not in exclude)


def active_case(conn: sa.Connection, target_type: str, target_id: int) -> int | None:
    cid = conn.execute(sa.select(t.cases.c.id).where(
        t.cases.c.target_type == target_type, t.cases.c.target_id == target_id,
        t.cases.c.status.in_(ACTIVE))).scalar()
    return None if cid is None else int(cid)


def open_case(conn: sa.Connection, target_type: str, target_id: int, now: datetime) -> int:
    """A jury of 9 eligible users, or a moderator when fewer than 9 are eligible."""
    existing = active_case(conn, target_type, target_id)
    if existing is not None:
        return existing
    reporters = set(conn.execute(sa.select(t.reports.c.reporter_id).where(
        t.reports.c.target_type == target_type, t.reports.c.target_id == target_id,
        t.reports.c.status == "open")).scalars().all())
    owner = target_owner(conn, target_type, target_id)
    exclude = {int(r) for r in reporters} | ({owner} if owner is not None else set())
    pool = eligible_jurors(conn, exclude)
    status = "jury" if len(pool) >= rules.JURY_SIZE else "moderator"
    res = conn.execute(t.cases.insert().values(target_type=target_type, target_id=target_id,
                                               status=status, created_at=now))
    pk = res.inserted_primary_key
    assert pk is not None
    cid = int(pk[0])
    if status == "jury":
        rng = secrets.SystemRandom()
        for juror in rng.sample(pool, rules.JURY_SIZE):
            conn.execute(t.jurors.insert().values(case_id=cid, account_id=juror))
    conn.execute(t.reports.update().where(
        t.reports.c.target_type == target_type, t.reports.c.target_id == target_id,
        t.reports.c.status == "open").values(case_id=cid))
    log.info("case %s opened on %s %s (%s)", cid, target_type, target_id, status)
    return cid


def record_vote(conn: sa.Connection, case_id: int, juror: int, *, vote: str, reason: str,
                now: datetime) -> str | None:
    conn.execute(t.jurors.update().where(t.jurors.c.case_id == case_id,
                                         t.jurors.c.account_id == juror)
                 .values(vote=vote, reason=reason, voted_at=now))
    tally: dict[str, int] = dict(conn.execute(sa.select(t.jurors.c.vote, sa.func.count()).where(
        t.jurors.c.case_id == case_id, t.jurors.c.vote.is_not(None)).group_by(t.jurors.c.vote)
    ).all())
    outcome = rules.jury_outcome(int(tally.get("uphold", 0)), int(tally.get("keep", 0)))
    if outcome is not None:
        decide(conn, case_id, outcome, now, "jury")
    return outcome


def decide(conn: sa.Connection, case_id: int, outcome: str, now: datetime, by: str) -> None:
    case = conn.execute(sa.select(t.cases).where(t.cases.c.id == case_id)).mappings().one()
    conn.execute(t.cases.update().where(t.cases.c.id == case_id).values(
        status=outcome, decided_at=now, decided_by=by))
    ttype, tid = case["target_type"], int(case["target_id"])
    if outcome == "upheld":
        hide_target(conn, ttype, tid, now)
    conn.execute(t.reports.update().where(
        t.reports.c.target_type == ttype, t.reports.c.target_id == tid,
        t.reports.c.status == "open").values(status=outcome, closed_at=now))
    if outcome == "cleared":
        reporters = conn.execute(sa.select(t.reports.c.reporter_id).where(
            t.reports.c.case_id == case_id)).scalars().all()
        for reporter in set(reporters):
            cleared = conn.execute(sa.select(sa.func.count()).select_from(t.reports).where(
                t.reports.c.reporter_id == reporter, t.reports.c.status == "cleared",
                t.reports.c.closed_at >= now - rules.REPORTER_WINDOW)).scalar_one()
            if cleared >= rules.CLEARED_REPORTS_LIMIT:
                conn.execute(t.accounts.update().where(t.accounts.c.id == reporter).values(
                    report_ban_until=now + rules.REPORTER_WINDOW))


def hide_target(conn: sa.Connection, target_type: str, target_id: int, now: datetime) -> None:
    """Upheld: the item is hidden and every award tied to it is reversed."""
    if target_type == "model":
        conn.execute(t.models.update().where(t.models.c.id == target_id).values(hidden=True))
        ledger.reverse_object(conn, "model", target_id, now)
        for pid in conn.execute(sa.select(t.profiles.c.id).where(
                t.profiles.c.model_id == target_id)).scalars().all():
            ledger.reverse_object(conn, "profile", int(pid), now)
    else:
        conn.execute(t.reviews.update().where(t.reviews.c.id == target_id).values(hidden=True))
        ledger.reverse_object(conn, "review", target_id, now)


def escalate_stale(conn: sa.Connection, now: datetime) -> int:
    """Juries undecided after 7 days go to a moderator; returns how many moved."""
    res = conn.execute(t.cases.update().where(
        t.cases.c.status == "jury", t.cases.c.created_at <= now - rules.JURY_DEADLINE
    ).values(status="moderator"))
    if res.rowcount:
        log.info("escalated %d stale juries to moderators", res.rowcount)
    return int(res.rowcount)


def blind_item(conn: sa.Connection, case: Any) -> dict[str, Any]:
    """What a juror sees: the item, never its author, the reporters or other votes."""
    if case["target_type"] == "model":
        m = conn.execute(sa.select(t.models).where(t.models.c.id == case["target_id"])
                         ).mappings().one()
        photos = conn.execute(sa.select(t.photos.c.sha256).where(
            t.photos.c.model_id == m["id"], t.photos.c.sha256.is_not(None))).scalars().all()
        return {"type": "model", "title": m["title"], "description": m["description"],
                "photos": [f"/api/v1/blobs/{s}" for s in photos]}
    r = conn.execute(sa.select(t.reviews).where(t.reviews.c.id == case["target_id"])
                     ).mappings().one()
    photos = conn.execute(sa.select(t.photos.c.sha256).where(
        t.photos.c.review_id == r["id"], t.photos.c.sha256.is_not(None))).scalars().all()
    return {"type": "review", "stars": r["stars"], "description": r["description"],
            "photos": [f"/api/v1/blobs/{s}" for s in photos]}


def case_view(conn: sa.Connection, case: Any) -> dict[str, Any]:
    return {"id": case["id"], "status": case["status"], "target_type": case["target_type"],
            "target_id": case["target_id"], "opened_at": must_utc(case["created_at"]).isoformat()}
