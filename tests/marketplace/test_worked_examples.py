"""REWARDS.md's worked examples, through the HTTP API of a real server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest

from marketplace import ledger
from tests.marketplace.client import Api, FakeClock, User

DESC = "Printed fine in PLA, no stringing, the clips snap on nicely."


def ledger_reasons(u: User) -> list[tuple[str, float]]:
    return [(e["reason"], e["amount"]) for e in u.ok("GET", "/me/ledger", params={"limit": 100})]


def test_beginner_tasks_pay_once(api: Api) -> None:
    u = api.user()
    u.ok("PUT", "/me/preferences", json={"tags": ["miniatures"]})
    u.ok("PUT", "/me/preferences", json={"tags": ["miniatures", "tools"]})
    u.ok("PATCH", "/me", json={"nickname": "Nick"})
    assert u.balances()["standard"] == 10  # the avatar is still missing
    u.ok("PATCH", "/me", json={"avatar_photo_id": u.photo()})
    u.ok("PATCH", "/me", json={"bio": "I print tools."})
    u.ok("POST", "/me/printers", json={"kind": "marlin-serial", "model": "Ender 3"})
    u.ok("POST", "/me/printers", json={"kind": "octoprint", "model": "MK4"})
    assert u.balances()["standard"] == 10 + 5 + 5 + 5
    tasks = {t["task"]: t["done"] for t in u.ok("GET", "/me/rewards")["beginner_tasks"]}
    assert tasks == {"set_preference": True, "nickname_avatar": True, "profile": True,
                     "printer_setup": True, "first_model_upload": False,
                     "first_profile_upload": False}


def test_first_model_pays_upload_and_task(api: Api) -> None:
    u = api.user()
    u.model()
    assert u.balances()["standard"] == 10 + 30
    u.model()
    assert u.balances()["standard"] == 50
    summary = u.ok("GET", "/me/rewards")
    assert summary["caps"]["model_upload"]["used"] == 20
    assert summary["caps"]["model_upload"]["cap"] == 300


def test_repost_earns_nothing_imported_earns_upload_only(api: Api) -> None:
    u = api.user()
    u.model(origin="repost")
    assert u.balances()["standard"] == 0
    u.model(origin="imported")
    assert u.balances()["standard"] == 10  # not the first original/remix model task


def test_model_upload_monthly_cap(api: Api) -> None:
    u = api.user()
    for _ in range(31):
        u.model(origin="imported")
    assert u.balances()["standard"] == 300


def test_profiles_pay_once_per_model_and_first_profile_task(api: Api) -> None:
    creator, other = api.user(), api.user()
    m1, m2 = creator.model(), creator.model()
    other.profile(m1, "PLA fast")
    assert other.balances()["standard"] == 5 + 20
    other.profile(m1, "PETG")  # same (uploader, model): nothing more
    assert other.balances()["standard"] == 25
    other.profile(m2)
    assert other.balances()["standard"] == 30


def test_first_profile_cap_150(api: Api) -> None:
    creator, other = api.user(), api.user()
    models = [creator.model(origin="imported") for _ in range(31)]
    for m in models:
        other.profile(m)
    # 30 models x 5 = 150 capped, plus the beginner task's 20
    assert other.balances()["standard"] == 150 + 20


def test_review_points_first_and_later(api: Api) -> None:
    creator, r = api.user(), api.user()
    m = creator.model()
    p1, p2 = creator.profile(m, "a"), creator.profile(m, "b")
    first = r.ok("POST", "/reviews", json={"model_id": m, "profile_id": p1, "stars": 5,
                                           "description": DESC, "photo_ids": [r.photo()]})
    assert first["points"]["paid"] == 10
    same_profile = r.ok("POST", "/reviews", json={"model_id": m, "profile_id": p1, "stars": 4})
    assert same_profile["points"]["paid"] == 0
    later = r.ok("POST", "/reviews", json={"model_id": m, "profile_id": p2, "stars": 4,
                                           "description": DESC, "photo_ids": [r.photo()]})
    assert later["points"]["paid"] == 7
    no_profile = r.ok("POST", "/reviews", json={"model_id": m, "stars": 3})
    assert no_profile["points"]["paid"] == 0
    assert r.balances()["standard"] == 17


def test_review_preview_agrees_with_what_is_paid(api: Api) -> None:
    creator, r = api.user(), api.user()
    m = creator.model()
    p1 = creator.profile(m)
    before = r.ok("GET", "/me/review-preview", params={"model_id": m, "profile_id": p1})
    assert (before["kind"], before["max_points"], before["would_pay_at_most"]) == (
        "first_on_model", 10, 10)
    r.ok("POST", "/reviews", json={"model_id": m, "profile_id": p1, "stars": 5,
                                   "description": DESC, "photo_ids": [r.photo()]})
    used = r.ok("GET", "/me/review-preview", params={"model_id": m, "profile_id": p1})
    assert used["kind"] is None and used["max_points"] == 0
    p2 = creator.profile(m, "other")
    later = r.ok("GET", "/me/review-preview", params={"model_id": m, "profile_id": p2})
    assert (later["kind"], later["max_points"], later["cap_left_this_month"]) == (
        "new_profile", 7, 60)
    assert later["parts"] == {"rating": 2, "photo": 3, "description": 2}


def test_short_description_earns_nothing(api: Api) -> None:
    creator, r = api.user(), api.user()
    m = creator.model()
    out = r.ok("POST", "/reviews", json={"model_id": m, "stars": 5, "description": "nice print"})
    assert out["points"]["paid"] == 2


def test_cap_pays_up_to_the_cap_exactly(api: Api) -> None:
    """67 of 70 used and a 7-point review: 3 are paid."""
    creator, r = api.user(), api.user()
    ms = [creator.model(origin="imported") for _ in range(8)]
    for m in ms[:6]:
        r.ok("POST", "/reviews", json={"model_id": m, "stars": 5, "description": DESC,
                                       "photo_ids": [r.photo()]})  # 60
    p = creator.profile(ms[6])
    r.ok("POST", "/reviews", json={"model_id": ms[6], "stars": 5})  # 62
    r.ok("POST", "/reviews", json={"model_id": ms[6], "profile_id": p, "stars": 5,
                                   "photo_ids": [r.photo()]})  # later review: 2 + 3 = 67
    assert r.ok("GET", "/me/rewards")["caps"]["review"]["used"] == 67
    p2 = creator.profile(ms[6], "second")
    out = r.ok("POST", "/reviews", json={"model_id": ms[6], "profile_id": p2, "stars": 5,
                                         "description": DESC, "photo_ids": [r.photo()]})
    assert out["points"]["offered"] == 7
    assert out["points"]["paid"] == 3
    assert r.ok("GET", "/me/rewards")["caps"]["review"]["used"] == 70


def test_review_cap_resets_next_month(api: Api, clock: FakeClock) -> None:
    creator, r = api.user(), api.user()
    ms = [creator.model(origin="imported") for _ in range(8)]
    for m in ms[:7]:
        r.ok("POST", "/reviews", json={"model_id": m, "stars": 5, "description": DESC,
                                       "photo_ids": [r.photo()]})
    assert r.balances()["standard"] == 70
    before = clock()
    try:
        clock.advance(timedelta(days=22))  # into April; tokens last 30 days
        out = r.ok("POST", "/reviews", json={"model_id": ms[7], "stars": 5})
        assert out["points"]["paid"] == 2
    finally:
        clock.set(before)


def test_model_milestones_1100_downloads_give_430(api: Api) -> None:
    creator = api.user()
    m = creator.model(origin="imported")
    base = creator.balances()["standard"]
    # the creator's own download counts for nothing
    creator.ok("POST", f"/models/{m}/downloads")

    def download(n: int) -> None:
        for _ in range(n):
            u = api.user("d")
            assert u.post(f"/models/{m}/downloads").status_code == 200

    download(49)
    assert creator.balances()["standard"] == base  # 49 -> 0
    download(1)
    assert creator.balances()["standard"] == base + 20  # 50 -> 20
    again = api.user("d")
    for _ in range(3):  # the same account downloading again counts once
        again.ok("POST", f"/models/{m}/downloads")
    with ThreadPoolExecutor(4) as pool:  # 1049 more distinct accounts, 4 clients at once
        list(pool.map(download, [262, 262, 262, 263]))
    model = api.http.get(f"/models/{m}").json()
    assert model["genuine_downloads"] == 1100
    assert model["milestones"] == {"genuine_downloads": 1100, "points": 430, "next_at": 1200}
    assert creator.balances()["standard"] == base + 430
    summary = creator.ok("GET", "/me/rewards")["model_milestones"]
    assert next(s for s in summary if s["model_id"] == m)["points_so_far"] == 430


def test_confirmed_print_counts_as_two_downloads(api: Api, clock: FakeClock) -> None:
    creator = api.user()
    m = creator.model(origin="imported")
    base = creator.balances()["standard"]
    for _ in range(16):  # 16 downloaders + 17 printers (2 each, on top of their download)
        api.user().ok("POST", f"/models/{m}/downloads")
    for _ in range(17):
        u = api.user()
        u.ok("POST", f"/models/{m}/downloads")
        u.ok("POST", "/receipts", json=u.receipt(clock(), model_id=m))
    # 33 downloaders + 2 x 17 printers = 67 genuine downloads: one milestone (20)
    assert creator.balances()["standard"] == base + 20
    assert api.http.get(f"/models/{m}").json()["genuine_downloads"] == 67


def test_profile_downloads_count_for_model_and_profile(api: Api) -> None:
    creator, up = api.user(), api.user()
    m = creator.model(origin="imported")
    p = up.profile(m)
    c0, u0 = creator.balances()["standard"], up.balances()["standard"]
    for _ in range(50):
        api.user().ok("POST", f"/profiles/{p}/downloads")
    assert creator.balances()["standard"] == c0 + 20  # the model's milestone
    assert up.balances()["standard"] == u0 + 5  # the profile's milestone


def test_bonus_ten_percent_for_new_certified_creator(api: Api) -> None:
    u = api.user()
    editor = api.role_user("editor")
    app_id = u.ok("POST", "/me/applications", json={"kind": "certified"})["id"]
    editor.ok("POST", f"/editor/applications/{app_id}/decision", json={"approve": True})
    for _ in range(3):
        u.model(origin="imported")
    # qualified at the third approval: its upload award gets the bonus, earlier ones not
    assert u.balances()["standard"] == 30 + 1
    other = api.user()
    m = other.model(origin="imported")
    u.profile(m)  # 5 + 0.5 bonus, plus the 20 beginner task (no bonus)
    assert u.balances()["standard"] == 31 + 5.5 + 20
    reasons = ledger_reasons(u)
    assert ("new_creator_bonus", 0.5) in reasons


def test_referral_income_is_ten_percent(api: Api) -> None:
    inviter = api.user()
    code = inviter.ok("GET", "/me/referral")["code"]
    invitee = api.user(referral_code=code)
    invitee.model(origin="imported")  # 10 -> inviter 1.0
    creator = api.user()
    invitee.profile(creator.model())  # 5 -> 0.5 ; the 20-point task pays no referral
    assert inviter.balances()["standard"] == 1.5
    assert inviter.ok("GET", "/me/referral")["income"] == 1.5


def test_unknown_referral_code_is_refused(api: Api) -> None:
    r = api.http.post("/accounts", json={"username": "refx" + "a" * 5,
                                         "email": "refx@example.invalid",
                                         "password": "long enough pw", "referral_code": "NOPE"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")


def test_feedback_pays_two_when_implemented(api: Api) -> None:
    u, admin = api.user(), api.role_user("admin")
    sid = u.ok("POST", "/suggestions", json={"text": "dark mode"})["id"]
    assert u.post(f"/suggestions/{sid}/implemented").status_code == 403
    admin.ok("POST", f"/suggestions/{sid}/implemented")
    admin.ok("POST", f"/suggestions/{sid}/implemented")
    assert u.balances()["standard"] == 2


def test_ledger_history_newest_first_with_running_balance(api: Api) -> None:
    u = api.user()
    u.model()
    hist = u.ok("GET", "/me/ledger")
    standard = [e for e in hist if e["currency"] == "standard"]
    assert standard[0]["balance"] == 40
    assert sorted(e["id"] for e in hist) == [e["id"] for e in reversed(hist)]


@pytest.mark.parametrize("path", ["/me/rewards", "/me/ledger", "/me/balances"])
def test_reward_views_need_sign_in(api: Api, path: str) -> None:
    r = api.http.get(path)
    assert r.status_code == 401
    assert r.json()["status"] == 401


def test_health_and_openapi(api: Api) -> None:
    assert api.http.get("/health").json() == {"status": "ok"}
    doc = httpx.get(api.server.base_url + "/api/v1/openapi.json").json()
    assert "/api/v1/reviews" in doc["paths"]


def test_a_reversal_gives_its_cap_room_back(api: Api, clock: FakeClock) -> None:
    """Section 3's cap counts what the month's reviews still hold: revoked photo points
    free their room, and the worked example (67 of 70 used and a 7-point review: 3
    are paid) then holds again; a later reversal of the whole review takes back only
    what is left of it."""
    creator, r, mod = api.user(), api.user(), api.role_user("moderator")
    ms = [creator.model(origin="imported") for _ in range(8)]
    firsts = [r.ok("POST", "/reviews", json={"model_id": m, "stars": 5, "description": DESC,
                                             "photo_ids": [r.photo()]})["id"]
              for m in ms[:6]]  # 60
    p1, p2, p3 = (creator.profile(ms[6], name) for name in ("a", "b", "c"))
    r.ok("POST", "/reviews", json={"model_id": ms[6], "stars": 5})  # 62
    r.ok("POST", "/reviews", json={"model_id": ms[6], "profile_id": p1, "stars": 5,
                                   "photo_ids": [r.photo()]})  # later review: 2 + 3 = 67
    last = r.ok("POST", "/reviews", json={"model_id": ms[6], "profile_id": p2, "stars": 5,
                                          "description": DESC, "photo_ids": [r.photo()]})
    assert last["points"]["paid"] == 3  # 67 + 3 = 70: the cap
    assert r.ok("GET", "/me/rewards")["caps"]["review"]["used"] == 70
    # the moderator takes back the last review's photo points: all 3 it was paid
    assert mod.ok("POST", f"/moderation/reviews/{last['id']}/revoke-photo-points"
                  )["revoked"] == 3
    assert r.ok("GET", "/me/rewards")["caps"]["review"]["used"] == 67
    assert r.balances()["standard"] == 67
    out = r.ok("POST", "/reviews", json={"model_id": ms[6], "profile_id": p3, "stars": 5,
                                         "description": DESC, "photo_ids": [r.photo()]})
    assert (out["points"]["offered"], out["points"]["paid"]) == (7, 3)
    assert r.ok("GET", "/me/rewards")["caps"]["review"]["used"] == 70
    assert r.balances()["standard"] == 70
    # an upheld report reverses what is left of a review's award, never more
    first = firsts[0]
    assert mod.ok("POST", f"/moderation/reviews/{first}/revoke-photo-points")["revoked"] == 4
    assert r.ok("GET", "/me/rewards")["caps"]["review"]["used"] == 66
    with api.server.engine.begin() as conn:
        # (the creator's karma for the ratings goes too: entries of another account)
        ledger.reverse_object(conn, "review", last["id"], clock())  # nothing left of it
        ledger.reverse_object(conn, "review", first, clock())  # 10 - 4 revoked = 6 left
    assert [e for e in ledger_reasons(r) if e[0] == "reversal"] == [("reversal", -6)]
    assert r.balances()["standard"] == 60
    assert r.ok("GET", "/me/rewards")["caps"]["review"]["used"] == 60
