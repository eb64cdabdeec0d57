from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from reviews import device_key
from reviews.errors import ReceiptError
from reviews.receipts import (
    FIELDS,
    PrinterInfo,
    Receipt,
    b64url_decode,
    b64url_encode,
    canonical_bytes,
    file_sha256,
    format_time,
    new_receipt,
    parse_envelope_json,
    parse_time,
    receipt_from_dict,
    verify_envelope,
)
from tests.helpers.secrets import MemorySecretStore

T0 = datetime(2026, 11, 23, 14, 0, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 23, 15, 30, 5, 250000, tzinfo=UTC)
SHA = "ab" * 32


def make(key_id: str = "ed25519-00", **over: Any) -> Receipt:
    fields: dict[str, Any] = dict(
        receipt_id="6f1c7a5e-8a3b-4f0e-9d2c-1b2a3c4d5e6f", account="u-42", device_key_id=key_id,
        file_sha256=SHA, model_id=17, profile_id=None,
        printer=PrinterInfo("marlin-serial", "Marlin 2.1.2 (Ünïcode build)"),
        started_at=T0, ended_at=T1, job_state="completed", failure_reason=None,
        lines_confirmed=12345, verdict="good", verdict_reason="Schön glatt — 完璧",
    )
    fields.update(over)
    return Receipt(**fields)


@pytest.fixture
def key() -> device_key.DeviceKey:
    return device_key.load_or_create(MemorySecretStore())


def lookup_for(key: device_key.DeviceKey, account: object = "u-42"):  # type: ignore[no-untyped-def]
    def public_key_for(acc: object, key_id: str) -> bytes | None:
        if acc == account and key_id == key.key_id:
            return key.public_key_raw
        return None
    return public_key_for


NOW = T1 + timedelta(minutes=1)


# ------------------------------------------------------------ canonical bytes
def test_canonical_bytes_are_byte_exact_with_non_ascii() -> None:
    expected = (
        '{"account":"u-42","device_key_id":"ed25519-00","ended_at":"2026-11-23T15:30:05.250Z",'
        '"failure_reason":null,"file_sha256":"' + SHA + '","job_state":"completed",'
        '"lines_confirmed":12345,"model_id":17,'
        '"printer":{"firmware":"Marlin 2.1.2 (Ünïcode build)","kind":"marlin-serial"},'
        '"profile_id":null,"receipt_id":"6f1c7a5e-8a3b-4f0e-9d2c-1b2a3c4d5e6f",'
        '"started_at":"2026-11-23T14:00:00.000Z","verdict":"good",'
        '"verdict_reason":"Schön glatt — 完璧"}'
    ).encode()
    assert make().canonical_bytes() == expected
    # Non-ASCII is written as UTF-8, never as \u escapes.
    assert "完璧".encode() in expected and b"\\u" not in expected


def test_canonical_bytes_leave_the_signature_out() -> None:
    obj = make().to_dict()
    assert canonical_bytes({**obj, "signature": "x"}) == canonical_bytes(obj)


def test_canonical_bytes_refuse_nan_and_lone_surrogates() -> None:
    with pytest.raises(ReceiptError):
        canonical_bytes({"x": float("nan")})
    with pytest.raises(ReceiptError):
        canonical_bytes({"x": "\ud800"})


# ------------------------------------------------------------ signing and verifying
def test_a_signed_receipt_verifies_and_parses_back(key: device_key.DeviceKey) -> None:
    receipt = make(key.key_id)
    envelope = key.sign_receipt(receipt)
    assert set(envelope) == {"receipt", "signature"}
    assert "=" not in envelope["signature"] and len(b64url_decode(envelope["signature"])) == 64
    assert verify_envelope(envelope, public_key_for=lookup_for(key), now=NOW) == receipt


def test_the_envelope_survives_the_wire_in_any_json_spelling(key: device_key.DeviceKey) -> None:
    envelope = key.sign_receipt(make(key.key_id))
    for wire in (json.dumps(envelope), json.dumps(envelope, ensure_ascii=False, indent=2)):
        received = parse_envelope_json(wire.encode())
        verify_envelope(received, public_key_for=lookup_for(key), now=NOW)


TAMPERED: dict[str, Any] = {
    "receipt_id": "6f1c7a5e-8a3b-4f0e-9d2c-1b2a3c4d5e70",
    "account": "u-43",
    "device_key_id": "ed25519-ff",
    "file_sha256": "cd" * 32,
    "model_id": 18,
    "profile_id": 3,
    "printer": {"kind": "octoprint", "firmware": "Marlin 2.1.2 (Ünïcode build)"},
    "started_at": "2026-11-23T14:00:01.000Z",
    "ended_at": "2026-11-23T15:30:05.251Z",
    "job_state": "failed",
    "failure_reason": "thermal runaway",
    "lines_confirmed": 12346,
    "verdict": "bad",
    "verdict_reason": "Schon glatt — 完璧",
}


@pytest.mark.parametrize("field", FIELDS)
def test_tampering_any_field_breaks_the_signature(key: device_key.DeviceKey, field: str) -> None:
    assert set(TAMPERED) == set(FIELDS)
    envelope = key.sign_receipt(make(key.key_id))
    envelope["receipt"][field] = TAMPERED[field]
    # The lookup accepts any key id/account so that the signature itself is tested.
    with pytest.raises(ReceiptError) as err:
        verify_envelope(envelope, public_key_for=lambda _a, _k: key.public_key_raw, now=NOW)
    assert err.value.code == "bad_signature"


def test_a_tampered_signature_or_another_key_fails(key: device_key.DeviceKey) -> None:
    envelope = key.sign_receipt(make(key.key_id))
    sig = bytearray(b64url_decode(envelope["signature"]))
    sig[10] ^= 1
    bad = {**envelope, "signature": b64url_encode(bytes(sig))}
    with pytest.raises(ReceiptError, match="does not verify"):
        verify_envelope(bad, public_key_for=lookup_for(key), now=NOW)
    other = device_key.load_or_create(MemorySecretStore())
    with pytest.raises(ReceiptError) as err:
        verify_envelope(envelope, public_key_for=lambda _a, _k: other.public_key_raw, now=NOW)
    assert err.value.code == "bad_signature"


@pytest.mark.parametrize("signature", [
    "", "abc", "A" * 85 + "=", "A" * 86 + "==", "+" * 86, "A" * 84, "A" * 85 + "B",
])
def test_malformed_signatures_are_refused(key: device_key.DeviceKey, signature: str) -> None:
    envelope = {**key.sign_receipt(make(key.key_id)), "signature": signature}
    with pytest.raises(ReceiptError):
        verify_envelope(envelope, public_key_for=lookup_for(key), now=NOW)


def test_unregistered_or_foreign_keys_are_refused(key: device_key.DeviceKey) -> None:
    envelope = key.sign_receipt(make(key.key_id))
    for lookup in (lambda _a, _k: None, lookup_for(key, account="someone-else")):
        with pytest.raises(ReceiptError) as err:
            verify_envelope(envelope, public_key_for=lookup, now=NOW)
        assert err.value.code == "unknown_key"


def test_a_receipt_naming_another_key_is_not_signed(key: device_key.DeviceKey) -> None:
    with pytest.raises(ReceiptError, match="names the key"):
        key.sign_receipt(make("ed25519-other"))


# ------------------------------------------------------------ replays and clocks
def test_a_replayed_receipt_is_refused(key: device_key.DeviceKey) -> None:
    seen: set[str] = set()
    envelope = key.sign_receipt(make(key.key_id))
    receipt = verify_envelope(envelope, public_key_for=lookup_for(key), now=NOW,
                              seen=seen.__contains__)
    seen.add(receipt.receipt_id)
    with pytest.raises(ReceiptError) as err:
        verify_envelope(envelope, public_key_for=lookup_for(key), now=NOW,
                        seen=seen.__contains__)
    assert err.value.code == "replay"


def test_new_receipts_never_reuse_an_id(key: device_key.DeviceKey) -> None:
    ids = {
        new_receipt(account=1, device_key_id=key.key_id, file_sha256=SHA,
                    printer=PrinterInfo("octoprint", "1.11"), started_at=T0, ended_at=T1,
                    job_state="cancelled", now=NOW).receipt_id
        for _ in range(200)
    }
    assert len(ids) == 200


def test_times_more_than_five_minutes_ahead_are_refused(key: device_key.DeviceKey) -> None:
    envelope = key.sign_receipt(make(key.key_id))
    lookup = lookup_for(key)
    # ended_at is T1: accepted while it is at most 5 minutes ahead of "now".
    verify_envelope(envelope, public_key_for=lookup, now=T1 - timedelta(minutes=5))
    with pytest.raises(ReceiptError) as err:
        verify_envelope(envelope, public_key_for=lookup, now=T1 - timedelta(minutes=5, seconds=1))
    assert err.value.code == "future"
    # The client refuses to write such a receipt in the first place.
    with pytest.raises(ReceiptError) as err:
        new_receipt(account=1, device_key_id=key.key_id, file_sha256=SHA,
                    printer=PrinterInfo("octoprint", ""), started_at=T0,
                    ended_at=NOW + timedelta(minutes=6), job_state="completed", now=NOW)
    assert err.value.code == "future"


def test_ended_at_must_be_after_started_at() -> None:
    for end in (T0, T0 - timedelta(seconds=1)):
        with pytest.raises(ReceiptError) as err:
            make(ended_at=end)
        assert err.value.code == "time_order"
    obj = make().to_dict()
    obj["ended_at"] = obj["started_at"]
    with pytest.raises(ReceiptError) as err:
        receipt_from_dict(obj)
    assert err.value.code == "time_order"


def test_times_are_rfc3339_utc() -> None:
    assert format_time(T1) == "2026-11-23T15:30:05.250Z"
    cet = timezone(timedelta(hours=1))
    assert format_time(datetime(2026, 11, 23, 16, 30, 5, 250999, tzinfo=cet)) == \
        "2026-11-23T15:30:05.250Z"
    assert parse_time("2026-11-23T15:30:05Z") == T1.replace(microsecond=0)
    assert parse_time("2026-11-23t15:30:05.25+00:00") == T1
    assert parse_time("2026-11-23T15:30:05.250000999Z") == T1
    for bad in ("2026-11-23T16:30:05+01:00", "2026-11-23T15:30:05", "2026-11-23",
                "20261123T153005Z", "2026-02-30T00:00:00Z", "2026-11-23 15:30:05Z", 5, None):
        with pytest.raises(ReceiptError):
            parse_time(bad)
    with pytest.raises(ReceiptError):
        format_time(datetime(2026, 1, 1))  # naive
    with pytest.raises(ReceiptError):
        make(started_at=datetime(2026, 11, 23, 14))


# ------------------------------------------------------------ field validation
@pytest.mark.parametrize(("field", "value"), [
    ("receipt_id", "not-a-uuid"),
    ("receipt_id", "6F1C7A5E-8A3B-4F0E-9D2C-1B2A3C4D5E6F"),
    ("receipt_id", "6f1c7a5e8a3b4f0e9d2c1b2a3c4d5e6f"),
    ("account", ""), ("account", True), ("account", None), ("account", 1.5), ("account", -1),
    ("device_key_id", ""), ("device_key_id", None),
    ("file_sha256", "AB" * 32), ("file_sha256", "ab" * 31), ("file_sha256", None),
    ("model_id", 2.0), ("model_id", "x" * 201), ("profile_id", False),
    ("printer", {"kind": "Marlin Serial", "firmware": ""}),
    ("printer", {"kind": "octoprint"}),
    ("printer", {"kind": "octoprint", "firmware": None}),
    ("printer", {"kind": "octoprint", "firmware": "", "extra": 1}),
    ("printer", "marlin-serial"),
    ("started_at", "2026-11-23T14:00:00"), ("ended_at", 1764000000),
    ("job_state", "succeeded"), ("job_state", None), ("job_state", "COMPLETED"),
    ("failure_reason", 3), ("failure_reason", "x" * 2001),
    ("lines_confirmed", -1), ("lines_confirmed", True), ("lines_confirmed", "12"),
    ("verdict", "ok"), ("verdict", True), ("verdict_reason", ["x"]),
])
def test_invalid_fields_are_refused_with_a_clear_error(field: str, value: object) -> None:
    obj = make().to_dict()
    obj[field] = value
    with pytest.raises(ReceiptError) as err:
        receipt_from_dict(obj)
    assert err.value.code == "malformed"


def test_missing_and_unknown_fields_are_refused() -> None:
    obj = make().to_dict()
    del obj["verdict"]
    with pytest.raises(ReceiptError, match="lacks verdict"):
        receipt_from_dict(obj)
    with pytest.raises(ReceiptError, match="unknown fields: photo"):
        receipt_from_dict({**make().to_dict(), "photo": "x"})
    with pytest.raises(ReceiptError):
        receipt_from_dict(["not", "an", "object"])


def test_every_state_verdict_and_id_type_round_trips() -> None:
    for state in ("completed", "failed", "cancelled", "interrupted"):
        for verdict in ("good", "bad", None):
            r = make(job_state=state, verdict=verdict, account=7, model_id="m-1",
                     profile_id=None, lines_confirmed=None)
            assert receipt_from_dict(json.loads(r.canonical_bytes())) == r
    assert make().is_confirmed_success
    assert not make(verdict="bad").is_confirmed_success
    assert not make(job_state="failed").is_confirmed_success
    assert make().with_verdict("bad", "stringing").verdict_reason == "stringing"


def test_envelopes_with_duplicate_keys_or_junk_are_refused(key: device_key.DeviceKey) -> None:
    text = json.dumps(key.sign_receipt(make(key.key_id)))
    dup = text.replace('"verdict": "good"', '"verdict": "bad", "verdict": "good"')
    assert dup != text
    with pytest.raises(ReceiptError, match="duplicate"):
        parse_envelope_json(dup)
    for junk in (b"[1]", b"{", b'{"x": NaN}', b"\xff\xfe"):
        with pytest.raises(ReceiptError):
            parse_envelope_json(junk)
    for envelope in ({}, {"receipt": {}}, {**json.loads(text), "extra": 1},
                     {**json.loads(text), "signature": 5}):
        with pytest.raises(ReceiptError):
            verify_envelope(envelope, public_key_for=lookup_for(key), now=NOW)


def test_file_sha256(tmp_path: Path) -> None:
    path = tmp_path / "part.gcode"
    path.write_bytes(b"G28\n")
    import hashlib
    assert file_sha256(path) == hashlib.sha256(b"G28\n").hexdigest()


# ------------------------------------------------------------ a known-answer vector
VECTOR = Path(__file__).with_name("data") / "receipt_vector.json"


def test_the_known_answer_vector_holds() -> None:
    """tests/reviews/data/receipt_vector.json pins the whole format (canonical
    bytes, key id, signature encoding) so that the service can test its own
    verification against the same bytes."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    vector = json.loads(VECTOR.read_text(encoding="utf-8"))
    key = device_key.DeviceKey(
        Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vector["private_key_hex"])))
    assert key.public_key_raw.hex() == vector["public_key_hex"]
    assert key.key_id == vector["device_key_id"]
    receipt = receipt_from_dict(vector["envelope"]["receipt"])
    assert receipt.canonical_bytes() == vector["canonical_bytes_utf8"].encode("utf-8")
    assert key.sign_receipt(receipt) == vector["envelope"]
    # Independently of this package: the RFC 8032 public key verifies the
    # signature over the stated bytes.
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(vector["public_key_hex"])).verify(
        b64url_decode(vector["envelope"]["signature"]),
        vector["canonical_bytes_utf8"].encode("utf-8"))
    assert verify_envelope(vector["envelope"], now=NOW,
                           public_key_for=lambda a, k: key.public_key_raw) == receipt


# ------------------------------------------------------------ any text, any id
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_SIGNER = device_key.load_or_create(MemorySecretStore())
_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)


@settings(max_examples=150, deadline=None)
@given(reason=st.none() | _text, firmware=_text, account=st.integers(0, 2**63) | _text.filter(bool),
       model=st.none() | st.integers(0, 2**63), lines=st.none() | st.integers(0, 2**40))
def test_any_receipt_survives_json_and_verifies(reason: str | None, firmware: str,
                                                account: int | str, model: int | None,
                                                lines: int | None) -> None:
    receipt = make(_SIGNER.key_id, verdict_reason=reason, failure_reason=reason, account=account,
                   model_id=model, lines_confirmed=lines,
                   printer=PrinterInfo("octoprint", firmware))
    envelope = _SIGNER.sign_receipt(receipt)
    wire = json.dumps(envelope)  # ASCII escapes on the wire: the same object after parsing
    back = verify_envelope(parse_envelope_json(wire), now=NOW,
                           public_key_for=lambda a, k: _SIGNER.public_key_raw)
    assert back == receipt
    assert back.canonical_bytes() == receipt.canonical_bytes()
