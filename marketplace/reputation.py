"""Reputation (REWARDS.md section 6) from the database, for one creator or many.

**Decision**: a creator's own reviews, prints and votes on their own work do
not count toward their reputation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from marketplace import rules
from marketplace import tables as t


def reputations(conn: sa.Connection, creator_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    ids = sorted(set(creator_ids))
    if not ids:
        return {}
    m, r, rc, v = t.models, t.reviews, t.receipts, t.votes
    stars: dict[int, tuple[int, int]] = {}
    for creator, count, total in conn.execute(
        sa.select(m.c.creator_id, sa.func.count(r.c.stars), sa.func.sum(r.c.stars))
        .join(r, r.c.model_id == m.c.id).where(
            m.c.creator_id.in_(ids), r.c.stars.is_not(None), r.c.hidden.is_(False),
            r.c.author_id != m.c.creator_id).group_by(m.c.creator_id)
    ).all():
        stars[int(creator)] = (int(count), int(total or 0))
    prints: dict[int, tuple[int, int]] = {}
    for creator, attempts, successes in conn.execute(
        sa.select(
            m.c.creator_id,
            sa.func.count(),
            sa.func.sum(sa.case((sa.and_(rc.c.job_state == "completed",
                                         rc.c.verdict == "good"), 1), else_=0)),
        ).join(rc, rc.c.model_id == m.c.id).where(
            m.c.creator_id.in_(ids), rc.c.job_state.in_(sorted(rules.ATTEMPT_STATES)),
            rc.c.account_id != m.c.creator_id).group_by(m.c.creator_id)
    ).all():
        prints[int(creator)] = (int(attempts), int(successes or 0))
    # votes on reviews of the creator's models, and on reviews the creator wrote
    feedback: dict[int, list[int]] = {i: [0, 0] for i in ids}
    yes = sa.func.sum(sa.case((v.c.helpful.is_(True), 1), else_=0))
    no = sa.func.sum(sa.case((v.c.helpful.is_(False), 1), else_=0))
    on_models = (
        sa.select(m.c.creator_id, yes, no)
        .select_from(v.join(r, r.c.id == v.c.review_id).join(m, m.c.id == r.c.model_id))
        .where(m.c.creator_id.in_(ids), r.c.author_id != m.c.creator_id,
               v.c.account_id != m.c.creator_id)
        .group_by(m.c.creator_id)
    )
    on_reviews = (
        sa.select(r.c.author_id, yes, no)
        .select_from(v.join(r, r.c.id == v.c.review_id))
        .where(r.c.author_id.in_(ids), v.c.account_id != r.c.author_id)
        .group_by(r.c.author_id)
    )
    for q in (on_models, on_reviews):
        for creator, h, u in conn.execute(q).all():
            feedback[int(creator)][0] += int(h or 0)
            feedback[int(creator)][1] += int(u or 0)
    out: dict[int, dict[str, Any]] = {}
    for i in ids:
        a, s = prints.get(i, (0, 0))
        h, u = feedback[i]
        n, total = stars.get(i, (0, 0))
        out[i] = {
            "value": rules.reputation_from_totals(
                rating_count=n, rating_sum=total, print_attempts=a, print_successes=s,
                helpful=h, unhelpful=u),
            "ratings": n,
            "rating_sum": total,
            "print_attempts": a,
            "print_successes": s,
            "helpful": h,
            "unhelpful": u,
        }
    return out


def creator_reputation(conn: sa.Connection, creator_id: int) -> dict[str, Any]:
    return reputations(conn, [creator_id])[creator_id]
