"""The outbox's HTTP transport: one POST per item, with its idempotency key.

:class:`HttpTransport` posts an item to ``base_url + routes[item.kind]`` with
the headers ``Idempotency-Key: <item.idempotency_key>`` and, when signed in,
``Authorization: Bearer <token>``.  An item without files goes as a JSON body;
an item with files goes as ``multipart/form-data`` with the JSON in the
``payload`` field and each file as a ``files`` part (in order, named by its
role and position).  Each file is read and checked against the SHA-256 it
was queued with; a file gone or changed rejects the item (fixable: attach
it again), and nothing is sent.

What becomes of the answer (:func:`outcome_of`):

============================  =========================================
2xx                           ``Delivered(answer)`` (the JSON body)
401                           ``TransientError``: not signed in; the item
                              waits (after signing in, call
                              ``outbox.hurry()`` and ``sender.wake()``)
408, 409, 425, 429, 5xx       ``TransientError`` (409: the same key is
                              still being processed)
400, 413, 415, 422            ``Rejected(reason, fixable=True)``
any other 4xx                 ``Rejected(reason, fixable=False)``
timeout, refused, dropped     ``TransientError``
============================  =========================================

The reason is the problem-details ``detail`` (or ``title``) of the answer.

The marketplace service's endpoints are not final yet: :data:`DEFAULT_ROUTES`
is the expected mapping and the app may pass its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from reviews.outbox import OutboxItem
from reviews.sender import Delivered, Rejected, TransientError

log = logging.getLogger(__name__)

DEFAULT_ROUTES: Mapping[str, str] = {
    "receipt": "/api/v1/receipts",
    "review": "/api/v1/reviews",
    "profile": "/api/v1/profiles",
    "model_publication": "/api/v1/models",
    "vote": "/api/v1/votes",
    "report": "/api/v1/reports",
    "jury_vote": "/api/v1/jury/votes",
    "feedback": "/api/v1/feedback",
    "device_key": "/api/v1/account/device-keys",
}
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)
_TRANSIENT = {401, 408, 409, 425, 429}
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
                return value
            if key == "detail" and isinstance(value, list) and value:  # FastAPI's 422
                return "; ".join(str(v.get("msg", v)) if isinstance(v, dict) else str(v)
                                 for v in value)
    return f"HTTP {response.status_code} {response.reason_phrase}".strip()


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


class HttpTransport:
    """Sends outbox items to the marketplace over HTTP (thread-safe)."""

    def __init__(self, base_url: str, *, token: Callable[[], str | None] = lambda: None,
                 routes: Mapping[str, str] = DEFAULT_ROUTES,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT,
                 client: httpx.Client | None = None) -> None:
        self._routes = dict(routes)
        self._token = token
        self._client = client or httpx.Client(base_url=base_url, timeout=timeout,
                                              follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def send(self, item: OutboxItem) -> Delivered | Rejected:
        route = self._routes.get(item.kind)
        if route is None:
            return Rejected(f"this version of the app cannot send {item.kind!r} items",
                            fixable=False)
        headers = {"Idempotency-Key": item.idempotency_key, "Accept": "application/json"}
        token = self._token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        files: list[tuple[str, tuple[str, bytes, str]]] = []
        for position, f in enumerate(item.files):
            try:
                data = f.path.read_bytes()
            except OSError as exc:
                return Rejected(f"the attached file {f.path} cannot be read: "
                                f"{exc.strerror or exc}", fixable=True)
            if hashlib.sha256(data).hexdigest() != f.sha256:
                return Rejected(f"the attached file {f.path} changed after it was queued",
                                fixable=True)
            suffix = f.path.suffix.lower()
            files.append(("files", (f"{f.role}-{position}{suffix}", data, f.media_type)))
        try:
            if files:
                payload = json.dumps(item.payload, ensure_ascii=False)
                response = self._client.post(route, headers=headers,
                                             data={"payload": payload}, files=files)
            else:
                response = self._client.post(route, headers=headers, json=item.payload)
        except httpx.TimeoutException as exc:
            raise TransientError(f"the marketplace did not answer in time ({exc})") from None
        except httpx.TransportError as exc:
            raise TransientError(f"the marketplace cannot be reached "
                                 f"({type(exc).__name__}: {exc})") from None
        return outcome_of(response)
