"""The marketplace client against a scripted HTTP server on 127.0.0.1."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from reviews import device_key
from reviews.client import (
    TOKEN_SECRET,
    MalformedAnswerError,
    MarketplaceClient,
    MarketplaceError,
    NotSignedInError,
    ProblemError,
    UnreachableError,
)
from reviews.errors import ReviewsError
from tests.helpers.loopback import LoopbackServer, Reply, Request
from tests.helpers.secrets import MemorySecretStore


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as s:
        yield s


@pytest.fixture
def secrets() -> MemorySecretStore:
    return MemorySecretStore()


@pytest.fixture
def client(server: LoopbackServer, secrets: MemorySecretStore) -> Iterator[MarketplaceClient]:
    with MarketplaceClient(server.url, secrets,
                           timeout=httpx.Timeout(2.0, read=0.5)) as c:
        yield c


def test_login_keeps_the_token_in_the_secret_store_and_uses_it(
        server: LoopbackServer, client: MarketplaceClient, secrets: MemorySecretStore) -> None:
    server.route("POST", "/api/v1/auth/token", lambda r: Reply.json(
        200, {"access_token": "tok-1", "token_type": "bearer"}))
    server.route("GET", "/api/v1/me", lambda r: Reply.json(
        200, {"id": 42, "auth": r.headers.get("authorization")}))
    assert not client.signed_in
    client.login("ada", "correct horse")
    assert secrets.get(TOKEN_SECRET) == "tok-1" and client.signed_in
    login = server.requests[0]
    assert login.json() == {"username": "ada", "password": "correct horse"}
    assert "authorization" not in login.headers
    assert client.account() == {"id": 42, "auth": "Bearer tok-1"}
    client.sign_out()
    assert secrets.get(TOKEN_SECRET) is None


def test_register_with_a_referral_code(server: LoopbackServer, client: MarketplaceClient) -> None:
    server.route("POST", "/api/v1/accounts", lambda r: Reply.json(
        201, {"account": {"id": 7}, "token": "tok-r"}))
    assert client.register("bob", "pw", referral="ADA-42")["account"]["id"] == 7
    assert server.requests[0].json() == {"username": "bob", "password": "pw",
                                         "email": "bob@users.layerline.invalid",
                                         "referral_code": "ADA-42"}
    assert client.token() == "tok-r"


def test_every_post_carries_an_idempotency_key(server: LoopbackServer,
                                               client: MarketplaceClient) -> None:
    server.route("POST", "/api/v1/things", lambda r: Reply.json(201, {"ok": True}))
    client.post("/things", {"a": 1})
    client.post("/things", {"a": 1})
    client.post("/things", {"a": 1}, idempotency_key="fixed-key")
    keys = [r.headers["idempotency-key"] for r in server.requests]
    assert uuid.UUID(keys[0]) and uuid.UUID(keys[1]) and keys[0] != keys[1]
    assert keys[2] == "fixed-key"
    server.route("GET", "/api/v1/things", lambda r: Reply.json(200, []))
    client.get("/things")
    assert "idempotency-key" not in server.requests[-1].headers


def test_problem_details_become_typed_errors(server: LoopbackServer,
                                            client: MarketplaceClient) -> None:
    server.route("GET", "/api/v1/me", lambda r: Reply.json(
        401, {"type": "about:blank", "title": "Unauthorized", "status": 401,
              "detail": "the token expired"}, "application/problem+json"))
    server.route("GET", "/api/v1/me/rewards", lambda r: Reply.json(
        422, {"title": "Unprocessable", "status": 422, "type": "https://x/validation",
              "detail": [{"msg": "field required"}, {"msg": "too long"}]}))
    server.route("GET", "/api/v1/plain", lambda r: Reply(503, b"upstream down"))
    with pytest.raises(NotSignedInError) as err:
        client.account()
    assert (err.value.status, err.value.detail) == (401, "the token expired")
    with pytest.raises(ProblemError) as err2:
        client.rewards()
    assert err2.value.status == 422 and err2.value.type == "https://x/validation"
    assert err2.value.detail == "field required; too long"
    with pytest.raises(ProblemError) as err3:
        client.get("/plain")
    assert err3.value.status == 503 and err3.value.detail == "upstream down"
    with pytest.raises(ProblemError) as err4:
        client.get("/nowhere")
    assert err4.value.status == 404 and err4.value.title == "Not Found"
    assert isinstance(err4.value, MarketplaceError) and isinstance(err4.value, ReviewsError)


def test_malformed_answers_are_typed(server: LoopbackServer, client: MarketplaceClient) -> None:
    server.route("GET", "/api/v1/me", lambda r: Reply(200, b"{not json",
                                                          {"Content-Type": "application/json"}))
    server.route("GET", "/api/v1/me/rewards", lambda r: Reply.json(200, [1, 2]))
    server.route("POST", "/api/v1/auth/token", lambda r: Reply.json(200, {"no": "token"}))
    with pytest.raises(MalformedAnswerError):
        client.account()
    with pytest.raises(MalformedAnswerError):
        client.rewards()
    with pytest.raises(MalformedAnswerError):
        client.login("a", "b")
    assert client.token() is None
    server.route("DELETE", "/api/v1/x", lambda r: Reply(204))
    assert client.request("DELETE", "/x") is None


def test_unreachable_slow_and_dropping_services(server: LoopbackServer,
                                               client: MarketplaceClient,
                                               secrets: MemorySecretStore) -> None:
    server.route("GET", "/api/v1/slow", lambda r: Reply(200, b"{}", stall=5))
    server.route("GET", "/api/v1/drop", lambda r: Reply(drop=True))
    with pytest.raises(UnreachableError, match="in time"):
        client.get("/slow")
    with pytest.raises(UnreachableError, match="cannot be reached"):
        client.get("/drop")
    with LoopbackServer() as gone:
        url = gone.url
    with MarketplaceClient(url, secrets) as nobody, pytest.raises(UnreachableError):
        nobody.get("/api/v1/me")


def test_register_the_device_key(server: LoopbackServer, client: MarketplaceClient,
                                 secrets: MemorySecretStore) -> None:
    secrets.set(TOKEN_SECRET, "tok")
    key = device_key.load_or_create(secrets)

    def store(r: Request) -> Reply:
        return Reply.json(201, {"id": "k-1", "public_key": r.json()["public_key"],
                                "revoked": False})

    server.route("POST", "/api/v1/me/device-keys", store)
    assert client.register_device_key(key, "desk")["id"] == "k-1"
    sent = server.requests[0]
    assert sent.json() == {"public_key": key.public_key_b64, "name": "desk"}
    assert sent.headers["authorization"] == "Bearer tok"
