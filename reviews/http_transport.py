"""The outbox's HTTP transport: each item kind to the marketplace's own API.

Routes are those of ``marketplace/api/*.py`` (under ``/api/v1``).  Every
request carries ``Authorization: Bearer <token>`` (when signed in) and an
``Idempotency-Key``: the item's key for its final request, and ``<key>:<step>``
for the requests before it (a photo upload, a model draft, ...).  The service
stores the first answer of every key, so an item resent after a crash, a
timeout or a dropped connection replays the steps already done instead of
doing them twice, and its item is applied exactly once.

========================  ===============================================
kind                      requests
========================  ===============================================
``receipt``               ``POST /receipts`` (the signed envelope)
``review``                ``POST /photos`` per photo (``<key>:photo:<n>``),
                          then ``POST /reviews`` with the photo ids and
                          the receipt's envelope
``profile``               ``POST /models/{model_id}/profiles``
``model_publication``     a new model: ``POST /models`` (``:draft``), its
                          files (``:file:<n>``), photos (``:photo:<n>``),
                          ``PUT /models/{id}/photos`` (``:photos``), then
                          ``POST /models/{id}/publish``; a new version of a
                          published model: ``POST /models/{id}/versions``
``vote``                  ``POST /reviews/{review_id}/votes``
``report``                ``POST /reports``
``jury_vote``             ``POST /juries/{case_id}/votes``
``feedback``              ``POST /suggestions``
========================  ===============================================

Payload keys starting with ``_`` are the app's own notes (e.g. the local job
id of a receipt) and are never sent.  Each attached file is read and checked
against the SHA-256 it was queued with; a file gone or changed rejects the
item (fixable: attach it again), and nothing is sent.

What becomes of an answer (:func:`outcome_of`), at any step:

============================  =========================================
2xx                           the next step; after the last,
                              ``Delivered(answer)`` (its JSON body)
401                           ``TransientError``: not signed in; the item
                              waits (after signing in, ``send_now()``)
408, 425, 429, 5xx            ``TransientError``
400, 413, 415, 422            ``Rejected(reason, fixable=True)``
any other 4xx (403, 404,      ``Rejected(reason, fixable=False)``
409, ...)
timeout, refused, dropped     ``TransientError``
============================  =========================================

(The service answers 409 for a conflict with what it holds — a receipt
already backing a review, a model already published — which resending
cannot change; a repeated idempotency key is answered, not refused.)

The reason is the problem-details ``detail`` (or ``title``) of the answer.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

import httpx

from reviews.outbox import Attachment, OutboxItem
from reviews.sender import Delivered, Rejected, TransientError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)
API = "/api/v1"
KINDS = ("receipt", "review", "profile", "model_publication", "vote", "report", "jury_vote",
         "feedback")
_TRANSIENT = {401, 408, 425, 429}
_FIXABLE = {400, 413, 415, 422}


def problem_reason(response: httpx.Response) -> str:
    """The human reason in a problem-details answer, else the status line."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("detail", "title", "message"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value + field_errors(body)
            if key == "detail" and isinstance(value, list) and value:  # FastAPI's 422
                return "; ".join(str(v.get("msg", v)) if isinstance(v, dict) else str(v)
                                 for v in value)
    return f"HTTP {response.status_code} {response.reason_phrase}".strip()


def field_errors(body: dict[str, Any]) -> str:
    """The service's per-field validation errors, e.g. ``: nozzle_diameter:
    Input should be less than or equal to 3``."""
    errors = body.get("errors")
    if not isinstance(errors, list):
        return ""
    parts = []
    for e in errors[:5]:
        if isinstance(e, dict):
            loc = [str(x) for x in e.get("loc", []) if x != "body"]
            parts.append(f"{'.'.join(loc)}: {e.get('msg', '')}" if loc else str(e.get("msg")))
    return (": " + "; ".join(parts)) if parts else ""


def _json_or_text(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return {"text": response.text[:2000]}


def outcome_of(response: httpx.Response) -> Delivered | Rejected:
    """Map an HTTP answer to the outbox's outcomes (see the module table);
    raises TransientError for answers worth retrying."""
    status = response.status_code
    if 200 <= status < 300:
        return Delivered(_json_or_text(response))
    reason = problem_reason(response)
    if status == 401:
        raise TransientError(f"not signed in to the marketplace ({reason})")
    if status in _TRANSIENT or status >= 500:
        raise TransientError(f"HTTP {status}: {reason}")
    if 400 <= status < 500:
        return Rejected(reason, fixable=status in _FIXABLE, answer=_json_or_text(response))
    raise TransientError(f"unexpected HTTP {status}")


class _StopError(Exception):
    """A step was rejected: the item is rejected with it."""

    def __init__(self, outcome: Rejected) -> None:
        super().__init__(outcome.reason)
        self.outcome = outcome


def _attribution_text(payload: dict[str, Any]) -> str | None:
    a = payload.get("attribution")
    if not isinstance(a, dict):
        return a if isinstance(a, str) else None
    parts = [f"by {a['author']}" if a.get("author") else "",
             a.get("source_url") or "",
             f"licence {a['license']}" if a.get("license") else ""]
    text = ", ".join(p for p in parts if p)
    return text or None


class HttpTransport:
    """Sends outbox items to the marketplace over HTTP (thread-safe).

    ``base_url`` is the marketplace's root (``http://host:port``);
    ``token()`` gives the bearer token or None."""

    def __init__(self, base_url: str, *, token: Callable[[], str | None] = lambda: None,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT,
                 client: httpx.Client | None = None) -> None:
        self._token = token
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.Client(base_url=self.base_url + API, timeout=timeout,
                                              follow_redirects=False, trust_env=False)

    def close(self) -> None:
        self._client.close()

    def send(self, item: OutboxItem) -> Delivered | Rejected:
        handler = {
            "receipt": self._receipt, "review": self._review, "profile": self._profile,
            "model_publication": self._publication, "vote": self._vote,
            "report": self._report, "jury_vote": self._jury_vote,
            "feedback": self._feedback,
        }.get(item.kind)
        if handler is None:
            return Rejected(f"this version of the app cannot send {item.kind!r} items",
                            fixable=False)
        try:
            files = self._read_files(item)
            return Delivered(handler(item, {k: v for k, v in item.payload.items()
                                            if not k.startswith("_")}, files))
        except _StopError as stop:
            return stop.outcome
        except (KeyError, TypeError, ValueError) as exc:  # a payload of the wrong shape
            return Rejected(f"the {item.kind} item is incomplete or malformed ({exc!r})",
                            fixable=True)

    # ------------------------------------------------------------ plumbing
    @staticmethod
    def _read_files(item: OutboxItem) -> list[tuple[Attachment, bytes]]:
        out = []
        for f in item.files:
            try:
                data = f.path.read_bytes()
            except OSError as exc:
                raise _StopError(Rejected(f"the attached file {f.path} cannot be read: "
                                     f"{exc.strerror or exc}", fixable=True)) from None
            if hashlib.sha256(data).hexdigest() != f.sha256:
                raise _StopError(Rejected(f"the attached file {f.path} changed after it was queued",
                                     fixable=True))
            out.append((f, data))
        return out

    def _call(self, method: str, path: str, key: str, *, json: Any = None,
              files: Any = None) -> Any:
        """One request; its JSON answer, or _StopError / TransientError."""
        headers = {"Idempotency-Key": key, "Accept": "application/json"}
        token = self._token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = self._client.request(method, path, headers=headers, json=json,
                                            files=files)
        except httpx.TimeoutException as exc:
            raise TransientError(f"the marketplace did not answer in time "
                                 f"({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise TransientError(f"the marketplace cannot be reached "
                                 f"({type(exc).__name__}: {exc})") from None
        outcome = outcome_of(response)
        if isinstance(outcome, Rejected):
            raise _StopError(outcome)
        return outcome.answer

    def _photo_ids(self, item: OutboxItem, files: list[tuple[Attachment, bytes]]) -> list[int]:
        ids = []
        for n, (f, data) in enumerate(x for x in files if x[0].role == "photo"):
            answer = self._call("POST", "/photos", f"{item.idempotency_key}:photo:{n}",
                                files={"file": (f"photo-{n}.jpg", data, f.media_type)})
            ids.append(int(answer["id"]))
        return ids

    # ------------------------------------------------------------ the kinds
    def _receipt(self, item: OutboxItem, body: dict[str, Any], files: Any) -> Any:
        return self._call("POST", "/receipts", item.idempotency_key, json=body)

    def _review(self, item: OutboxItem, body: dict[str, Any],
                files: list[tuple[Attachment, bytes]]) -> Any:
        photo_ids = self._photo_ids(item, files)
        return self._call("POST", "/reviews", item.idempotency_key, json={
            "model_id": body["model_id"], "profile_id": body.get("profile_id"),
            "stars": body.get("stars"), "description": body.get("description") or None,
            "photo_ids": photo_ids, "receipt": body.get("receipt")})

    def _profile(self, item: OutboxItem, body: dict[str, Any], files: Any) -> Any:
        model_id = body.pop("model_id")
        return self._call("POST", f"/models/{model_id}/profiles", item.idempotency_key,
                          json=body)

    def _publication(self, item: OutboxItem, body: dict[str, Any],
                     files: list[tuple[Attachment, bytes]]) -> Any:
        key = item.idempotency_key
        model_files = [(f, d) for f, d in files if f.role == "model_file"]
        names = list(body.get("files") or [])
        if body.get("model_id") is not None:  # a new version of a published model
            parts = [("files", (names[n] if n < len(names) else f.path.name, d, f.media_type))
                     for n, (f, d) in enumerate(model_files)]
            return self._call("POST", f"/models/{body['model_id']}/versions", key, files=parts)
        fields = {"title": body["title"], "description": body.get("description"),
                  "tags": body.get("tags") or [], "category": body.get("category"),
                  "license": body.get("license"), "origin": body.get("origin"),
                  "parent_id": body.get("parent_model_id"),
                  "attribution": _attribution_text(body)}
        model = self._call("POST", "/models", f"{key}:draft", json=fields)
        mid = int(model["id"])
        for n, (f, data) in enumerate(model_files):
            name = names[n] if n < len(names) else f.path.name
            self._call("POST", f"/models/{mid}/files", f"{key}:file:{n}",
                       files={"file": (name, data, f.media_type)})
        photo_ids = self._photo_ids(item, files)
        cover = int(body.get("cover") or 0)
        self._call("PUT", f"/models/{mid}/photos", f"{key}:photos", json={"photos": [
            {"id": pid, "cover": n == cover, "real_print": bool(body.get("real_print"))}
            for n, pid in enumerate(photo_ids)]})
        published = self._call("POST", f"/models/{mid}/publish", key)
        settings = body.get("print_settings")
        if isinstance(settings, dict) and settings.get("material"):
            # Step 3 of the workflow: the print settings go on as the first profile.
            self._call("POST", f"/models/{mid}/profiles", f"{key}:profile", json={
                "title": settings.get("title") or f"{settings['material']} "
                         f"{settings.get('layer_height')} mm",
                "material": settings["material"],
                "nozzle_diameter": settings.get("nozzle_diameter"),
                "layer_height": settings.get("layer_height"),
                "infill_density": settings.get("infill_density"),
                "supports": bool(settings.get("supports")),
                "support_type": settings.get("support_type"),
                "slicer": settings.get("slicer"),
                "raw_settings": settings.get("slicer_settings")})
        return published

    def _vote(self, item: OutboxItem, body: dict[str, Any], files: Any) -> Any:
        return self._call("POST", f"/reviews/{body['review_id']}/votes", item.idempotency_key,
                          json={"helpful": bool(body["helpful"])})

    def _report(self, item: OutboxItem, body: dict[str, Any], files: Any) -> Any:
        return self._call("POST", "/reports", item.idempotency_key, json=body)

    def _jury_vote(self, item: OutboxItem, body: dict[str, Any], files: Any) -> Any:
        return self._call("POST", f"/juries/{body['case_id']}/votes", item.idempotency_key,
                          json={"vote": body["vote"], "reason": body["reason"]})

    def _feedback(self, item: OutboxItem, body: dict[str, Any], files: Any) -> Any:
        return self._call("POST", "/suggestions", item.idempotency_key,
                          json={"text": body["text"]})
