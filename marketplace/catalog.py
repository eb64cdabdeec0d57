"""Reading models: the full view, statistics, and the listing with promotion (section 6)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from marketplace import rules
from marketplace import tables as t
from marketplace.cases import open_case
from marketplace.db import utc
from marketplace.reputation import reputations

if TYPE_CHECKING:
    from marketplace.api.deps import Principal

SORTS = ("recent", "downloads", "rating", "reputation")


def _iso(moment: datetime | None) -> str | None:
    m = utc(moment)
    return m.isoformat() if m else None


def moderation_case_for_flag(conn: sa.Connection, target_type: str, target_id: int,
                             now: datetime) -> None:
    """The content check flagged an item: it goes to a jury (or a moderator)."""
    open_case(conn, target_type, target_id, now)


def model_stats(conn: sa.Connection, model_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not model_ids:
        return {}
    out: dict[int, dict[str, Any]] = {
        i: {"downloaders": 0, "confirmed_printers": 0, "reviews": 0, "rating_sum": 0,
            "ratings": 0, "print_attempts": 0, "print_successes": 0} for i in model_ids}
    m, md, r, rc = t.models, t.model_downloaders, t.reviews, t.receipts
    for mid, n in conn.execute(
        sa.select(md.c.model_id, sa.func.count()).join(m, m.c.id == md.c.model_id)
        .where(md.c.model_id.in_(model_ids), md.c.account_id != m.c.creator_id)
        .group_by(md.c.model_id)):
        out[int(mid)]["downloaders"] = int(n)
    for mid, n, s, k in conn.execute(
        sa.select(r.c.model_id, sa.func.count(), sa.func.coalesce(sa.func.sum(r.c.stars), 0),
                  sa.func.count(r.c.stars))
        .where(r.c.model_id.in_(model_ids), r.c.hidden.is_(False)).group_by(r.c.model_id)):
        out[int(mid)].update(reviews=int(n), rating_sum=int(s), ratings=int(k))
    good = sa.and_(rc.c.job_state == "completed", rc.c.verdict == "good")
    for mid, a, s, printers in conn.execute(
        sa.select(rc.c.model_id,
                  sa.func.count(),
                  sa.func.sum(sa.case((good, 1), else_=0)),
                  sa.func.count(sa.distinct(sa.case(
                      (sa.and_(good, rc.c.account_id != m.c.creator_id), rc.c.account_id)))))
        .join(m, m.c.id == rc.c.model_id)
        .where(rc.c.model_id.in_(model_ids), rc.c.job_state.in_(sorted(rules.ATTEMPT_STATES)))
        .group_by(rc.c.model_id)):
        out[int(mid)].update(print_attempts=int(a), print_successes=int(s or 0),
                             confirmed_printers=int(printers))
    for st in out.values():
        st["genuine_downloads"] = rules.genuine_downloads(
            downloaders=st["downloaders"], confirmed_printers=st["confirmed_printers"])
        st["average_rating"] = (round(st["rating_sum"] / st["ratings"], 2)
                                if st["ratings"] else None)
        st["success_rate"] = (round(st["print_successes"] / st["print_attempts"], 3)
                              if st["print_attempts"] else None)
    return out


def brief(row: Any, stats: dict[str, Any], rep: dict[str, Any], cover: str | None,
          username: str) -> dict[str, Any]:
    return {
        "id": row["id"], "title": row["title"], "category": row["category"],
        "origin": row["origin"], "license": row["license"],
        "creator": {"id": row["creator_id"], "username": username,
                    "reputation": rep["value"]},
        "cover": f"/api/v1/blobs/{cover}" if cover else None,
        "spotlight": row["spotlight_at"] is not None,
        "published_at": _iso(row["published_at"]),
        "genuine_downloads": stats["genuine_downloads"],
        "reviews": stats["reviews"], "average_rating": stats["average_rating"],
        "success_rate": stats["success_rate"],
        "promoted": False,
    }


def model_view(conn: sa.Connection, model_id: int, who: Principal | None) -> dict[str, Any]:
    row = conn.execute(sa.select(t.models).where(t.models.c.id == model_id)).mappings().one()
    stats = model_stats(conn, [model_id])[model_id]
    rep = reputations(conn, [int(row["creator_id"])])[int(row["creator_id"])]
    username = conn.execute(sa.select(t.accounts.c.username).where(
        t.accounts.c.id == row["creator_id"])).scalar_one()
    tags = conn.execute(sa.select(t.model_tags.c.tag).where(t.model_tags.c.model_id == model_id)
                        .order_by(t.model_tags.c.tag)).scalars().all()
    photos = conn.execute(sa.select(t.photos).where(
        t.photos.c.model_id == model_id, t.photos.c.rejected.is_(False))
        .order_by(t.photos.c.position)).mappings().all()
    cover = next((p["sha256"] for p in photos if p["is_cover"] and p["sha256"]), None)
    files = conn.execute(sa.select(t.model_files).where(t.model_files.c.model_id == model_id)
                         .order_by(t.model_files.c.version, t.model_files.c.id)).mappings().all()
    versions: dict[int, list[dict[str, Any]]] = {}
    for f in files:
        versions.setdefault(int(f["version"]), []).append(
            {"id": f["id"], "name": f["name"], "kind": f["kind"], "size": f["size"],
             "sha256": f["sha256"], "url": f"/api/v1/blobs/{f['sha256']}"})
    parent = None
    if row["parent_id"] is not None:
        p = conn.execute(sa.select(t.models.c.id, t.models.c.title, t.accounts.c.username)
                         .join(t.accounts, t.accounts.c.id == t.models.c.creator_id)
                         .where(t.models.c.id == row["parent_id"])).first()
        if p is not None:
            parent = {"id": p.id, "title": p.title, "creator": p.username,
                      "attribution": f"Remix of \u201c{p.title}\u201d by {p.username}"}
    out = brief(row, stats, rep, cover, username)
    out.update(
        description=row["description"], tags=list(tags), status=row["status"],
        hidden=row["hidden"], version=row["version"], parent=parent,
        attribution=row["attribution"],
        photos=[{"id": p["id"], "cover": p["is_cover"], "state": p["state"],
                 "url": f"/api/v1/blobs/{p['sha256']}" if p["sha256"] else None,
                 "real_print": p["real_print"], "position": p["position"]} for p in photos],
        files=versions.get(int(row["version"]), []),
        versions=[{"version": v, "files": fs} for v, fs in sorted(versions.items())],
        created_at=_iso(row["created_at"]), updated_at=_iso(row["updated_at"]),
        reputation_basis=rep,
        print_attempts=stats["print_attempts"], print_successes=stats["print_successes"],
        milestones={"genuine_downloads": stats["genuine_downloads"],
                    "points": rules.model_milestone_points(stats["genuine_downloads"]),
                    "next_at": rules.next_model_milestone(stats["genuine_downloads"])},
        spotlight_checklist=spotlight_checklist(conn, model_id, row, stats).items(),
    )
    return out


def spotlight_checklist(conn: sa.Connection, model_id: int, row: Any,
                        stats: dict[str, Any]) -> rules.SpotlightChecklist:
    images = conn.execute(sa.select(sa.func.count()).select_from(t.photos).where(
        t.photos.c.model_id == model_id, t.photos.c.rejected.is_(False))).scalar_one()
    marked = conn.execute(sa.select(sa.func.count()).select_from(t.photos).where(
        t.photos.c.model_id == model_id, t.photos.c.real_print.is_(True),
        t.photos.c.rejected.is_(False))).scalar_one()
    from_confirmed = conn.execute(
        sa.select(sa.func.count()).select_from(
            t.photos.join(t.reviews, t.reviews.c.id == t.photos.c.review_id))
        .where(t.reviews.c.model_id == model_id, t.reviews.c.confirmed.is_(True),
               t.reviews.c.hidden.is_(False), t.photos.c.rejected.is_(False))).scalar_one()
    tags = conn.execute(sa.select(sa.func.count()).select_from(t.model_tags).where(
        t.model_tags.c.model_id == model_id)).scalar_one()
    confirmed = conn.execute(sa.select(sa.func.count()).select_from(t.receipts).where(
        t.receipts.c.model_id == model_id,
        t.receipts.c.job_state.in_(sorted(rules.ATTEMPT_STATES)))).scalar_one()
    return rules.SpotlightChecklist(
        images=int(images) + int(from_confirmed), real_photos=int(marked) + int(from_confirmed),
        description_chars=len((row["description"] or "").strip()), tags=int(tags),
        has_category=bool(row["category"]), confirmed_prints=int(confirmed),
        successes=int(stats["print_successes"]))


def open_report_targets(conn: sa.Connection) -> set[int]:
    rows = conn.execute(sa.select(t.reports.c.target_id).where(
        t.reports.c.target_type == "model", t.reports.c.status == "open")).scalars().all()
    return {int(r) for r in rows}


def list_models(conn: sa.Connection, *, q: str, tag: str, category: str,
                creator_id: int | None, sort: str, limit: int, offset: int,
                now: datetime) -> tuple[list[dict[str, Any]], int, list[int]]:
    """A page of models, with at most 1 in 5 slots given to promoted models.

    Returns the items, the total count and the promotion ids that were shown
    (the caller uses up one placement of each).
    """
    m = t.models
    query = sa.select(m).where(m.c.status == "approved", m.c.hidden.is_(False))
    if q:
        like = f"%{q.lower()}%"
        query = query.where(sa.or_(sa.func.lower(m.c.title).like(like),
                                   sa.func.lower(m.c.description).like(like)))
    if tag:
        query = query.where(m.c.id.in_(sa.select(t.model_tags.c.model_id).where(
            t.model_tags.c.tag == tag.lower())))
    if category:
        query = query.where(m.c.category == category)
    if creator_id is not None:
        query = query.where(m.c.creator_id == creator_id)
    rows = [dict(r) for r in conn.execute(query).mappings().all()]
    ids = [int(r["id"]) for r in rows]
    stats = model_stats(conn, ids)
    reps = reputations(conn, [int(r["creator_id"]) for r in rows])
    users = dict(conn.execute(sa.select(t.accounts.c.id, t.accounts.c.username).where(
        t.accounts.c.id.in_({r["creator_id"] for r in rows}))).all()) if rows else {}
    covers = dict(conn.execute(sa.select(t.photos.c.model_id, t.photos.c.sha256).where(
        t.photos.c.model_id.in_(ids), t.photos.c.is_cover.is_(True),
        t.photos.c.sha256.is_not(None))).all()
    ) if ids else {}

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        s = stats[int(r["id"])]
        recent = (utc(r["published_at"]) or utc(r["created_at"]) or now).timestamp()
        if sort == "downloads":
            return (-s["genuine_downloads"], -recent, -r["id"])
        if sort == "rating":
            avg = rules.rating_part([]) if not s["ratings"] else (
                (5 * 3.0 + s["rating_sum"]) / (5 + s["ratings"]))
            return (-avg, -recent, -r["id"])
        if sort == "reputation":
            return (-reps[int(r["creator_id"])]["value"], -recent, -r["id"])
        return (-recent, -r["id"])

    rows.sort(key=key)
    items = [brief(r, stats[int(r["id"])], reps[int(r["creator_id"])],
                   covers.get(r["id"]), users.get(r["creator_id"], "")) for r in rows]
    by_id = {it["id"]: it for it in items}
    # promotion: only among eligible models (reputation >= 3.5, no open report)
    reported = open_report_targets(conn)
    promos = conn.execute(sa.select(t.promotions).where(
        t.promotions.c.day == rules.day_key(now), t.promotions.c.placements_left > 0,
        t.promotions.c.expires_at > now, t.promotions.c.model_id.in_(ids) if ids else sa.false(),
    ).order_by(t.promotions.c.id)).mappings().all()
    chosen: list[tuple[int, int]] = []  # (promotion id, model id)
    seen: set[int] = set()
    for p in promos:
        mid = int(p["model_id"])
        it = by_id.get(mid)
        if it is None or mid in seen or mid in reported:
            continue
        if it["creator"]["reputation"] < rules.PROMOTION_MIN_REPUTATION:
            continue
        seen.add(mid)
        chosen.append((int(p["id"]), mid))
    organic = [it for it in items if it["id"] not in seen]
    merged: list[tuple[dict[str, Any], int | None]] = []
    promo_iter, org_iter = iter(chosen), iter(organic)
    while True:
        # Promoted slots are positions 0, 5, 10... (at most 1 in 5 listed items).
        promo = next(promo_iter, None) if len(merged) % rules.PROMOTED_SHARE == 0 else None
        if promo is not None:
            merged.append(({**by_id[promo[1]], "promoted": True}, promo[0]))
            continue
        item = next(org_iter, None)
        if item is None:
            break
        merged.append((item, None))
    window = merged[offset:offset + limit]
    return [it for it, _ in window], len(items), [p for _, p in window if p is not None]


def visible_profile_ids(conn: sa.Connection, model_id: int) -> list[int]:
    return [int(i) for i in conn.execute(sa.select(t.profiles.c.id).where(
        t.profiles.c.model_id == model_id, t.profiles.c.hidden.is_(False))).scalars()]

