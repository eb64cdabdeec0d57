"""Reports and juries (REWARDS.md section 7) on a server of their own.

The jury pool is every account with karma >= 100, so these tests need a
database where they know who is eligible.  Karma is earned by publishing
models (+10 each); to keep the run short, the jurors' karma is written as
ledger rows directly (the same rows publishing would write).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace import rules
from marketplace import tables as t
from marketplace.config import Config
from tests.marketplace.client import Api, FakeClock, Server, User
from tests.marketplace.conftest import start_server, stop_server


class KeywordCheck:
    """A content check that flags one word (the default check never flags)."""

    def flags(self, target_type: str, text: str) -> bool:
        return "FLAGME" in text


@pytest.fixture(scope="module")
def jury_server(tmp_path_factory: pytest.TempPathFactory, clock: FakeClock) -> Iterator[Server]:
    root: Path = tmp_path_factory.mktemp("mp-jury")
    config = Config(database_url=f"sqlite:///{root / 'm.db'}", storage=root / "s",
                    fast_hashing=True, clock=clock, escalation_interval=0.1,
                    content_check=KeywordCheck())
    srv, server, thread = start_server(config)
    yield srv
    stop_server(srv, server, thread)


@pytest.fixture(scope="module")
def japi(jury_server: Server) -> Iterator[Api]:
    with Api(jury_server) as api:
        yield api


def give_karma(server: Server, user: User, amount: int, clock: FakeClock) -> None:
    with server.engine.begin() as conn:
        conn.execute(t.ledger.insert().values(
            account_id=user.id, currency="karma", amount=amount * 10, reason="karma_publish",
            unique_key=f"test-karma:{user.id}", month=rules.month_key(clock()),
            day=rules.day_key(clock()), created_at=clock()))


@pytest.fixture(scope="module")
def jurors(japi: Api, jury_server: Server, clock: FakeClock) -> list[User]:
    people = [japi.user("jur") for _ in range(10)]
    for p in people:
        give_karma(jury_server, p, 100, clock)
    low = japi.user("low")
    give_karma(jury_server, low, 99, clock)  # one short: never drawn
    return people


def report_three_times(japi: Api, target_type: str, target_id: int) -> tuple[list[User], int]:
    reporters = [japi.user("rep") for _ in range(3)]
    case_id = None
    for i, r in enumerate(reporters):
        out = r.ok("POST", "/reports", json={"target_type": target_type,
                                             "target_id": target_id, "reason": "stolen"})
        if i < 2:
            assert out["case_id"] is None
        case_id = out["case_id"]
    assert case_id is not None
    return reporters, int(case_id)


def duties(users: list[User], case_id: int) -> list[User]:
    return [u for u in users if any(d["case_id"] == case_id
                                    for d in u.ok("GET", "/me/jury-duties"))]


def test_jury_upholds_hides_and_reverses(japi: Api, jurors: list[User]) -> None:
    creator = japi.user("cre")
    m = creator.model()
    assert creator.balances()["standard"] == 40
    _reporters, case_id = report_three_times(japi, "model", m)
    seated = duties(jurors, case_id)
    assert len(seated) == 9
    duty = next(d for d in seated[0].ok("GET", "/me/jury-duties") if d["case_id"] == case_id)
    assert set(duty["item"]) == {"type", "title", "description", "photos"}  # blind
    assert creator.username not in str(duty)
    for j in seated[:5]:
        j.ok("POST", f"/juries/{case_id}/votes", json={"vote": "uphold", "reason": "copied"})
    assert japi.http.get(f"/models/{m}").status_code == 200
    assert seated[0].post(f"/juries/{case_id}/votes",
                          json={"vote": "keep", "reason": "x"}).status_code == 409
    out = seated[5].ok("POST", f"/juries/{case_id}/votes",
                       json={"vote": "uphold", "reason": "same as the original"})
    assert out["decided"] is True
    assert japi.http.get(f"/models/{m}").status_code == 404  # hidden
    assert creator.balances()["standard"] == 0  # upload and first-model task reversed
    assert creator.balances()["karma"] == 0
    assert seated[6].post(f"/juries/{case_id}/votes",
                          json={"vote": "keep", "reason": "late"}).status_code == 409
    reasons = [e["reason"] for e in creator.ok("GET", "/me/ledger")]
    assert reasons.count("reversal") >= 3


def test_four_keeps_clear_and_repeat_false_reporters_are_suspended(
        japi: Api, jurors: list[User]) -> None:
    creator = japi.user("cre")
    reporters = [japi.user("rep") for _ in range(3)]
    for round_ in range(3):
        m = creator.model(title=f"innocent {round_}")
        case_id = None
        for r in reporters:
            case_id = r.ok("POST", "/reports", json={"target_type": "model", "target_id": m,
                                                     "reason": "spam"})["case_id"]
        assert case_id is not None
        seated = duties(jurors, case_id)
        seated[0].ok("POST", f"/juries/{case_id}/votes", json={"vote": "uphold",
                                                               "reason": "hm"})
        for j in seated[1:5]:
            j.ok("POST", f"/juries/{case_id}/votes", json={"vote": "keep", "reason": "fine"})
        assert japi.http.get(f"/models/{m}").status_code == 200
    m = creator.model(title="fourth")
    r = reporters[0].post("/reports", json={"target_type": "model", "target_id": m,
                                            "reason": "spam"})
    assert r.status_code == 403 and r.json()["code"] == "reporting_suspended"
    assert creator.balances()["standard"] == 40 + 30  # nothing was reversed


def test_a_jury_undecided_after_seven_days_goes_to_a_moderator(
        japi: Api, jurors: list[User], clock: FakeClock) -> None:
    creator, mod = japi.user("cre"), japi.role_user("moderator")
    m = creator.model()
    rid = japi.user().ok("POST", "/reviews", json={"model_id": m, "stars": 1})["id"]
    _reporters, case_id = report_three_times(japi, "review", rid)
    assert mod.post(f"/moderation/cases/{case_id}/decision",
                    json={"outcome": "upheld"}).status_code == 409  # still the jury's
    before = clock()
    try:
        clock.advance(rules.JURY_DEADLINE)
        deadline = time.monotonic() + 30  # the service's own schedule moves it
        while time.monotonic() < deadline:
            if any(c["id"] == case_id for c in mod.ok("GET", "/moderation/cases")):
                break
            time.sleep(0.05)
        cases = mod.ok("GET", "/moderation/cases")
        assert any(c["id"] == case_id for c in cases)
        mod.ok("POST", f"/moderation/cases/{case_id}/decision", json={"outcome": "upheld"})
        assert japi.http.get(f"/reviews/{rid}").status_code == 404
    finally:
        clock.set(before)


def test_fewer_than_nine_eligible_goes_straight_to_a_moderator(
        tmp_path_factory: pytest.TempPathFactory, clock: FakeClock) -> None:
    root = tmp_path_factory.mktemp("mp-small-jury")
    config = Config(database_url=f"sqlite:///{root / 'm.db'}", storage=root / "s",
                    fast_hashing=True, clock=clock)
    srv, server, thread = start_server(config)
    try:
        with Api(srv) as api:
            creator = api.user()
            m = creator.model()
            _reporters, case_id = report_three_times(api, "model", m)
            mod = api.role_user("moderator")
            assert [c["id"] for c in mod.ok("GET", "/moderation/cases")] == [case_id]
            mod.ok("POST", f"/moderation/cases/{case_id}/decision", json={"outcome": "cleared"})
            assert api.http.get(f"/models/{m}").status_code == 200
            with srv.engine.connect() as conn:
                statuses = conn.execute(sa.select(t.reports.c.status)).scalars().all()
            assert statuses == ["cleared"] * 3
    finally:
        stop_server(srv, server, thread)


def test_jurors_exclude_creator_and_reporters(japi: Api, jurors: list[User],
                                              jury_server: Server, clock: FakeClock) -> None:
    creator = jurors[0]  # an eligible juror who is also the creator
    m = creator.model(title="juror's own")
    reporters = jurors[1:4]
    case_id = None
    for r in reporters:
        case_id = r.ok("POST", "/reports", json={"target_type": "model", "target_id": m,
                                                 "reason": "ai_generated"})["case_id"]
    assert case_id is not None
    # 10 eligible minus the creator and 3 reporters = 6 < 9: a moderator decides
    mod = japi.role_user("moderator")
    assert case_id in [c["id"] for c in mod.ok("GET", "/moderation/cases")]
    assert not duties(jurors, case_id)


def test_content_check_flags_go_to_a_jury_without_reports(japi: Api, jurors: list[User]
                                                          ) -> None:
    creator = japi.user("cre")
    creator.model(description="FLAGME please")
    reviewer = japi.user()
    reviewer.ok("POST", "/reviews", json={"model_id": creator.model(), "stars": 2,
                                                "description": "FLAGME in a review"})
    items = [d["item"] for j in jurors for d in j.ok("GET", "/me/jury-duties")]
    assert any(i["type"] == "review" and "FLAGME" in (i["description"] or "") for i in items)
    assert any(i["type"] == "model" and "FLAGME" in i["description"] for i in items)
