"""Print receipts (REWARDS.md section 9): canonical bytes and Ed25519 checks.

The checks that need no database live here; key ownership, revocation and
replays are checked by the caller against the database.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from marketplace.errors import ApiError, unprocessable
from marketplace.rules import JOB_STATES, RECEIPT_FUTURE_TOLERANCE

FIELDS = (
    "receipt_id", "account", "device_key_id", "file_sha256", "model_id", "profile_id",
    "printer", "started_at", "ended_at", "job_state", "failure_reason", "lines_confirmed",
    "verdict", "verdict_reason",
)


def canonical_bytes(receipt: dict[str, Any]) -> bytes:
    body = {k: v for k, v in receipt.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def b64url_decode(text: str) -> bytes:
    pad = "=" * (-len(text) % 4)
    try:
        return base64.urlsafe_b64decode(text + pad)
    except (binascii.Error, ValueError):
        raise unprocessable("not base64url", "bad_encoding") from None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_key(text: str) -> Ed25519PublicKey:
    raw = b64url_decode(text)
    if len(raw) != 32:
        raise unprocessable("an Ed25519 public key is 32 bytes", "bad_key")
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class Receipt:
    receipt_id: str
    account: int
    device_key_id: str
    model_id: int | None
    profile_id: int | None
    started_at: datetime
    ended_at: datetime
    job_state: str
    verdict: str | None
    body: dict[str, Any]

    @property
    def confirmed_success(self) -> bool:
        return self.job_state == "completed" and self.verdict == "good"


def _refuse(detail: str, code: str) -> ApiError:
    return ApiError(422, "Receipt refused", detail, code)


def _time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise _refuse(f"{name} must be an RFC 3339 string", "bad_receipt")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _refuse(f"{name} is not RFC 3339", "bad_receipt") from None
    if moment.tzinfo is None or moment.utcoffset() != timedelta(0):
        raise _refuse(f"{name} must be in UTC", "bad_receipt")
    return moment


def _opt_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _refuse(f"{name} must be an integer or null", "bad_receipt")
    return value


def parse(obj: Any) -> Receipt:
    """Check the shape of a receipt (fields and types), not yet its signature."""
    if not isinstance(obj, dict):
        raise _refuse("a receipt is a JSON object", "bad_receipt")
    missing = [f for f in FIELDS if f not in obj]
    if missing:
        raise _refuse(f"missing fields: {', '.join(missing)}", "bad_receipt")
    try:
        rid = str(uuid.UUID(str(obj["receipt_id"])))
    except ValueError:
        raise _refuse("receipt_id must be a UUID", "bad_receipt") from None
    account = obj["account"]
    if isinstance(account, bool) or not isinstance(account, int):
        raise _refuse("account must be the marketplace user id", "bad_receipt")
    if not isinstance(obj["device_key_id"], str):
        raise _refuse("device_key_id must be a string", "bad_receipt")
    if obj["job_state"] not in JOB_STATES:
        raise _refuse("unknown job_state", "bad_receipt")
    if obj["verdict"] not in (None, "good", "bad"):
        raise _refuse("verdict is good, bad or null", "bad_receipt")
    if not isinstance(obj["printer"], dict):
        raise _refuse("printer must be an object", "bad_receipt")
    return Receipt(
        receipt_id=rid, account=account, device_key_id=obj["device_key_id"],
        model_id=_opt_int(obj["model_id"], "model_id"),
        profile_id=_opt_int(obj["profile_id"], "profile_id"),
        started_at=_time(obj["started_at"], "started_at"),
        ended_at=_time(obj["ended_at"], "ended_at"),
        job_state=obj["job_state"], verdict=obj["verdict"], body=obj,
    )


def verify(receipt: Receipt, signature: str, key_text: str, now: datetime) -> None:
    """Signature and times; raises a 422 problem naming the failed check."""
    try:
        public_key(key_text).verify(b64url_decode(signature), canonical_bytes(receipt.body))
    except InvalidSignature:
        raise _refuse("the signature does not verify", "bad_signature") from None
    if receipt.ended_at <= receipt.started_at:
        raise _refuse("ended_at must be after started_at", "bad_times")
    limit = now + RECEIPT_FUTURE_TOLERANCE
    if receipt.started_at > limit or receipt.ended_at > limit:
        raise _refuse("the receipt is dated in the future", "future_receipt")
