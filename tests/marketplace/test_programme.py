"""Sections 5, 6, 8, 10 and 11 through the HTTP API: spotlight, currencies, reputation,
karma, cred tokens, promotion, the store, versions and remixes, photo checks."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from marketplace.config import Config
from marketplace.demo import cube_stl, demo_photo
from tests.marketplace.client import Api, FakeClock, Server
from tests.marketplace.conftest import start_server, stop_server

DESC = "Printed it twice, both came out clean, good tolerances."


def test_spotlight_points_conversions_and_withdrawals(api: Api) -> None:
    creator, editor, admin = api.user(), api.role_user("editor"), api.role_user("admin")
    m = creator.model(origin="imported")
    editor.ok("POST", f"/editor/models/{m}/spotlight")

    def download(n: int) -> None:
        for _ in range(n):
            api.user().ok("POST", f"/models/{m}/downloads")

    with ThreadPoolExecutor(4) as pool:  # 500 downloads: 10 milestones of 20 = 200 spotlight
        list(pool.map(download, [125] * 4))
    bal = creator.balances()
    assert bal["spotlight"] == 200
    assert bal["standard"] == 10  # the upload award came before the selection
    r = creator.post("/me/conversions", json={"spotlight_points": 100, "target": "standard"})
    assert r.status_code == 403 and r.json()["code"] == "conversion_not_approved"
    app_id = creator.ok("POST", "/me/applications", json={"kind": "conversion"})["id"]
    editor.ok("POST", f"/editor/applications/{app_id}/decision", json={"approve": True})
    bad = creator.post("/me/conversions", json={"spotlight_points": 150, "target": "standard"})
    assert bad.status_code == 422  # whole multiples of 100 only
    too_much = creator.post("/me/conversions", json={"spotlight_points": 300,
                                                      "target": "credits"})
    assert too_much.status_code == 409  # refused whole
    assert creator.balances()["spotlight"] == 200
    out = creator.ok("POST", "/me/conversions", json={"spotlight_points": 100,
                                                      "target": "standard"})
    assert out["received"] == 110
    bal = creator.balances()
    assert (bal["spotlight"], bal["standard"]) == (100, 120)
    reasons = [e["reason"] for e in creator.ok("GET", "/me/ledger")[:2]]
    assert sorted(reasons) == ["conversion_in", "conversion_out"]
    # credits, and their withdrawal
    creator.ok("POST", "/me/conversions", json={"spotlight_points": 100, "target": "credits"})
    assert creator.balances()["credits"] == 100
    assert creator.post("/me/withdrawals", json={"amount": 101}).status_code == 409
    w1 = creator.ok("POST", "/me/withdrawals", json={"amount": 60})["id"]
    assert creator.balances()["credits"] == 40
    admin.ok("POST", f"/admin/withdrawals/{w1}/decision", json={"approve": False})
    assert creator.balances()["credits"] == 100  # a rejected withdrawal returns the credits
    w2 = creator.ok("POST", "/me/withdrawals", json={"amount": 100})["id"]
    admin.ok("POST", f"/admin/withdrawals/{w2}/decision", json={"approve": True})
    assert creator.balances()["credits"] == 0
    assert [w["status"] for w in creator.ok("GET", "/me/withdrawals")] == ["approved",
                                                                          "rejected"]


def test_spotlight_checklist_reported_to_the_editor(api: Api, clock: FakeClock) -> None:
    creator, editor = api.user(), api.role_user("editor")
    photos = [{"id": creator.photo(), "cover": i == 0, "real_print": i < 2} for i in range(3)]
    m = creator.model(description="d" * 200, tags=["a", "b", "c"], publish=False)
    creator.ok("PUT", f"/models/{m}/photos", json={"photos": photos})
    creator.ok("POST", f"/models/{m}/publish")
    out = editor.ok("POST", f"/editor/models/{m}/spotlight")
    assert out["checklist"]["print_success"] is False and not out["checklist_passed"]
    for i in range(5):
        u = api.user()
        u.ok("POST", "/receipts", json=u.receipt(clock(), model_id=m,
                                                 verdict="good" if i else "bad"))
    out = editor.ok("POST", f"/editor/models/{m}/spotlight")
    assert out["checklist"] == {"images": True, "real_photos": True, "description": True,
                                "tags": True, "category": True, "print_success": True}


def test_reputation_and_its_basis(api: Api, clock: FakeClock) -> None:
    creator = api.user()
    m = creator.model()
    assert api.http.get(f"/accounts/{creator.id}").json()["reputation"] == 3.0
    u = api.user()
    u.ok("POST", "/reviews", json={"model_id": m, "stars": 5,
                                   "receipt": u.receipt(clock(), model_id=m)})
    # ratings [5], 1 attempt 1 success, no votes: 0.6*20/6 + 0.3*(1+8/3) + 0.1*3 = 3.40
    summary = creator.ok("GET", "/me/rewards")["reputation"]
    assert summary == {"value": 3.4, "ratings": 1, "rating_sum": 5, "print_attempts": 1,
                       "print_successes": 1, "helpful": 0, "unhelpful": 0}
    model = api.http.get(f"/models/{m}").json()
    assert model["creator"]["reputation"] == 3.4
    assert model["reputation_basis"]["ratings"] == 1
    rid = api.http.get(f"/models/{m}/reviews").json()[0]["id"]
    for helpful in (True, True, False):
        api.user().ok("POST", f"/reviews/{rid}/votes", json={"helpful": helpful})
    creator.ok("POST", f"/reviews/{rid}/votes", json={"helpful": True})  # not counted
    # feedback 2 helpful 1 unhelpful: 1 + 4*3/5 = 3.4 -> 2.0 + 1.1 + 0.34 = 3.44
    basis = creator.ok("GET", "/me/rewards")["reputation"]
    assert (basis["helpful"], basis["unhelpful"], basis["value"]) == (2, 1, 3.44)


def test_karma_and_cred_tokens(api: Api) -> None:
    creator = api.user()
    m = creator.model()  # karma +10, cred +5, and +1 cred for the day
    assert (creator.balances()["karma"], creator.balances()["cred_tokens"]) == (10, 6)
    reviewer = api.user()
    rid = reviewer.ok("POST", "/reviews", json={"model_id": m, "stars": 4,
                                                "description": DESC})["id"]
    assert creator.balances()["karma"] == 10 + 1 * 0 + 2  # positive rating; no download yet
    reviewer.ok("POST", f"/models/{m}/downloads")
    assert creator.balances()["karma"] == 13
    voters = [api.user() for _ in range(12)]
    for v in voters:
        v.ok("POST", f"/reviews/{rid}/votes", json={"helpful": True})
    voters[0].ok("POST", f"/reviews/{rid}/votes", json={"helpful": True})  # again: nothing
    bal = reviewer.balances()
    assert bal["karma"] == 50  # 12 distinct helpful accounts, at most 50 per review
    assert bal["cred_tokens"] == 1 + 2  # active day + the review marked helpful, once
    three = api.user()
    low = three.ok("POST", "/reviews", json={"model_id": m, "stars": 3})["id"]
    assert low
    assert creator.balances()["karma"] == 13  # 3 stars is not a positive rating


def test_promotion_caps_and_listing_rules(api: Api, clock: FakeClock) -> None:
    creator = api.user()
    tag = f"promo{creator.id}"
    models = [creator.model(origin="imported", tags=[tag]) for _ in range(12)]
    assert creator.balances()["cred_tokens"] == 12 * 5 + 1
    m0 = models[0]
    assert creator.post(f"/models/{m0}/promotions", json={"tokens": 21}).status_code == 409
    creator.ok("POST", f"/models/{m0}/promotions", json={"tokens": 20})
    r = creator.post(f"/models/{m0}/promotions", json={"tokens": 1})
    assert r.status_code == 409 and "per model" in r.json()["detail"]
    creator.ok("POST", f"/models/{models[1]}/promotions", json={"tokens": 20})
    r = creator.post(f"/models/{models[2]}/promotions", json={"tokens": 11})
    assert r.status_code == 409 and "per creator" in r.json()["detail"]
    creator.ok("POST", f"/models/{models[2]}/promotions", json={"tokens": 10})
    assert creator.ok("GET", "/me/rewards")["cred_tokens"]["spent_today"] == 50
    # reputation 3.0 < 3.5: nothing is promoted yet
    page = api.http.get("/models", params={"tag": tag, "limit": 12}).json()["items"]
    assert not any(i["promoted"] for i in page)
    for _ in range(4):  # raise the creator's reputation with good ratings
        for m in models[:3]:
            u = api.user()
            u.ok("POST", "/reviews", json={"model_id": m, "stars": 5,
                                           "receipt": u.receipt(clock(), model_id=m)})
    page = api.http.get("/models", params={"tag": tag, "limit": 12}).json()["items"]
    assert page[0]["creator"]["reputation"] >= 3.5
    flags = [i["promoted"] for i in page]
    assert flags.count(True) == 3 and all(flags[i] for i in (0, 5, 10))  # 1 in 5
    assert len({i["id"] for i in page}) == 12  # reordered, not duplicated
    # a model with an open report is not promoted
    api.user().ok("POST", "/reports", json={"target_type": "model", "target_id": m0,
                                            "reason": "spam"})
    page = api.http.get("/models", params={"tag": tag, "limit": 12}).json()["items"]
    assert m0 not in [i["id"] for i in page if i["promoted"]]


def test_listing_sorts(api: Api) -> None:
    creator = api.user()
    tag = f"sort{creator.id}"
    a = creator.model(tags=[tag], title="alpha")
    b = creator.model(tags=[tag], title="beta")
    for _ in range(3):
        api.user().ok("POST", f"/models/{a}/downloads")
    api.user().ok("POST", "/reviews", json={"model_id": b, "stars": 5})

    def ids(sort: str) -> list[int]:
        return [i["id"] for i in api.http.get("/models", params={"tag": tag, "sort": sort})
                .json()["items"]]

    assert ids("recent") == [b, a]
    assert ids("downloads") == [a, b]
    assert ids("rating") == [b, a]
    assert set(ids("reputation")) == {a, b}
    assert [i["id"] for i in api.http.get("/models", params={"q": "ALPHA", "tag": tag})
            .json()["items"]] == [a]
    assert api.http.get("/models", params={"sort": "bogus"}).status_code == 422


def test_store_redeem_refuse_refunds(api: Api) -> None:
    u, admin = api.user(), api.role_user("admin")
    u.model()
    for m in [api.user().model(origin="imported") for _ in range(2)]:
        u.ok("POST", "/reviews", json={"model_id": m, "stars": 5, "description": DESC})
    assert u.balances()["standard"] == 52
    item = admin.ok("POST", "/admin/store/items", json={"title": "Nozzle", "price": 25})
    o1 = u.ok("POST", "/store/orders", json={"item_id": item["id"]})["id"]
    o2 = u.ok("POST", "/store/orders", json={"item_id": item["id"]})["id"]
    assert u.post("/store/orders", json={"item_id": item["id"]}).status_code == 409
    admin.ok("POST", f"/admin/orders/{o1}/decision", json={"approve": False})
    admin.ok("POST", f"/admin/orders/{o2}/decision", json={"approve": True})
    assert u.balances()["standard"] == 27
    assert [o["status"] for o in u.ok("GET", "/me/orders")] == ["fulfilled", "refused"]
    hist = u.ok("GET", "/me/ledger")
    assert [h["reason"] for h in hist[:3]] == ["redemption_refund", "redemption",
                                               "redemption"]
    assert hist[0]["balance"] == 27


def test_rewards_summary_lists_everything_section_11_asks(api: Api) -> None:
    u = api.user()
    m = u.model()
    p = u.profile(m)
    s = u.ok("GET", "/me/rewards")
    assert set(s) >= {"balances", "caps", "beginner_tasks", "model_milestones",
                      "profile_milestones", "reputation", "karma", "cred_tokens"}
    assert s["caps"]["model_upload"]["used"] == 10
    assert s["caps"]["first_profile"]["used"] == 5
    assert s["model_milestones"][0] == {
        "model_id": m, "title": "A model", "downloaders": 0, "confirmed_printers": 0,
        "genuine_downloads": 0, "points_so_far": 0, "points_due": 0, "next_at": 50,
        "cap": 3000}
    assert s["profile_milestones"][0]["profile_id"] == p
    assert s["cred_tokens"]["creator_daily_cap"] == 50


def test_near_duplicate_photo_from_another_account_is_queued(api: Api) -> None:
    a, b = api.user(), api.user()
    a.ok("POST", "/photos", files={"file": ("a.jpg", demo_photo(4242), "image/jpeg")})
    mine_again = a.ok("POST", "/photos", files={"file": ("a.jpg", demo_photo(4242),
                                                          "image/jpeg")})
    assert mine_again["queued_for_moderation"] is False
    import io

    rotated = io.BytesIO()
    Image.open(io.BytesIO(demo_photo(4242))).transpose(Image.Transpose.ROTATE_90).save(
        rotated, format="JPEG", quality=70)
    stolen = b.ok("POST", "/photos", files={"file": ("b.jpg", rotated.getvalue(),
                                                      "image/jpeg")})
    assert stolen["queued_for_moderation"] is True
    fresh = b.ok("POST", "/photos", files={"file": ("c.jpg", demo_photo(9191), "image/jpeg")})
    assert fresh["queued_for_moderation"] is False
    mod = api.role_user("moderator")
    assert stolen["id"] in [p["id"] for p in mod.ok("GET", "/moderation/photos")]


def test_moderator_revokes_photo_points_review_stays(api: Api) -> None:
    inviter = api.user()
    code = inviter.ok("GET", "/me/referral")["code"]
    creator, r, mod = api.user(), api.user(referral_code=code), api.role_user("moderator")
    m = creator.model()
    rid = r.ok("POST", "/reviews", json={"model_id": m, "stars": 5, "description": DESC,
                                         "photo_ids": [r.photo()]})["id"]
    assert r.balances()["standard"] == 10
    out = mod.ok("POST", f"/moderation/reviews/{rid}/revoke-photo-points")
    assert out["revoked"] == 4
    mod.ok("POST", f"/moderation/reviews/{rid}/revoke-photo-points")  # only once
    assert r.balances()["standard"] == 6
    assert inviter.balances()["standard"] == 0.6  # 1.0 referral income, 0.4 of it revoked
    assert api.http.get(f"/reviews/{rid}").status_code == 200


def test_versions_and_remix_attribution(api: Api) -> None:
    creator, remixer = api.user(), api.user()
    m = creator.model(title="Original clip")
    v = creator.ok("POST", f"/models/{m}/versions",
                   files=[("files", ("v2.stl", cube_stl(30), "model/stl"))])
    assert v["version"] == 2
    assert creator.post(f"/models/{m}/files",
                        files={"file": ("x.stl", cube_stl(), "m")}).status_code == 409
    model = api.http.get(f"/models/{m}").json()
    assert [x["version"] for x in model["versions"]] == [1, 2]
    assert model["files"][0]["name"] == "v2.stl"
    downloader = api.user()
    downloader.ok("POST", f"/models/{m}/downloads")
    assert [d["model_id"] for d in downloader.ok("GET", "/me/downloads")] == [m]
    old = api.http.get(f"/models/{m}/files", params={"version": 1}).json()
    assert old[0]["name"] == "m.stl"
    assert api.http.get(old[0]["url"].removeprefix("/api/v1")).content == cube_stl()
    r = remixer.model(origin="remix", parent_id=m, title="Clip remix")
    parent = api.http.get(f"/models/{r}").json()["parent"]
    assert parent["id"] == m and creator.username in parent["attribution"]
    missing = remixer.ok("POST", "/models", json={"title": "x", "license": "MIT",
                                                  "origin": "remix"})["id"]
    remixer.ok("POST", f"/models/{missing}/files", files={"file": ("m.stl", cube_stl(), "m")})
    remixer.ok("PUT", f"/models/{missing}/photos", json={"photos": [{"id": remixer.photo()}]})
    r2 = remixer.post(f"/models/{missing}/publish")
    assert r2.status_code == 422 and "parent" in r2.json()["detail"]
    bad_licence = remixer.post("/models", json={"license": "WTFPL-9"})
    assert bad_licence.status_code == 422


def test_drafts_save_as_edited_and_publish_needs_everything(api: Api) -> None:
    u = api.user()
    d = u.ok("POST", "/models", json={"title": "half"})["id"]
    u.ok("PATCH", f"/models/{d}", json={"description": "more", "tags": ["x", "X", "y"]})
    draft = u.ok("GET", f"/models/{d}")
    assert (draft["status"], draft["description"], draft["tags"]) == ("draft", "more",
                                                                      ["x", "y"])
    r = u.post(f"/models/{d}/publish")
    assert r.status_code == 422
    assert set(r.json()["missing"]) == {"a licence", "an origin", "at least one model file",
                                        "at least one photo"}
    assert [m["id"] for m in u.ok("GET", "/me/models")] == [d]
    u.ok("DELETE", f"/models/{d}")
    assert u.get(f"/models/{d}").status_code == 404


@pytest.fixture(scope="module")
def manual_server(tmp_path_factory: pytest.TempPathFactory, clock: FakeClock
                  ) -> Iterator[Server]:
    root: Path = tmp_path_factory.mktemp("mp-manual")
    config = Config(database_url=f"sqlite:///{root / 'm.db'}", storage=root / "s",
                    fast_hashing=True, clock=clock, auto_approve=False)
    srv, server, thread = start_server(config)
    yield srv
    stop_server(srv, server, thread)


def test_without_auto_approve_a_moderator_approves(manual_server: Server) -> None:
    with Api(manual_server) as api:
        u, mod = api.user(), api.role_user("moderator")
        m = u.model()
        assert u.ok("GET", f"/models/{m}")["status"] == "pending"
        assert api.http.get(f"/models/{m}").status_code == 404
        assert u.balances()["standard"] == 0
        mod.ok("POST", f"/moderation/models/{m}/decision", json={"approve": True})
        assert u.balances()["standard"] == 40
        m2 = u.model()
        mod.ok("POST", f"/moderation/models/{m2}/decision", json={"approve": False})
        assert u.ok("GET", f"/models/{m2}")["status"] == "rejected"
        assert u.balances()["standard"] == 40


def test_profile_milestones_on_a_spotlight_model_are_spotlight_points(api: Api) -> None:
    creator, uploader, editor = api.user(), api.user(), api.role_user("editor")
    m = creator.model(origin="imported")
    p = uploader.profile(m)
    editor.ok("POST", f"/editor/models/{m}/spotlight")
    for _ in range(50):
        api.user().ok("POST", f"/profiles/{p}/downloads")
    assert uploader.balances()["spotlight"] == 5  # the profile's 50-download milestone
    assert creator.balances()["spotlight"] == 20  # and the model's, through its profile
    assert uploader.balances()["standard"] == 25  # paid before the selection


def test_activity_token_once_per_utc_day(api: Api, clock: FakeClock) -> None:
    u = api.user()
    before = clock()
    try:
        for _ in range(3):
            u.ok("POST", "/suggestions", json={"text": "more"})
        assert u.balances()["cred_tokens"] == 1
        clock.advance(timedelta(days=1))
        u.ok("POST", "/suggestions", json={"text": "again"})
        assert u.balances()["cred_tokens"] == 2
        u.ok("GET", "/me")  # reading is not a change
        assert u.balances()["cred_tokens"] == 2
    finally:
        clock.set(before)


def test_promoted_placements_are_used_up_and_expire(api: Api, clock: FakeClock) -> None:
    creator = api.user()
    tag = f"plc{creator.id}"
    models = [creator.model(origin="imported", tags=[tag]) for _ in range(2)]
    for _ in range(3):
        u = api.user()
        u.ok("POST", "/reviews", json={"model_id": models[0], "stars": 5,
                                       "receipt": u.receipt(clock(), model_id=models[0])})
    creator.ok("POST", f"/models/{models[1]}/promotions", json={"tokens": 1})

    def promoted() -> list[int]:
        items = api.http.get("/models", params={"tag": tag}).json()["items"]
        return [i["id"] for i in items if i["promoted"]]

    for _ in range(50):  # one token buys 50 placements
        assert promoted() == [models[1]]
    assert promoted() == []
    creator.ok("POST", f"/models/{models[1]}/promotions", json={"tokens": 1})
    assert promoted() == [models[1]]
    before = clock()
    try:
        clock.set(rules_end_of_day(before))  # it expires at the end of the UTC day
        assert promoted() == []
    finally:
        clock.set(before)


def rules_end_of_day(moment: datetime) -> datetime:
    from marketplace import rules

    return rules.end_of_utc_day(moment)
