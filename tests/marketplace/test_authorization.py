"""Every endpoint tried as anonymous, as another user and as the wrong role."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from marketplace.demo import cube_stl
from tests.marketplace.client import Api, User

PUBLIC, USER, MODERATOR, EDITOR, ADMIN = "public", "user", "moderator", "editor", "admin"


@dataclass
class World:
    owner: User
    other: User
    moderator: User
    editor: User
    admin: User
    ids: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(sqlite_server: Any) -> Any:
    with Api(sqlite_server) as api:
        owner, other, helper = api.user("own"), api.user("oth"), api.user("hlp")
        ids: dict[str, Any] = {}
        ids["draft"] = owner.ok("POST", "/models", json={"title": "secret draft"})["id"]
        ids["model"] = owner.model()
        ids["profile"] = owner.profile(ids["model"])
        ids["helper_model"] = helper.model()
        ids["review"] = owner.ok("POST", "/reviews", json={
            "model_id": ids["helper_model"], "stars": 5})["id"]
        ids["printer"] = owner.ok("POST", "/me/printers", json={"kind": "k", "model": "m"})["id"]
        ids["key"] = owner.register_key()
        ids["photo"] = owner.photo()
        ids["suggestion"] = owner.ok("POST", "/suggestions", json={"text": "x"})["id"]
        ids["account"] = owner.id
        ids["username"] = owner.username
        yield World(owner, other, api.role_user("moderator"), api.role_user("editor"),
                    api.role_user("admin"), ids)


def matrix(i: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, path, who may call it, request arguments) for every operation."""
    m, d, p, r = i["model"], i["draft"], i["profile"], i["review"]
    stl = {"files": {"file": ("m.stl", cube_stl(), "model/stl")}}
    return [
        ("GET", "/health", PUBLIC, {}),
        ("GET", "/rules", PUBLIC, {}),
        ("GET", "/models", PUBLIC, {}),
        ("POST", "/models", USER, {"json": {"title": "x"}}),
        ("POST", "/accounts", PUBLIC, {"json": {}}),
        ("GET", "/accounts", USER, {}),
        ("POST", "/auth/token", PUBLIC, {"json": {"username": i["username"],
                                                   "password": "correct horse battery"}}),
        ("POST", "/auth/logout", USER, {}),
        ("GET", "/me", USER, {}),
        ("PATCH", "/me", USER, {"json": {}}),
        ("GET", f"/accounts/{i['account']}", PUBLIC, {}),
        ("PUT", "/me/preferences", USER, {"json": {"tags": []}}),
        ("GET", "/me/printers", USER, {}),
        ("POST", "/me/printers", USER, {"json": {"kind": "k", "model": "m"}}),
        ("DELETE", f"/me/printers/{i['printer']}", USER, {}),
        ("GET", "/me/referral", USER, {}),
        ("GET", "/me/applications", USER, {}),
        ("POST", "/me/applications", USER, {"json": {"kind": "certified"}}),
        ("GET", "/me/device-keys", USER, {}),
        ("POST", "/me/device-keys", USER, {"json": {"public_key": "A" * 43}}),
        ("POST", f"/me/device-keys/{i['key']}/revoke", USER, {}),
        ("POST", "/photos", USER, {"files": {"file": ("p.jpg", b"x", "image/jpeg")}}),
        ("GET", f"/photos/{i['photo']}", USER, {}),
        ("GET", "/blobs/" + "0" * 64, PUBLIC, {}),
        ("GET", f"/models/{d}", PUBLIC, {}),
        ("PATCH", f"/models/{m}", USER, {"json": {"title": "hijacked"}}),
        ("DELETE", f"/models/{d}", USER, {}),
        ("POST", f"/models/{d}/files", USER, stl),
        ("GET", f"/models/{d}/files", PUBLIC, {}),
        ("POST", f"/models/{m}/versions", USER,
         {"files": [("files", ("m.stl", cube_stl(), "model/stl"))]}),
        ("PUT", f"/models/{m}/photos", USER, {"json": {"photos": []}}),
        ("POST", f"/models/{d}/publish", USER, {}),
        ("GET", "/me/models", USER, {}),
        ("GET", "/me/downloads", USER, {}),
        ("POST", f"/models/{m}/downloads", USER, {}),
        ("POST", f"/models/{m}/profiles", USER, {"json": {}}),
        ("GET", f"/models/{m}/profiles", PUBLIC, {}),
        ("GET", f"/profiles/{p}", PUBLIC, {}),
        ("POST", f"/profiles/{p}/downloads", USER, {}),
        ("POST", "/receipts", USER, {"json": {"receipt": {}, "signature": "x"}}),
        ("POST", "/reviews", USER, {"json": {"model_id": m}}),
        ("GET", f"/reviews/{r}", PUBLIC, {}),
        ("GET", f"/models/{m}/reviews", PUBLIC, {}),
        ("POST", f"/reviews/{r}/votes", USER, {"json": {"helpful": True}}),
        ("GET", "/suggestions", USER, {}),
        ("POST", "/suggestions", USER, {"json": {"text": "t"}}),
        ("POST", f"/suggestions/{i['suggestion']}/implemented", ADMIN, {}),
        ("GET", "/me/balances", USER, {}),
        ("GET", "/me/ledger", USER, {}),
        ("GET", "/me/rewards", USER, {}),
        ("GET", "/me/review-preview", USER, {"params": {"model_id": m}}),
        ("POST", "/me/conversions", USER, {"json": {"spotlight_points": 100,
                                                     "target": "credits"}}),
        ("GET", "/me/withdrawals", USER, {}),
        ("POST", "/me/withdrawals", USER, {"json": {"amount": 1}}),
        ("POST", f"/models/{m}/promotions", USER, {"json": {"tokens": 1}}),
        ("GET", "/store/items", PUBLIC, {}),
        ("POST", "/store/orders", USER, {"json": {"item_id": 1}}),
        ("GET", "/me/orders", USER, {}),
        ("POST", "/reports", USER, {"json": {"target_type": "model", "target_id": m,
                                             "reason": "spam"}}),
        ("GET", "/me/jury-duties", USER, {}),
        ("POST", "/juries/1/votes", USER, {"json": {"vote": "keep", "reason": "ok"}}),
        ("GET", "/moderation/cases", MODERATOR, {}),
        ("POST", "/moderation/cases/1/decision", MODERATOR, {"json": {"outcome": "cleared"}}),
        ("POST", f"/moderation/models/{m}/decision", MODERATOR, {"json": {"approve": True}}),
        ("GET", "/moderation/photos", MODERATOR, {}),
        ("POST", f"/moderation/photos/{i['photo']}/reject", MODERATOR, {}),
        ("POST", f"/moderation/reviews/{r}/revoke-photo-points", MODERATOR, {}),
        ("POST", f"/editor/models/{m}/spotlight", EDITOR, {}),
        ("GET", "/editor/applications", EDITOR, {}),
        ("POST", "/editor/applications/1/decision", EDITOR, {"json": {"approve": False}}),
        ("POST", f"/admin/accounts/{i['account']}/role", ADMIN, {"json": {"role": "admin"}}),
        ("POST", "/admin/store/items", ADMIN, {"json": {"title": "t", "price": 1}}),
        ("POST", "/admin/orders/1/decision", ADMIN, {"json": {"approve": True}}),
        ("POST", "/admin/withdrawals/1/decision", ADMIN, {"json": {"approve": True}}),
        ("POST", "/admin/escalations", ADMIN, {}),
    ]


def _template(path: str) -> str:
    """/models/12/files -> /models/{}/files, to compare with the OpenAPI paths."""
    parts = []
    for part in path.split("/"):
        parts.append("{}" if part.isdigit() or len(part) in (36, 64) else part)
    return "/".join(parts)


def test_the_matrix_covers_every_operation(world: World, sqlite_server: Any) -> None:
    doc = httpx.get(sqlite_server.base_url + "/api/v1/openapi.json").json()
    ops = set()
    for path, methods in doc["paths"].items():
        tpl = "/".join("{}" if s.startswith("{") else s for s in path.split("/"))
        for method in methods:
            ops.add((method.upper(), tpl.removeprefix("/api/v1")))
    covered = {(mth, _template(p)) for mth, p, _, _ in matrix(world.ids)}
    assert ops == covered


def test_anonymous_gets_401_except_on_public_endpoints(world: World) -> None:
    http = world.owner.http
    for method, path, who, kw in matrix(world.ids):
        r = http.request(method, path, **kw)
        if who == PUBLIC:
            assert r.status_code not in (401, 403), (method, path, r.status_code)
        else:
            assert r.status_code == 401, (method, path, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")


def test_wrong_roles_get_403(world: World) -> None:
    callers = {USER: [world.other], MODERATOR: [world.other, world.editor],
               EDITOR: [world.other, world.moderator],
               ADMIN: [world.other, world.moderator, world.editor]}
    for method, path, who, kw in matrix(world.ids):
        if who not in (MODERATOR, EDITOR, ADMIN):
            continue
        for caller in callers[who]:
            r = caller.request(method, path, **kw)
            assert r.status_code == 403, (method, path, caller.username, r.status_code)


def test_another_user_cannot_touch_drafts_models_keys_or_printers(world: World) -> None:
    o, i = world.other, world.ids
    d, m = i["draft"], i["model"]
    stl = {"files": {"file": ("m.stl", cube_stl(), "model/stl")}}
    expectations = [
        ("GET", f"/models/{d}", {}, 404),
        ("GET", f"/models/{d}/files", {}, 404),
        ("GET", f"/models/{d}/profiles", {}, 404),
        ("GET", f"/models/{d}/reviews", {}, 404),
        ("PATCH", f"/models/{d}", {"json": {"title": "mine now"}}, 404),
        ("DELETE", f"/models/{d}", {}, 404),
        ("POST", f"/models/{d}/files", stl, 404),
        ("POST", f"/models/{d}/publish", {}, 404),
        ("PATCH", f"/models/{m}", {"json": {"title": "mine now"}}, 403),
        ("PUT", f"/models/{m}/photos", {"json": {"photos": []}}, 403),
        ("POST", f"/models/{m}/versions",
         {"files": [("files", ("m.stl", cube_stl(), "model/stl"))]}, 403),
        ("POST", f"/models/{m}/promotions", {"json": {"tokens": 1}}, 403),
        ("DELETE", f"/me/printers/{i['printer']}", {}, 404),
        ("POST", f"/me/device-keys/{i['key']}/revoke", {}, 404),
        ("PATCH", "/me", {"json": {"avatar_photo_id": i["photo"]}}, 404),
        ("GET", f"/photos/{i['photo']}", {}, 404),
        ("POST", "/reports", {"json": {"target_type": "model", "target_id": d,
                                       "reason": "spam"}}, 404),
        ("POST", "/reviews", {"json": {"model_id": i["helper_model"], "stars": 5,
                                       "photo_ids": [i["photo"]]}}, 404),
    ]
    for method, path, kw, status in expectations:
        r = o.request(method, path, **kw)
        assert r.status_code == status, (method, path, r.status_code, r.text)
    # and nothing changed
    own = world.owner
    assert own.ok("GET", f"/models/{d}")["title"] == "secret draft"
    assert own.ok("GET", f"/models/{m}")["title"] == "A model"
    assert [p["id"] for p in own.ok("GET", "/me/printers")] == [i["printer"]]
    assert [k["revoked"] for k in own.ok("GET", "/me/device-keys")] == [False]
    assert all(x["id"] != d for x in o.ok("GET", "/models", params={"limit": 100})["items"])
    # the owner cannot vote on their own review, nor report their own model
    assert own.post(f"/reviews/{i['review']}/votes", json={"helpful": True}).status_code == 403
    assert own.post("/reports", json={"target_type": "model", "target_id": m,
                                      "reason": "spam"}).status_code == 403


def test_expired_and_garbage_tokens(world: World) -> None:
    http = world.owner.http
    for header in ("Bearer nope", "Basic abc", "Bearer " + "x" * 500, "Bearer"):
        r = http.get("/me", headers={"Authorization": header})
        assert r.status_code == 401, header


def test_logout_ends_the_token(sqlite_server: Any) -> None:
    with Api(sqlite_server) as api:
        u = api.user()
        u.ok("POST", "/auth/logout")
        assert u.get("/me").status_code == 401
        r = api.http.post("/auth/token", json={"username": u.username,
                                               "password": "correct horse battery"})
        assert r.status_code == 200
        bad = api.http.post("/auth/token", json={"username": u.username, "password": "wrong"})
        assert bad.status_code == 401
