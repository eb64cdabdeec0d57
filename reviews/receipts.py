"""Print receipts, exactly as REWARDS.md §9 defines them.

The desktop app is the witness of a print.  When a job it drove ends, it
writes a :class:`Receipt`, signs its canonical bytes with the installation's
Ed25519 key (:mod:`reviews.device_key`) and sends the envelope::

    {"receipt": {...every field...}, "signature": "<base64url, no padding>"}

The canonical bytes are ``json.dumps(obj, sort_keys=True, separators=(",",
":"), ensure_ascii=False)`` encoded as UTF-8, where ``obj`` is the receipt
object without any signature field.

This module depends on the standard library and ``cryptography`` only, and
keeps the whole format — field rules, canonical bytes, signature encoding and
the acceptance rules of :func:`verify_envelope` — in plain functions, so that
the marketplace service can mirror it rule for rule without importing a
desktop package.  The rules, in the order :func:`verify_envelope` checks them:

1. the envelope is an object with exactly ``receipt`` and ``signature``;
2. every receipt field is present, of its type and within its limits
   (:func:`receipt_from_dict`); no unknown field — else ``malformed``; and
   ``ended_at`` is after ``started_at`` — else ``time_order``;
3. the key ``device_key_id`` is registered to ``account`` and not revoked
   (a lookup the caller supplies) — else ``unknown_key``;
4. the signature verifies over the canonical bytes of the receipt object *as
   received* (never over a re-serialisation of the parsed receipt) — else
   ``bad_signature``;
5. neither time is more than 5 minutes after ``now`` — else ``future``;
6. ``receipt_id`` was never seen — else ``replay``.  The caller must then
   record the id atomically (a unique constraint), since two copies can race.

A known-answer vector (RFC 8032's test key, a receipt with non-ASCII text,
its exact canonical bytes, key id and signature) is kept in
``tests/reviews/data/receipt_vector.json`` for the service's tests to reuse.

Idempotent delivery and replays: the outbox resends an undelivered receipt
with the same ``Idempotency-Key``, and the service answers a repeated key with
its first answer, so a retry is not a replay.  A *new* request carrying an old
``receipt_id`` is one, and is refused.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, cast, get_args

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from reviews.errors import ReceiptError

JobState = Literal["completed", "failed", "cancelled", "interrupted"]
Verdict = Literal["good", "bad"]
JOB_STATES: tuple[str, ...] = get_args(JobState)
VERDICTS: tuple[str, ...] = get_args(Verdict)

#: Known printer kinds; any lowercase token of the same shape is accepted so
#: that a new connection kind needs no format change.
KNOWN_PRINTER_KINDS = ("marlin-serial", "octoprint")
_KIND_RE = re.compile(r"^[a-z0-9][a-z0-9.+-]{0,39}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_RFC3339_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)
_B64URL_RE = re.compile(r"^[A-Za-z0-9_-]*$")

#: Limits on free text and ids, so that a receipt stays small.
MAX_ID = 200
MAX_FIRMWARE = 200
MAX_REASON = 2000
#: How far in the future (by the verifier's clock) a receipt time may lie.
MAX_FUTURE = timedelta(minutes=5)
SIGNATURE_BYTES = 64

FIELDS: tuple[str, ...] = (
    "receipt_id", "account", "device_key_id", "file_sha256", "model_id", "profile_id",
    "printer", "started_at", "ended_at", "job_state", "failure_reason",
    "lines_confirmed", "verdict", "verdict_reason",
)

Id = str | int
PublicKeyLookup = Callable[[Id, str], bytes | None]


# ---------------------------------------------------------------- times
def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, e.g. ``2026-11-23T15:22:11.042Z``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ReceiptError("receipt times must be timezone-aware (UTC)")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_time(text: object, field: str = "time") -> datetime:
    """Parse an RFC 3339 time whose offset is UTC (``Z`` or ``+00:00``)."""
    if not isinstance(text, str):
        raise ReceiptError(f"{field} must be an RFC 3339 string")
    m = _RFC3339_RE.match(text)
    if m is None:
        raise ReceiptError(f"{field} is not an RFC 3339 time: {text[:40]!r}")
    year, month, day, hour, minute, second, frac, zulu, sign, oh, om = m.groups()
    if not zulu and (sign != "+" or oh != "00" or om != "00"):
        raise ReceiptError(f"{field} must be in UTC (Z or +00:00): {text!r}")
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute),
                        int(second), micro, tzinfo=UTC)
    except ValueError as exc:
        raise ReceiptError(f"{field} is not a valid time: {text!r} ({exc})") from None


# ---------------------------------------------------------------- the receipt
def _text(value: object, field: str, limit: int, *, allow_none: bool = False,
          allow_empty: bool = False) -> str | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        raise ReceiptError(f"{field} must be a string{' or null' if allow_none else ''}")
    if not value and not allow_empty:
        raise ReceiptError(f"{field} must not be empty")
    if len(value) > limit:
        raise ReceiptError(f"{field} is longer than {limit} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ReceiptError(f"{field} is not valid Unicode text") from None
    return value


def _id(value: object, field: str, *, allow_none: bool) -> Id | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ReceiptError(f"{field} must be a string or an integer"
                           f"{' or null' if allow_none else ''}")
    if isinstance(value, int):
        if value < 0:
            raise ReceiptError(f"{field} must not be negative")
        return value
    return _text(value, field, MAX_ID)


@dataclass(frozen=True, slots=True)
class PrinterInfo:
    """``{"kind": "marlin-serial"|"octoprint"|..., "firmware": str}``."""

    kind: str
    firmware: str

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not _KIND_RE.match(self.kind):
            raise ReceiptError(f"printer kind must be a short lowercase token: {self.kind!r}")
        _text(self.firmware, "printer firmware", MAX_FIRMWARE, allow_empty=True)

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "firmware": self.firmware}


@dataclass(frozen=True, slots=True)
class Receipt:
    """One print receipt.  Construction validates every field; an invalid
    receipt raises :class:`~reviews.errors.ReceiptError` (code ``malformed``).

    Times are timezone-aware datetimes; they are written with
    :func:`format_time`.  ``ended_at`` must be after ``started_at``.
    """

    receipt_id: str
    account: Id
    device_key_id: str
    file_sha256: str
    model_id: Id | None
    profile_id: Id | None
    printer: PrinterInfo
    started_at: datetime
    ended_at: datetime
    job_state: JobState
    failure_reason: str | None = None
    lines_confirmed: int | None = None
    verdict: Verdict | None = None
    verdict_reason: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.receipt_id, str):
            raise ReceiptError("receipt_id must be a UUID string")
        try:
            canonical = str(uuid.UUID(self.receipt_id))
        except ValueError:
            raise ReceiptError(f"receipt_id is not a UUID: {self.receipt_id[:40]!r}") from None
        if canonical != self.receipt_id:
            raise ReceiptError("receipt_id must be a UUID in its lowercase hyphenated form")
        _id(self.account, "account", allow_none=False)
        _text(self.device_key_id, "device_key_id", MAX_ID)
        if not isinstance(self.file_sha256, str) or not _SHA256_RE.match(self.file_sha256):
            raise ReceiptError("file_sha256 must be 64 lowercase hexadecimal digits")
        _id(self.model_id, "model_id", allow_none=True)
        _id(self.profile_id, "profile_id", allow_none=True)
        if not isinstance(self.printer, PrinterInfo):
            raise ReceiptError("printer must be a PrinterInfo")
        for name in ("started_at", "ended_at"):
            moment = getattr(self, name)
            if not isinstance(moment, datetime) or moment.utcoffset() is None:
                raise ReceiptError(f"{name} must be a timezone-aware datetime")
        if self.ended_at <= self.started_at:
            raise ReceiptError("ended_at must be after started_at", code="time_order")
        if self.job_state not in JOB_STATES:
            raise ReceiptError(f"job_state must be one of {', '.join(JOB_STATES)}: "
                               f"{self.job_state!r}")
        _text(self.failure_reason, "failure_reason", MAX_REASON, allow_none=True,
              allow_empty=True)
        if self.lines_confirmed is not None and (
            isinstance(self.lines_confirmed, bool) or not isinstance(self.lines_confirmed, int)
            or self.lines_confirmed < 0
        ):
            raise ReceiptError("lines_confirmed must be a non-negative integer or null")
        if self.verdict is not None and self.verdict not in VERDICTS:
            raise ReceiptError(f"verdict must be good, bad or null: {self.verdict!r}")
        _text(self.verdict_reason, "verdict_reason", MAX_REASON, allow_none=True,
              allow_empty=True)

    @property
    def is_confirmed_success(self) -> bool:
        """A completed job the user judged good (once the service accepts it,
        a *confirmed successful print*)."""
        return self.job_state == "completed" and self.verdict == "good"

    def with_verdict(self, verdict: Verdict | None, reason: str | None = None) -> Receipt:
        """A copy with the user's verdict (the receipt must be signed again)."""
        return dataclasses.replace(self, verdict=verdict, verdict_reason=reason)

    def to_dict(self) -> dict[str, Any]:
        """The receipt object exactly as it is signed and sent."""
        return {
            "receipt_id": self.receipt_id,
            "account": self.account,
            "device_key_id": self.device_key_id,
            "file_sha256": self.file_sha256,
            "model_id": self.model_id,
            "profile_id": self.profile_id,
            "printer": self.printer.to_dict(),
            "started_at": format_time(self.started_at),
            "ended_at": format_time(self.ended_at),
            "job_state": self.job_state,
            "failure_reason": self.failure_reason,
            "lines_confirmed": self.lines_confirmed,
            "verdict": self.verdict,
            "verdict_reason": self.verdict_reason,
        }

    def canonical_bytes(self) -> bytes:
        return canonical_bytes(self.to_dict())


def receipt_from_dict(obj: object) -> Receipt:
    """Validate a received receipt object and parse it.  Exactly the fields of
    :data:`FIELDS`, each of its JSON type; raises ``ReceiptError``."""
    if not isinstance(obj, Mapping):
        raise ReceiptError("the receipt must be a JSON object")
    keys = set(obj)
    missing = [f for f in FIELDS if f not in keys]
    unknown = sorted(str(k) for k in keys - set(FIELDS))
    if missing:
        raise ReceiptError(f"the receipt lacks {', '.join(missing)}")
    if unknown:
        raise ReceiptError(f"the receipt has unknown fields: {', '.join(unknown)}")
    printer = obj["printer"]
    if not isinstance(printer, Mapping) or set(printer) != {"kind", "firmware"}:
        raise ReceiptError('printer must be an object {"kind": ..., "firmware": ...}')
    if not isinstance(printer["firmware"], str):
        raise ReceiptError("printer firmware must be a string")
    for name in ("job_state",):
        if not isinstance(obj[name], str):
            raise ReceiptError(f"{name} must be a string")
    for name in ("verdict",):
        if obj[name] is not None and not isinstance(obj[name], str):
            raise ReceiptError(f"{name} must be a string or null")
    return Receipt(
        receipt_id=obj["receipt_id"],
        account=obj["account"],
        device_key_id=obj["device_key_id"],
        file_sha256=obj["file_sha256"],
        model_id=obj["model_id"],
        profile_id=obj["profile_id"],
        printer=PrinterInfo(kind=printer["kind"], firmware=printer["firmware"]),
        started_at=parse_time(obj["started_at"], "started_at"),
        ended_at=parse_time(obj["ended_at"], "ended_at"),
        job_state=obj["job_state"],
        failure_reason=obj["failure_reason"],
        lines_confirmed=obj["lines_confirmed"],
        verdict=obj["verdict"],
        verdict_reason=obj["verdict_reason"],
    )


def new_receipt(
    *,
    account: Id,
    device_key_id: str,
    file_sha256: str,
    printer: PrinterInfo,
    started_at: datetime,
    ended_at: datetime,
    job_state: JobState,
    model_id: Id | None = None,
    profile_id: Id | None = None,
    failure_reason: str | None = None,
    lines_confirmed: int | None = None,
    verdict: Verdict | None = None,
    verdict_reason: str | None = None,
    now: datetime | None = None,
) -> Receipt:
    """A receipt with a fresh random ``receipt_id`` (never reused).

    Refuses times more than :data:`MAX_FUTURE` ahead of ``now`` (the local
    clock by default): the service would refuse such a receipt, so it is
    better to say so here, where the cause (a wrong clock or a bad job
    record) can still be seen.
    """
    receipt = Receipt(
        receipt_id=str(uuid.uuid4()), account=account, device_key_id=device_key_id,
        file_sha256=file_sha256, model_id=model_id, profile_id=profile_id, printer=printer,
        started_at=started_at, ended_at=ended_at, job_state=job_state,
        failure_reason=failure_reason, lines_confirmed=lines_confirmed, verdict=verdict,
        verdict_reason=verdict_reason,
    )
    check_not_in_future(receipt, now or datetime.now(UTC))
    return receipt


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, as ``file_sha256`` wants it."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------- bytes and signatures
def canonical_bytes(obj: Mapping[str, Any]) -> bytes:
    """The bytes a receipt is signed over (any ``signature`` key is left out)."""
    body = {k: v for k, v in obj.items() if k != "signature"}
    try:
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False)
        return text.encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError) as exc:
        raise ReceiptError(f"the receipt cannot be written as canonical JSON: {exc}") from None


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, length: int | None = None, field: str = "value") -> bytes:
    """Strict base64url without padding (no ``=``, no ``+``/``/``, no spaces)."""
    if not isinstance(text, str) or not _B64URL_RE.match(text) or len(text) % 4 == 1:
        raise ReceiptError(f"{field} is not base64url without padding")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ReceiptError(f"{field} is not base64url without padding") from None
    if b64url_encode(data) != text:  # non-canonical trailing bits
        raise ReceiptError(f"{field} is not canonical base64url")
    if length is not None and len(data) != length:
        raise ReceiptError(f"{field} must encode {length} bytes, not {len(data)}")
    return data


def device_key_id(public_key_raw: bytes) -> str:
    """The stable id of a device key: ``ed25519-`` and the first 32 hex digits
    of the SHA-256 of its 32 raw public-key bytes."""
    if len(public_key_raw) != 32:
        raise ReceiptError("an Ed25519 public key has 32 bytes")
    return "ed25519-" + hashlib.sha256(public_key_raw).hexdigest()[:32]


def make_envelope(receipt_obj: Mapping[str, Any], signature: bytes) -> dict[str, Any]:
    return {"receipt": dict(receipt_obj), "signature": b64url_encode(signature)}


def verify_signature(receipt_obj: Mapping[str, Any], signature: str,
                     public_key_raw: bytes) -> None:
    """Check ``signature`` (base64url) over the canonical bytes of the
    receipt object as given; raises ``ReceiptError`` (``bad_signature``)."""
    sig = b64url_decode(signature, length=SIGNATURE_BYTES, field="signature")
    try:
        key = Ed25519PublicKey.from_public_bytes(public_key_raw)
    except ValueError:
        raise ReceiptError("the registered public key is not an Ed25519 key",
                           code="unknown_key") from None
    try:
        key.verify(sig, canonical_bytes(receipt_obj))
    except InvalidSignature:
        raise ReceiptError("the receipt's signature does not verify",
                           code="bad_signature") from None


def check_not_in_future(receipt: Receipt, now: datetime,
                        max_future: timedelta = MAX_FUTURE) -> None:
    for name in ("started_at", "ended_at"):
        moment: datetime = getattr(receipt, name)
        if moment > now + max_future:
            raise ReceiptError(f"{name} {format_time(moment)} is more than "
                               f"{int(max_future.total_seconds())} s in the future",
                               code="future")


def parse_envelope_json(data: bytes | str) -> dict[str, Any]:
    """Parse a received envelope, refusing duplicate keys (which would let two
    parsers see different receipts) and non-standard constants (NaN)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                raise ReceiptError(f"duplicate key {k!r} in the receipt JSON")
            out[k] = v
        return out

    def constant(name: str) -> Any:
        raise ReceiptError(f"{name} is not valid in a receipt")

    try:
        obj = json.loads(data, object_pairs_hook=pairs, parse_constant=constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReceiptError(f"the receipt is not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ReceiptError("the envelope must be a JSON object")
    return cast(dict[str, Any], obj)


def verify_envelope(
    envelope: object,
    *,
    public_key_for: PublicKeyLookup,
    now: datetime,
    seen: Callable[[str], bool] = lambda _receipt_id: False,
    max_future: timedelta = MAX_FUTURE,
) -> Receipt:
    """Apply every acceptance rule of REWARDS.md §9 (see the module docstring
    for the order) and return the parsed receipt, or raise ``ReceiptError``
    with its ``code``.

    ``public_key_for(account, device_key_id)`` returns the 32 raw bytes of the
    key registered to that account and not revoked, or ``None``.
    ``seen(receipt_id)`` says whether the id was already accepted.
    """
    if not isinstance(envelope, Mapping) or set(envelope) != {"receipt", "signature"}:
        raise ReceiptError('the envelope must be {"receipt": {...}, "signature": "..."}')
    obj = envelope["receipt"]
    signature = envelope["signature"]
    receipt = receipt_from_dict(obj)
    if not isinstance(signature, str):
        raise ReceiptError("signature must be a string", code="bad_signature")
    raw = public_key_for(receipt.account, receipt.device_key_id)
    if raw is None:
        raise ReceiptError(f"the key {receipt.device_key_id} is not registered to this "
                           "account, or was revoked", code="unknown_key")
    verify_signature(cast(Mapping[str, Any], obj), signature, raw)
    check_not_in_future(receipt, now, max_future)
    if seen(receipt.receipt_id):
        raise ReceiptError(f"the receipt {receipt.receipt_id} was already received",
                           code="replay")
    return receipt
