"""Print receipts, checked exactly as REWARDS.md section 9 defines them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from marketplace import receipts
from tests.marketplace.client import Api, FakeClock, b64url


def test_canonical_bytes_sorted_compact_utf8_without_signature() -> None:
    obj = {"b": 1, "a": "é", "signature": "x"}
    assert receipts.canonical_bytes(obj) == '{"a":"é","b":1}'.encode()


def test_accepted_receipt_and_replay_refused(api: Api, clock: FakeClock) -> None:
    creator, u = api.user(), api.user()
    m = creator.model()
    env = u.receipt(clock(), model_id=m)
    r = u.post("/receipts", json=env)
    assert r.status_code == 201, r.text
    assert r.json()["confirmed"] is True
    # The same signed receipt again (another request, not a retry) is the one
    # already held: answered, not counted twice.
    again = u.post("/receipts", json=env)
    assert again.status_code == 200, again.text
    assert again.json()["already_held"] is True and again.json()["confirmed"] is True
    # A different receipt under a known id is a replay.
    forged = u.sign({**env["receipt"], "verdict": "bad"})
    replay = u.post("/receipts", json=forged)
    assert replay.status_code == 409
    assert replay.json()["code"] == "replayed_receipt"
    other = api.user()
    other.register_key()
    stolen = other.post("/receipts", json=env)  # another account: not its receipt
    assert stolen.status_code == 422 and stolen.json()["code"] == "wrong_account"
    model = api.http.get(f"/models/{m}").json()
    assert (model["print_attempts"], model["print_successes"]) == (1, 1)


def test_a_receipt_sent_alone_then_attached_to_a_review_backs_it(
        api: Api, clock: FakeClock) -> None:
    """The desktop app sends every receipt on its own (so that every print
    counts) and attaches the same envelope to the review written about it."""
    creator, u = api.user(), api.user()
    m = creator.model()
    env = u.receipt(clock(), model_id=m)
    assert u.post("/receipts", json=env).status_code == 201
    review = u.ok("POST", "/reviews", json={"model_id": m, "stars": 5, "receipt": env})
    assert review["confirmed_print"] is True
    assert review["receipt_id"] == env["receipt"]["receipt_id"]
    creds = [e for e in u.ok("GET", "/me/ledger") if e["reason"] == "cred_confirmed_review"]
    assert len(creds) == 1
    # The other order: attached first, then the standalone copy arrives.
    m2 = creator.model()
    env2 = u.receipt(clock(), model_id=m2)
    assert u.ok("POST", "/reviews", json={"model_id": m2, "stars": 4,
                                          "receipt": env2})["confirmed_print"] is True
    late = u.post("/receipts", json=env2)
    assert late.status_code == 200 and late.json()["already_held"] is True
    for mid in (m, m2):
        model = api.http.get(f"/models/{mid}").json()
        assert (model["print_attempts"], model["print_successes"]) == (1, 1)
    # A receipt backs one review only.
    again = u.post("/reviews", json={"model_id": m, "stars": 3, "receipt": env})
    assert again.status_code == 409 and again.json()["code"] == "receipt_used"


def test_failed_or_bad_verdict_is_not_a_confirmed_success(api: Api, clock: FakeClock) -> None:
    creator, u = api.user(), api.user()
    m = creator.model()
    for state, verdict in (("failed", None), ("completed", "bad"), ("completed", None),
                           ("interrupted", None), ("cancelled", None)):
        r = u.ok("POST", "/receipts", json=u.receipt(clock(), model_id=m, job_state=state,
                                                     verdict=verdict))
        assert r["confirmed"] is False
    model = api.http.get(f"/models/{m}").json()
    # cancelled is not an attempt; failed, interrupted and the two completed ones are
    assert (model["print_attempts"], model["print_successes"]) == (4, 0)


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda o: o.update(lines_confirmed=5), "bad_signature"),  # signed, then tampered
        (lambda o: o.update(account=999999), "wrong_account"),
        (lambda o: o.update(device_key_id="nope"), "unknown_key"),
        (lambda o: o.update(job_state="exploded"), "bad_receipt"),
        (lambda o: o.update(receipt_id="not-a-uuid"), "bad_receipt"),
        (lambda o: o.pop("verdict"), "bad_receipt"),
        (lambda o: o.update(started_at="2026-03-10T12:00:00+02:00"), "bad_receipt"),
    ],
)
def test_refusals(api: Api, clock: FakeClock, mutate: object, code: str) -> None:
    u = api.user()
    env = u.receipt(clock())
    assert callable(mutate)
    mutate(env["receipt"])
    if code != "bad_signature":
        env = u.sign(env["receipt"])  # correctly signed, wrong content
    r = u.post("/receipts", json=env)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code


def test_times_checked(api: Api, clock: FakeClock) -> None:
    u = api.user()
    now = clock()
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    backwards = u.receipt(now, started_at=now.strftime(fmt),
                          ended_at=(now - timedelta(minutes=5)).strftime(fmt))
    assert u.post("/receipts", json=backwards).json()["code"] == "bad_times"
    future = u.receipt(now, started_at=now.strftime(fmt),
                       ended_at=(now + timedelta(minutes=6)).strftime(fmt))
    assert u.post("/receipts", json=future).json()["code"] == "future_receipt"
    near = u.receipt(now, started_at=now.strftime(fmt),
                     ended_at=(now + timedelta(minutes=4)).strftime(fmt))
    assert u.post("/receipts", json=near).status_code == 201


def test_revoked_key_and_someone_elses_key(api: Api, clock: FakeClock) -> None:
    u, other = api.user(), api.user()
    kid = u.register_key()
    other.register_key()
    env = u.receipt(clock())
    # another account cannot use u's key, nor revoke it
    assert other.post(f"/me/device-keys/{kid}/revoke").status_code == 404
    obj = dict(env["receipt"], account=other.id)
    stolen = other.sign(obj)
    stolen["receipt"]["device_key_id"] = kid
    stolen = other.sign(stolen["receipt"])
    assert other.post("/receipts", json=stolen).json()["code"] == "unknown_key"
    u.ok("POST", f"/me/device-keys/{kid}/revoke")
    r = u.post("/receipts", json=env)
    assert r.json()["code"] == "revoked_key"
    assert [k["revoked"] for k in u.ok("GET", "/me/device-keys")] == [True]


def test_bad_public_key_refused(api: Api) -> None:
    u = api.user()
    r = u.post("/me/device-keys", json={"public_key": b64url(b"x" * 31) + "AAAAAAAAAAAAA"})
    assert r.status_code == 422


def test_review_backed_by_confirmed_print_gets_badge_and_cred(api: Api, clock: FakeClock
                                                               ) -> None:
    creator, u = api.user(), api.user()
    m = creator.model()
    u.register_key()  # today's activity token is paid here
    cred0 = u.balances()["cred_tokens"]
    out = u.ok("POST", "/reviews", json={"model_id": m, "stars": 5,
                                         "receipt": u.receipt(clock(), model_id=m)})
    assert out["confirmed_print"] is True
    assert u.balances()["cred_tokens"] == cred0 + 3
    # the receipt is now used: it cannot back another review
    r = u.post("/reviews", json={"model_id": m, "stars": 4, "receipt_id": out["receipt_id"]})
    assert r.status_code == 409


def test_receipt_for_another_model_cannot_back_a_review(api: Api, clock: FakeClock) -> None:
    creator, u = api.user(), api.user()
    m1, m2 = creator.model(), creator.model()
    rid = u.ok("POST", "/receipts", json=u.receipt(clock(), model_id=m1))["receipt_id"]
    r = u.post("/reviews", json={"model_id": m2, "stars": 5, "receipt_id": rid})
    assert r.status_code == 422
    other = api.user()
    assert other.post("/reviews", json={"model_id": m1, "stars": 5,
                                        "receipt_id": rid}).status_code == 404


def test_receipt_json_round_trip_is_stored_canonically(api: Api, clock: FakeClock) -> None:
    u = api.user()
    env = u.receipt(clock(), verdict_reason="Schön glatt")
    u.ok("POST", "/receipts", json=env)
    assert json.loads(receipts.canonical_bytes(env["receipt"]))["verdict_reason"] == "Schön glatt"
