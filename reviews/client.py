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

The service's endpoints are being built in parallel (``marketplace/``); the
paths used here are the expected ones (``/api/v1/...``) and are gathered in
:data:`PATHS` so that aligning them is one edit.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx

from reviews.device_key import DeviceKey, SecretStoreLike
from reviews.errors import ReviewsError

log = logging.getLogger(__name__)

TOKEN_SECRET = "marketplace.token"
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=20.0, pool=5.0)
PATHS = {
    "register": "/api/v1/auth/register",
    "login": "/api/v1/auth/login",
    "account": "/api/v1/account",
    "rewards": "/api/v1/account/rewards",
    "device_keys": "/api/v1/account/device-keys",
}


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
            detail = raw
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
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout,
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
                auth: bool = True) -> Any:
        """Send one request and return its JSON answer (None for 204)."""
        headers: dict[str, str] = {}
        if auth and (token := self.token()):
            headers["Authorization"] = f"Bearer {token}"
        if method.upper() == "POST":
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        try:
            response = self._http.request(method, path, json=json, params=params,
                                          headers=headers)
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
    def register(self, username: str, password: str, *, referral: str | None = None) -> \
            dict[str, Any]:
        body: dict[str, Any] = {"username": username, "password": password}
        if referral:
            body["referral_code"] = referral
        answer = self._object(self.request("POST", PATHS["register"], json=body, auth=False),
                              "registration answer")
        self._keep_token(answer)
        return answer

    def login(self, username: str, password: str) -> dict[str, Any]:
        answer = self._object(self.request("POST", PATHS["login"], auth=False,
                                           json={"username": username, "password": password}),
                              "login answer")
        self._keep_token(answer)
        log.info("signed in to %s as %s", self.base_url, username)
        return answer

    def _keep_token(self, answer: dict[str, Any]) -> None:
        token = answer.get("access_token") or answer.get("token")
        if not isinstance(token, str) or not token:
            raise MalformedAnswerError("the marketplace did not give a token")
        self._secrets.set(TOKEN_SECRET, token)

    def account(self) -> dict[str, Any]:
        return self._object(self.get(PATHS["account"]), "account")

    def rewards(self) -> dict[str, Any]:
        """Balances, month-to-date amounts and caps, tasks, ... (REWARDS.md §11)."""
        return self._object(self.get(PATHS["rewards"]), "rewards summary")

    def register_device_key(self, key: DeviceKey) -> dict[str, Any]:
        """Register this installation's receipt key to the signed-in account."""
        return self._object(self.post(PATHS["device_keys"], key.registration()),
                            "device key answer")
