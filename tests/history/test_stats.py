"""Statistics over synthetic jobs: the rollups kept in step through syncs
agree with grouping every job; rates, reasons, weeks and a date range."""

from __future__ import annotations

import sqlalchemy as sa

from history import stats, synthetic
from history.derive import day_of
from history.schema import history_jobs
from history.store import HistoryStore
from printers import schema as ps


def test_rollups_follow_every_sync_and_match_a_full_scan(engine) -> None:  # type: ignore[no-untyped-def]
    seeded = synthetic.seed(engine, 3000, end=1_750_000_000.0, days=60)
    store = HistoryStore(engine)
    assert store.sync() == []  # seeded rows are up to date (verdicts included)
    before = stats.compute(engine)
    assert before.as_dict() == stats.compute(engine, direct=True).as_dict()
    assert before.prints == 3000
    # The user judges completed prints bad, one job is rewritten: the rollups move.
    with engine.begin() as conn:
        done = conn.execute(sa.select(history_jobs.c.job_id)
                            .where(history_jobs.c.success == 1).limit(40)).scalars().all()
        conn.execute(ps.verdicts.insert(), [
            {"job_id": j, "good": False, "reason": "Melted goo", "created_at": 2e9}
            for j in done])
    written = store.sync()
    assert sorted(written) == sorted(done)
    after = stats.compute(engine)
    assert after.as_dict() == stats.compute(engine, direct=True).as_dict()
    assert (after.prints, after.successes) == (before.prints, before.successes - 40)
    assert dict(after.reasons)["bad print: melted goo"] == 40
    # Ratios rest on the counts they show, per printer and in total.
    assert sum(r.prints for r in after.by["printer"]) == 3000
    assert sorted(r.label for r in after.by["printer"]) == seeded.printers
    for r in after.by["material"]:
        assert 0 <= r.successes <= r.prints
    # A date range: only the later jobs.
    since = 1_750_000_000.0 - 10 * 86400
    recent = stats.compute(engine, since=since)
    with engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(history_jobs).where(
            history_jobs.c.day >= day_of(since))).scalar_one()
    assert recent.prints == n < 3000
    assert sum(w.prints for w in after.weeks) == 3000
    assert all(a.week < b.week for a, b in zip(after.weeks, after.weeks[1:], strict=False))


def test_deleted_jobs_leave_the_history_and_its_rollups(engine) -> None:  # type: ignore[no-untyped-def]
    synthetic.seed(engine, 300, end=1_750_000_000.0)
    with engine.begin() as conn:
        gone = conn.execute(sa.select(history_jobs.c.job_id)
                            .where(history_jobs.c.success == 0).limit(30)).scalars().all()
        conn.execute(ps.jobs.delete().where(ps.jobs.c.id.in_([*gone, 1, 2, 3])))
        left = conn.execute(sa.select(sa.func.count()).select_from(history_jobs)).scalar_one()
    assert left == 300 - len({*gone, 1, 2, 3})
    st = stats.compute(engine)
    assert st.prints == left
    assert st.as_dict() == stats.compute(engine, direct=True).as_dict()
