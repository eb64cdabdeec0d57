"""What every endpoint shares: the services, the signed-in account, the write helper.

``write`` is the one way an endpoint changes state.  It opens a serialised
transaction, locks the signed-in account (and any others named), honours an
``Idempotency-Key`` (a repeated request gets the first answer and changes
nothing), pays the daily cred token for activity, and retries the whole
transaction when the database reports a deadlock or a serialisation failure.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi import Depends, Header, Path, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from marketplace import rules
from marketplace import tables as t
from marketplace.awards import Payer
from marketplace.config import Config
from marketplace.db import Store, lock_accounts, lock_name, must_utc
from marketplace.errors import ApiError, bad_request, conflict, forbidden, unauthorized
from marketplace.media import BlobStore
from marketplace.photo_jobs import PhotoJobs
from marketplace.ratelimit import Buckets
from marketplace.security import token_hash

log = logging.getLogger(__name__)

ROLES = ("user", "moderator", "editor", "admin")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_ID = 2**31 - 1  # ids fit every database's INTEGER
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]


@dataclass
class Services:
    config: Config
    store: Store
    blobs: BlobStore
    hasher: PasswordHasher
    photos: PhotoJobs
    account_writes: Buckets
    dummy_hash: str = ""  # verified against for unknown names (no timing oracle)

    def now(self) -> datetime:
        return self.config.clock()


@dataclass(frozen=True)
class Principal:
    id: int
    username: str
    role: str
    created_at: datetime

    def has(self, *roles: str) -> bool:
        return self.role in roles or self.role == "admin"


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


Svc = Annotated[Services, Depends(services)]


def optional_user(
    request: Request,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token or len(token) > 200:
        raise unauthorized("use an Authorization: Bearer token")
    svc = services(request)
    with svc.store.read() as conn:
        row = conn.execute(
            sa.select(t.accounts.c.id, t.accounts.c.username, t.accounts.c.role,
                      t.accounts.c.created_at, t.tokens.c.expires_at)
            .join(t.tokens, t.tokens.c.account_id == t.accounts.c.id)
            .where(t.tokens.c.token_hash == token_hash(token))
        ).first()
    if row is None or must_utc(row.expires_at) <= svc.now():
        raise unauthorized("the token is unknown or has expired")
    if request.method in WRITE_METHODS:
        svc.account_writes.take(str(row.id))
    return Principal(int(row.id), row.username, row.role, must_utc(row.created_at))


def require_user(who: Annotated[Principal | None, Depends(optional_user)]) -> Principal:
    if who is None:
        raise unauthorized()
    return who


def require_role(*roles: str) -> Callable[[Principal], Principal]:
    def dep(who: Annotated[Principal, Depends(require_user)]) -> Principal:
        if not who.has(*roles):
            raise forbidden(f"this needs the role {' or '.join(roles)}")
        return who
    return dep


User = Annotated[Principal, Depends(require_user)]
MaybeUser = Annotated[Principal | None, Depends(optional_user)]
Moderator = Annotated[Principal, Depends(require_role("moderator"))]
Editor = Annotated[Principal, Depends(require_role("editor"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]


class Tx:
    """A write transaction handed to an endpoint's body."""

    def __init__(self, conn: sa.Connection, svc: Services, now: datetime) -> None:
        self.conn = conn
        self.svc = svc
        self.now = now
        self.payer = Payer(conn, now, svc.config.launch_date)

    def lock(self, *account_ids: int | None) -> None:
        lock_accounts(self.conn, account_ids)


_RETRYABLE = ("40P01", "40001")  # deadlock detected, serialization failure


def _retryable(exc: sa.exc.DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    if code in _RETRYABLE:
        return True
    return "database is locked" in str(exc.orig)


def write(
    request: Request,
    who: Principal | None,
    body: Callable[[Tx], tuple[int, Any]],
    *,
    lock: Iterable[int | None] = (),
    payload_digest: str = "",
) -> JSONResponse:
    svc = services(request)
    key = request.headers.get("idempotency-key")
    if key is not None and (not key.strip() or len(key) > 200):
        raise bad_request("an Idempotency-Key is 1 to 200 characters", "bad_idempotency_key")
    scope = f"account:{who.id}" if who else "anonymous"
    # Anonymous keys share one scope: their fingerprint includes the request body,
    # so nobody replays someone else's registration (and gets its token).
    fingerprint = hashlib.sha256(
        f"{request.method} {request.url.path} {payload_digest}".encode(
            "utf-8", "surrogatepass")).hexdigest()
    extra = list(lock)
    for attempt in range(8):
        try:
            with svc.store.write() as conn:
                now = svc.now()
                tx = Tx(conn, svc, now)
                tx.lock(who.id if who else None, *extra)
                if key is not None:
                    lock_name(conn, f"idem:{scope}:{key}")
                    prior = conn.execute(sa.select(t.idempotency).where(
                        t.idempotency.c.scope == scope, t.idempotency.c.key == key)).first()
                    if prior is not None:
                        if prior.fingerprint != fingerprint:
                            raise ApiError(422, "Idempotency key reused",
                                           "this key was used for another request",
                                           "idempotency_key_reused")
                        return JSONResponse(json.loads(prior.body), prior.status,
                                            headers={"Idempotent-Replayed": "true"})
                status, payload = body(tx)
                if who is not None:
                    tx.payer.points(who.id, "cred", rules.CRED_ACTIVE_DAY, "cred_active_day",
                                    f"cred_day:{who.id}:{rules.day_key(now)}")
                if key is not None:
                    conn.execute(t.idempotency.insert().values(
                        scope=scope, key=key, fingerprint=fingerprint, status=status,
                        body=json.dumps(payload), created_at=now))
            return JSONResponse(payload, status)
        except sa.exc.IntegrityError as exc:
            log.info("write refused by a constraint: %s", exc.orig)
            raise conflict("that conflicts with existing data") from None
        except sa.exc.DBAPIError as exc:
            if _retryable(exc) and attempt < 7:
                log.info("retrying a write after %s", exc.orig)
                continue
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def page_args(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(limit, 100)), max(0, min(offset, 1_000_000))
