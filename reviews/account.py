"""The marketplace account of this installation: sign-up, sign-in, the device key.

What is remembered, all in the app's secret store (``services.secrets``),
never in settings, the database or logs:

- ``marketplace.token``: the bearer token (:data:`reviews.client.TOKEN_SECRET`);
- ``marketplace.session``: JSON ``{"url", "account_id", "username",
  "device_key_id"}`` — which marketplace, which account, and the id the
  service gave this installation's receipt key (receipts name it);
- ``reviews.device_key``: the Ed25519 private key (:mod:`reviews.device_key`).

A session belongs to one marketplace URL: when the app is pointed at another
one (settings), :meth:`Account.session` is None until the user signs in there.

Registering or signing in also registers the device key with the account
(once per account), so that receipts are accepted from then on.

Blocking (HTTP): call from worker threads.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

from reviews import device_key
from reviews.client import MalformedAnswerError, MarketplaceClient
from reviews.device_key import SecretStoreLike
from reviews.errors import ReviewsError

log = logging.getLogger(__name__)

SESSION_SECRET = "marketplace.session"


class NotSignedInError(ReviewsError):
    """The app has no marketplace account for the configured URL."""


@dataclass(frozen=True, slots=True)
class Session:
    url: str
    account_id: int
    username: str
    device_key_id: str | None = None


def _norm(url: str) -> str:
    return url.rstrip("/")


class Account:
    """Sign-up, sign-in and sign-out against the marketplace at ``base_url()``."""

    def __init__(self, secrets: SecretStoreLike, base_url: Callable[[], str],
                 client: Callable[[], MarketplaceClient]) -> None:
        self._secrets = secrets
        self._base_url = base_url
        self._client = client
        self._guard = threading.Lock()

    # ------------------------------------------------------------ the session
    def session(self) -> Session | None:
        """The signed-in account for the configured marketplace, or None."""
        raw = self._secrets.get(SESSION_SECRET)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            session = Session(url=str(data["url"]), account_id=int(data["account_id"]),
                              username=str(data["username"]),
                              device_key_id=data.get("device_key_id"))
        except (ValueError, KeyError, TypeError):
            log.warning("the stored marketplace session is damaged; sign in again")
            return None
        if _norm(session.url) != _norm(self._base_url()):
            return None
        if self._client().token() is None:
            return None
        return session

    def account_id(self) -> int | None:
        s = self.session()
        return None if s is None else s.account_id

    def require(self) -> Session:
        s = self.session()
        if s is None:
            raise NotSignedInError(f"not signed in to the marketplace at {self._base_url()}: "
                              "run `layerline account login` or sign in from the "
                              "Marketplace area")
        return s

    def _save(self, session: Session) -> None:
        self._secrets.set(SESSION_SECRET, json.dumps(asdict(session)))

    # ------------------------------------------------------------ signing in
    def register(self, username: str, password: str, *, email: str | None = None,
                 referral: str | None = None) -> Session:
        """A new account (optionally invited with a referral code); signs in
        and registers the device key."""
        with self._guard:
            client = self._client()
            answer = client.register(username, password, email=email, referral=referral)
            acc = answer.get("account")
            if not isinstance(acc, dict) or not isinstance(acc.get("id"), int):
                raise MalformedAnswerError("the registration answer names no account")
            session = Session(_norm(client.base_url), int(acc["id"]), str(acc["username"]))
            self._save(session)
            return self._ensure_key(session)

    def login(self, username: str, password: str) -> Session:
        """Sign in to an existing account; registers the device key if needed."""
        with self._guard:
            client = self._client()
            client.login(username, password)
            me = client.me()
            if not isinstance(me.get("id"), int):
                raise MalformedAnswerError("the account answer has no id")
            old = self._stored()
            key_id = (old.device_key_id if old is not None and old.account_id == me["id"]
                      and _norm(old.url) == _norm(client.base_url) else None)
            session = Session(_norm(client.base_url), int(me["id"]), str(me["username"]),
                              key_id)
            self._save(session)
            return self._ensure_key(session)

    def _stored(self) -> Session | None:
        raw = self._secrets.get(SESSION_SECRET)
        if raw is None:
            return None
        try:
            d = json.loads(raw)
            return Session(str(d["url"]), int(d["account_id"]), str(d["username"]),
                           d.get("device_key_id"))
        except (ValueError, KeyError, TypeError):
            return None

    def _ensure_key(self, session: Session) -> Session:
        """Register this installation's key with the account unless it already
        is (found by its public key: signing out and in keeps the one key)."""
        client = self._client()
        key = device_key.load_or_create(self._secrets)
        active = [k for k in client.device_keys()
                  if not k.get("revoked") and k.get("public_key") == key.public_key_b64]
        key_id: str
        if active:
            ids = [str(k.get("id")) for k in active]
            key_id = session.device_key_id if session.device_key_id in ids else ids[0]
        else:
            answer = client.register_device_key(
                key, name=f"Layerline on {socket.gethostname()}")
            new_id = answer.get("id")
            if not isinstance(new_id, str) or not new_id:
                raise MalformedAnswerError("the device key answer has no id")
            key_id = new_id
            log.info("registered this installation's receipt key as %s", key_id)
        session = replace(session, device_key_id=key_id)
        self._save(session)
        return session

    def device_key_id(self) -> str | None:
        s = self.session()
        return None if s is None else s.device_key_id

    def sign_out(self) -> None:
        """Revoke the token (best effort) and forget the session; the device
        key stays (it is the installation's)."""
        with self._guard:
            self._client().logout()
            self._secrets.delete(SESSION_SECRET)
