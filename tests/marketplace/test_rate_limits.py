"""Write requests are rate limited per account and per client address (429 + Retry-After).

The buckets refill at 0.01 token/s (one per 100 s) so that no refill happens
between the requests of a test, however loaded the machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from marketplace.config import Config
from marketplace.ratelimit import Buckets, Limit, RateLimitedError
from tests.marketplace.client import Api, FakeClock, Server
from tests.marketplace.conftest import start_server, stop_server

SLOW = 0.01  # tokens per second


def _server(root: Path, clock: FakeClock, account: Limit, ip: Limit) -> Iterator[Server]:
    config = Config(database_url=f"sqlite:///{root / 'm.db'}", storage=root / "s",
                    fast_hashing=True, clock=clock, write_limit_account=account,
                    write_limit_ip=ip)
    srv, server, thread = start_server(config)
    try:
        yield srv
    finally:
        stop_server(srv, server, thread)


@pytest.fixture(scope="module")
def account_limited(tmp_path_factory: pytest.TempPathFactory,
                    clock: FakeClock) -> Iterator[Server]:
    yield from _server(tmp_path_factory.mktemp("mp-rl-acct"), clock,
                       account=Limit(SLOW, 3), ip=Limit(0, 0))


@pytest.fixture(scope="module")
def ip_limited(tmp_path_factory: pytest.TempPathFactory, clock: FakeClock) -> Iterator[Server]:
    yield from _server(tmp_path_factory.mktemp("mp-rl-ip"), clock,
                       account=Limit(0, 0), ip=Limit(SLOW, 4))


def assert_429(r: httpx.Response) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    retry = int(r.headers["retry-after"])
    assert 1 <= retry <= 100
    body = r.json()
    assert body["status"] == 429 and body["code"] == "rate_limited"
    assert body["retry_after"] == retry


def test_each_account_has_its_own_write_budget(account_limited: Server) -> None:
    with Api(account_limited) as api:
        a, b = api.user(), api.user()
        for i in range(3):
            a.ok("POST", "/suggestions", json={"text": f"idea {i}"})
        assert_429(a.post("/suggestions", json={"text": "one too many"}))
        assert_429(a.put("/me/preferences", json={"tags": ["pla"]}))  # every write method
        assert a.get("/me").status_code == 200  # reads are not limited
        # the refused writes changed nothing
        assert [s["text"] for s in a.ok("GET", "/suggestions")] == [
            "idea 2", "idea 1", "idea 0"]
        # another account from the same address writes on
        b.ok("POST", "/suggestions", json={"text": "mine"})


def test_each_address_has_its_own_write_budget(ip_limited: Server) -> None:
    with Api(ip_limited) as api:
        users = [api.user() for _ in range(3)]  # three registrations: three writes
        users[0].ok("POST", "/suggestions", json={"text": "fourth write"})
        assert_429(users[1].post("/suggestions", json={"text": "fifth"}))
        assert_429(api.http.post("/accounts", json={
            "username": "late", "email": "late@example.invalid",
            "password": "correct horse battery"}))  # anonymous writes count too
        assert api.http.get("/models").status_code == 200


def test_buckets_refill_with_time() -> None:
    now = [0.0]
    buckets = Buckets(Limit(rate=0.5, burst=2), "account", clock=lambda: now[0])
    buckets.take("a")
    buckets.take("a")
    with pytest.raises(RateLimitedError) as err:
        buckets.take("a")
    assert err.value.retry_after == 2  # one token takes 2 s at 0.5/s
    buckets.take("b")  # keys are independent
    now[0] += 2.0
    buckets.take("a")
    with pytest.raises(RateLimitedError):
        buckets.take("a")
    now[0] += 100.0  # refills up to the burst, not beyond
    buckets.take("a")
    buckets.take("a")
    with pytest.raises(RateLimitedError):
        buckets.take("a")


def test_idle_buckets_are_forgotten() -> None:
    now = [0.0]
    buckets = Buckets(Limit(rate=1.0, burst=1), "address", clock=lambda: now[0])
    buckets.MAX_KEYS = 10
    for i in range(11):
        buckets.take(f"10.0.0.{i}")
    now[0] += 5.0
    buckets.take("10.0.1.1")  # past the bound: the full (idle) buckets go
    assert len(buckets._state) <= 10
    Buckets(Limit(rate=0, burst=0), "off").take("x")  # a rate of 0 turns the limit off
