"""A small synchronous client of the marketplace service's HTTP API.

For the questions the app asks directly (the account, rewards figures of
REWARDS.md §11, profiles to browse) and for signing in.  Everything that
*changes* the marketplace on the user's behalf goes through the outbox
instead (:mod:`reviews.outbox`); the client's :meth:`MarketplaceClient.post`
is for the few calls that must be answered at once (registration, login, the
device key) and still sends an ``Idempotency-Key`` with every POST.

- Explicit timeouts (:data:`DEFAULT_TIMEOUT`); no call waits forever.
- Typed errors, all :class:`MarketplaceError` (a
  :class:`~reviews.errors.ReviewsError`): :class:`UnreachableError` (refused,
  dropped, timed out), :class:`ProblemError` (an HTTP error, with the
  problem-details fields of RFC 9457), :class:`NotSignedInError` (401),
  :class:`MalformedAnswerError` (a 2xx whose body is not the JSON expected).
- The bearer token lives in the secret store (``services.secrets``) under
  :data:`TOKEN_SECRET`, never in settings, the database or logs.
- Blocking: call it from a worker thread, never the GUI thread.

Paths are those of the marketplace service (``marketplace/api/*.py``, all
under ``/api/v1``; ``GET /api/v1/openapi.json`` describes them).  Answers are
returned as the service's JSON (dicts and lists), documented on each method.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import Any

import httpx

from reviews.device_key import DeviceKey, SecretStoreLike
from reviews.errors import ReviewsError
from reviews.http_transport import field_errors

log = logging.getLogger(__name__)

TOKEN_SECRET = "marketplace.token"
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=20.0, pool=5.0)
API = "/api/v1"


class MarketplaceError(ReviewsError):
    """The marketplace could not answer the question."""


class UnreachableError(MarketplaceError):
    """No answer: the service is down, unreachable, or too slow."""


class MalformedAnswerError(MarketplaceError):
    """The service answered, but not with the JSON expected."""


class ProblemError(MarketplaceError):
    """An HTTP error answer, with its problem-details fields (RFC 9457)."""

    def __init__(self, status: int, title: str, detail: str | None = None,
                 type_: str = "about:blank", body: Any = None) -> None:
        super().__init__(f"{status} {title}" + (f": {detail}" if detail else ""))
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.body = body


class NotSignedInError(ProblemError):
    """401: no token, or the token expired: sign in again."""


def _problem(response: httpx.Response) -> ProblemError:
    body: Any = None
    try:
        body = response.json()
    except ValueError:
        body = None
    title = response.reason_phrase or "HTTP error"
    detail: str | None = None
    type_ = "about:blank"
    if isinstance(body, dict):
        title = str(body.get("title") or title)
        raw = body.get("detail")
        if isinstance(raw, str):
            detail = raw + field_errors(body)
        elif isinstance(raw, list):  # FastAPI's validation errors
            detail = "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d)
                               for d in raw)
        type_ = str(body.get("type") or type_)
    elif response.text:
        detail = response.text[:500]
    cls = NotSignedInError if response.status_code == 401 else ProblemError
    return cls(response.status_code, title, detail, type_, body)


class MarketplaceClient:
    """One marketplace, one signed-in account (or none).  Thread-safe."""

    def __init__(self, base_url: str, secrets: SecretStoreLike, *,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._secrets = secrets
        self._http = httpx.Client(base_url=self.base_url + API, timeout=timeout,
                                  transport=transport, follow_redirects=False,
                                  headers={"Accept": "application/json"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MarketplaceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ the token
    def token(self) -> str | None:
        """The bearer token, if signed in (also the outbox transport's source)."""
        return self._secrets.get(TOKEN_SECRET)

    @property
    def signed_in(self) -> bool:
        return self.token() is not None

    def sign_out(self) -> None:
        self._secrets.delete(TOKEN_SECRET)

    # ------------------------------------------------------------ requests
    def request(self, method: str, path: str, *, json: Any = None,
                params: dict[str, Any] | None = None, idempotency_key: str | None = None,
                auth: bool = True, files: Any = None) -> Any:
        """Send one request (``path`` under ``/api/v1``) and return its JSON
        answer (None for 204).  Every write carries an ``Idempotency-Key``."""
        headers: dict[str, str] = {}
        if auth and (token := self.token()):
            headers["Authorization"] = f"Bearer {token}"
        if method.upper() in ("POST", "PUT", "PATCH", "DELETE"):
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        try:
            response = self._http.request(method, path, json=json, params=params,
                                          headers=headers, files=files)
        except httpx.TimeoutException as exc:
            raise UnreachableError(f"the marketplace at {self.base_url} did not answer in time "
                              f"({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise UnreachableError(f"the marketplace at {self.base_url} cannot be reached "
                              f"({type(exc).__name__}: {exc})") from None
        if response.status_code >= 400:
            raise _problem(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise MalformedAnswerError(f"{method} {path} answered {response.status_code} with "
                                  "something that is not JSON") from None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, body: Any, *, idempotency_key: str | None = None) -> Any:
        return self.request("POST", path, json=body, idempotency_key=idempotency_key)

    def _object(self, answer: Any, what: str) -> dict[str, Any]:
        if not isinstance(answer, dict):
            raise MalformedAnswerError(f"the marketplace's {what} is not a JSON object")
        return answer

    # ------------------------------------------------------------ the account
    def register(self, username: str, password: str, *, email: str | None = None,
                 referral: str | None = None) -> dict[str, Any]:
        """``POST /accounts``: a new account (with an optional referral code);
        keeps the token.  Answer: ``{"account": {...}, "token": ...}``.
        Without ``email`` a placeholder address is used (the service needs one)."""
        body: dict[str, Any] = {"username": username, "password": password,
                                "email": email or f"{username}@users.layerline.invalid"}
        if referral:
            body["referral_code"] = referral
        answer = self._object(self.request("POST", "/accounts", json=body, auth=False),
                              "registration answer")
        self._keep_token(answer)
        log.info("registered %s at %s", username, self.base_url)
        return answer

    def login(self, username: str, password: str) -> dict[str, Any]:
        """``POST /auth/token``; keeps the token.  Answer: ``{"token", "expires_at"}``."""
        answer = self._object(self.request("POST", "/auth/token", auth=False,
                                           json={"username": username, "password": password}),
                              "login answer")
        self._keep_token(answer)
        log.info("signed in to %s as %s", self.base_url, username)
        return answer

    def logout(self) -> None:
        """Revoke the token on the service (best effort) and forget it here."""
        try:
            if self.token():
                self.post("/auth/logout", {})
        except MarketplaceError as exc:
            log.info("the token could not be revoked on the service: %s", exc)
        self.sign_out()

    def _keep_token(self, answer: dict[str, Any]) -> None:
        token = answer.get("token") or answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise MalformedAnswerError("the marketplace did not give a token")
        self._secrets.set(TOKEN_SECRET, token)

    def me(self) -> dict[str, Any]:
        """``GET /me``: id, username, nickname, avatar, bio, reputation, karma,
        referral code, preference tags, ..."""
        return self._object(self.get("/me"), "account")

    account = me

    def edit_profile(self, *, nickname: str | None = None, bio: str | None = None,
                     avatar_photo_id: int | None = None) -> dict[str, Any]:
        body = {k: v for k, v in (("nickname", nickname), ("bio", bio),
                                  ("avatar_photo_id", avatar_photo_id)) if v is not None}
        return self._object(self.request("PATCH", "/me", json=body), "account")

    def set_preferences(self, tags: list[str]) -> dict[str, Any]:
        return self._object(self.request("PUT", "/me/preferences", json={"tags": tags}),
                            "preferences")

    def printers(self) -> list[dict[str, Any]]:
        return self._list(self.get("/me/printers"), "printers")

    def report_printer(self, kind: str, model: str, firmware: str | None = None) -> \
            dict[str, Any]:
        """Tell the marketplace about a printer the app drives (beginner task)."""
        return self._object(self.post("/me/printers", {"kind": kind, "model": model,
                                                       "firmware": firmware}), "printer")

    def referral(self) -> dict[str, Any]:
        return self._object(self.get("/me/referral"), "referral")

    def upload_photo(self, data: bytes, *, filename: str = "photo.jpg",
                     idempotency_key: str | None = None) -> dict[str, Any]:
        """``POST /photos``: a prepared photo (see :mod:`reviews.photos`) -> its id."""
        return self._object(self.request("POST", "/photos", idempotency_key=idempotency_key,
                                         files={"file": (filename, data, "image/jpeg")}),
                            "photo")

    # ------------------------------------------------------------ device keys
    def register_device_key(self, key: DeviceKey, name: str = "") -> dict[str, Any]:
        """Register this installation's receipt key to the signed-in account.
        Answer: ``{"id": <device_key_id for receipts>, "public_key", ...}``."""
        body = {"public_key": key.public_key_b64, "name": name[:120]}
        return self._object(self.post("/me/device-keys", body), "device key answer")

    def device_keys(self) -> list[dict[str, Any]]:
        return self._list(self.get("/me/device-keys"), "device keys")

    # ------------------------------------------------------------ rewards (§11)
    def rewards(self) -> dict[str, Any]:
        """``GET /me/rewards``: balances, caps used this month, beginner tasks,
        milestones per model and profile, reputation, karma, cred tokens."""
        return self._object(self.get("/me/rewards"), "rewards summary")

    def balances(self) -> dict[str, Any]:
        return self._object(self.get("/me/balances"), "balances")

    def ledger(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Transaction history, newest first (§10)."""
        return self._list(self.get("/me/ledger", limit=limit, offset=offset), "ledger")

    def review_preview(self, model_id: int, profile_id: int | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"model_id": model_id}
        if profile_id is not None:
            params["profile_id"] = profile_id
        return self._object(self.get("/me/review-preview", **params), "review preview")

    def rules(self) -> dict[str, Any]:
        return self._object(self.get("/rules"), "rules")

    def store_items(self) -> list[dict[str, Any]]:
        return self._list(self.get("/store/items"), "store items")

    def redeem(self, item_id: int) -> dict[str, Any]:
        return self._object(self.post("/store/orders", {"item_id": item_id}), "order")

    def orders(self) -> list[dict[str, Any]]:
        return self._list(self.get("/me/orders"), "orders")

    def convert_spotlight(self, points: int, target: str) -> dict[str, Any]:
        return self._object(self.post("/me/conversions", {"spotlight_points": points,
                                                          "target": target}), "conversion")

    def promote(self, model_id: int, tokens: int) -> dict[str, Any]:
        return self._object(self.post(f"/models/{model_id}/promotions", {"tokens": tokens}),
                            "promotion")

    # ------------------------------------------------------------ models and profiles
    def models(self, **params: Any) -> Any:
        """``GET /models`` (search and listing; see the service's OpenAPI)."""
        return self.get("/models", **params)

    def model(self, model_id: int) -> dict[str, Any]:
        return self._object(self.get(f"/models/{model_id}"), "model")

    def my_models(self) -> list[dict[str, Any]]:
        return self._list(self.get("/me/models"), "models")

    def model_reviews(self, model_id: int) -> list[dict[str, Any]]:
        return self._list(self.get(f"/models/{model_id}/reviews"), "reviews")

    def profiles(self, model_id: int) -> list[dict[str, Any]]:
        """The print profiles of a model, each with ``genuine_downloads`` and
        ``milestones`` (its success figures)."""
        return self._list(self.get(f"/models/{model_id}/profiles"), "profiles")

    def profile(self, profile_id: int) -> dict[str, Any]:
        return self._object(self.get(f"/profiles/{profile_id}"), "profile")

    def download_profile(self, profile_id: int) -> dict[str, Any]:
        """``POST /profiles/{id}/downloads``: counts the download, answers the
        profile with its ``raw_settings``."""
        return self._object(self.post(f"/profiles/{profile_id}/downloads", {}), "profile")

    def download_model(self, model_id: int) -> dict[str, Any]:
        """Counts the download; answers ``{"files": [{"name", "sha256", "url"}]}``."""
        return self._object(self.post(f"/models/{model_id}/downloads", {}), "download")

    def blob(self, url: str, *, limit: int = 512 * 1024 * 1024) -> bytes:
        """The bytes behind a ``/api/v1/blobs/<sha256>`` URL, checked against the hash."""
        sha = url.rstrip("/").rsplit("/", 1)[-1]
        try:
            response = self._http.get(self.base_url + url if url.startswith("/") else url)
        except httpx.HTTPError as exc:
            raise UnreachableError(f"cannot download {url}: {exc}") from None
        if response.status_code >= 400:
            raise _problem(response)
        data = response.content
        if len(data) > limit:
            raise MalformedAnswerError(f"{url} is larger than {limit} bytes")
        if len(sha) == 64 and hashlib.sha256(data).hexdigest() != sha:
            raise MalformedAnswerError(f"{url} does not match its SHA-256")
        return data

    # ------------------------------------------------------------ community
    def jury_duties(self) -> list[dict[str, Any]]:
        """Cases this account sits on: ``[{"case_id", "voted", "item"}]`` (blind)."""
        return self._list(self.get("/me/jury-duties"), "jury duties")

    def suggestions(self) -> list[dict[str, Any]]:
        return self._list(self.get("/suggestions"), "suggestions")

    def _list(self, answer: Any, what: str) -> list[dict[str, Any]]:
        if not isinstance(answer, list) or not all(isinstance(x, dict) for x in answer):
            raise MalformedAnswerError(f"the marketplace's {what} is not a JSON list")
        return answer
