"""Caps, idempotency and balances hold under simultaneous requests, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.marketplace.client import Api, Server

DESC = "Solid print, dimensions spot on, would print again."


@pytest.fixture
def sapi(server: Server) -> Iterator[Api]:
    with Api(server) as a:
        yield a


def all_at_once(n: int, fn: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """Run ``fn`` n times on n threads released together by a barrier."""
    barrier = threading.Barrier(n, timeout=120)

    def run(i: int) -> httpx.Response:
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_fifty_simultaneous_reviews_end_exactly_at_the_cap(sapi: Api) -> None:
    creator, reviewer = sapi.user(), sapi.user()
    models = [creator.model(origin="imported") for _ in range(50)]
    with httpx.Client(base_url=sapi.server.base_url + "/api/v1", timeout=120,
                      limits=httpx.Limits(max_connections=60)) as http:
        results = all_at_once(50, lambda i: http.post(
            "/reviews", headers=reviewer.headers,
            json={"model_id": models[i], "stars": 5, "description": DESC}))
    assert [r.status_code for r in results] == [201] * 50, [r.text for r in results
                                                             if r.status_code != 201][:3]
    paid = sorted(r.json()["points"]["paid"] for r in results)
    assert sum(paid) == 70  # each review offers 6: 11 full, one of 4, the rest nothing
    assert paid.count(6) == 11 and paid.count(4) == 1
    assert reviewer.balances()["standard"] == 70
    assert reviewer.ok("GET", "/me/rewards")["caps"]["review"]["used"] == 70


def test_same_idempotency_key_twenty_times_creates_one_review(sapi: Api) -> None:
    creator, reviewer = sapi.user(), sapi.user()
    m = creator.model()
    headers = {**reviewer.headers, "Idempotency-Key": "review-once-1"}
    with httpx.Client(base_url=sapi.server.base_url + "/api/v1", timeout=120,
                      limits=httpx.Limits(max_connections=30)) as http:
        results = all_at_once(20, lambda i: http.post(
            "/reviews", headers=headers, json={"model_id": m, "stars": 4, "description": DESC}))
    assert [r.status_code for r in results] == [201] * 20
    assert len({r.json()["id"] for r in results}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in results) == 19
    assert len(sapi.http.get(f"/models/{m}/reviews").json()) == 1
    assert reviewer.balances()["standard"] == 6


def test_idempotency_key_reused_for_another_request_is_refused(sapi: Api) -> None:
    u = sapi.user()
    h = {"Idempotency-Key": "k-1"}
    first = u.post("/suggestions", json={"text": "a"}, headers=h)
    again = u.post("/suggestions", json={"text": "a"}, headers=h)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = u.post("/me/printers", json={"kind": "x", "model": "y"}, headers=h)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    # keys are per account: another account may use the same key
    assert sapi.user().post("/suggestions", json={"text": "b"}, headers=h).status_code == 201


def test_anonymous_idempotency_keys_never_replay_someone_elses_answer(sapi: Api) -> None:
    h = {"Idempotency-Key": "signup"}
    first = sapi.http.post("/accounts", headers=h, json={
        "username": "idem_a_" + str(id(sapi))[-6:], "email": f"a{id(sapi)}@x.invalid",
        "password": "first password"})
    assert first.status_code == 201
    same = sapi.http.post("/accounts", headers=h, json=json.loads(first.request.content))
    assert same.json()["token"] == first.json()["token"]  # a true retry
    other = sapi.http.post("/accounts", headers=h, json={
        "username": "idem_b_" + str(id(sapi))[-6:], "email": f"b{id(sapi)}@x.invalid",
        "password": "second password"})
    assert other.status_code == 422
    assert "token" not in other.json()


def test_redemptions_never_exceed_the_balance(sapi: Api) -> None:
    u = sapi.user()
    u.model()  # 40 points
    items = sapi.http.get("/store/items").json()
    cheapest = min(items, key=lambda i: i["price"])
    assert cheapest["price"] == 50
    creator = sapi.user()
    for m in [creator.model(origin="imported") for _ in range(6)]:
        u.ok("POST", "/reviews", json={"model_id": m, "stars": 5, "description": DESC})
    assert u.balances()["standard"] == 76
    with httpx.Client(base_url=sapi.server.base_url + "/api/v1", timeout=120) as http:
        results = all_at_once(10, lambda i: http.post(
            "/store/orders", headers=u.headers, json={"item_id": cheapest["id"]}))
    codes = sorted(r.status_code for r in results)
    assert codes == [201] + [409] * 9
    assert u.balances()["standard"] == 26


def test_promotion_caps_hold_under_concurrency(sapi: Api) -> None:
    u = sapi.user()
    ms = [u.model(origin="imported") for _ in range(4)]  # 4 x 5 cred + 1 for the day = 21
    assert u.balances()["cred_tokens"] == 21
    with httpx.Client(base_url=sapi.server.base_url + "/api/v1", timeout=120) as http:
        results = all_at_once(8, lambda i: http.post(
            f"/models/{ms[i % 4]}/promotions", headers=u.headers, json={"tokens": 5}))
    ok = [r for r in results if r.status_code == 201]
    assert len(ok) == 4  # 21 tokens buy four spends of 5
    assert all(r.status_code == 409 for r in results if r.status_code != 201)
    assert u.balances()["cred_tokens"] == 1




def test_same_photo_from_many_accounts_at_once(sapi: Api) -> None:
    from marketplace.demo import demo_photo

    users = [sapi.user() for _ in range(10)]
    data = demo_photo(31337)
    with httpx.Client(base_url=sapi.server.base_url + "/api/v1", timeout=120) as http:
        results = all_at_once(10, lambda i: http.post(
            "/photos", headers=users[i].headers, files={"file": ("p.jpg", data, "image/jpeg")}))
    assert [r.status_code for r in results] == [201] * 10, [r.text for r in results]
    assert len({r.json()["sha256"] for r in results}) == 1
