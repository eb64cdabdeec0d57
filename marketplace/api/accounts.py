"""Accounts: registration, tokens, profile, preferences, printers, keys, applications."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from marketplace import awards, ledger, receipts
from marketplace import tables as t
from marketplace.api.deps import BodyId, Id, Principal, Svc, Tx, User, write
from marketplace.db import must_utc, utc
from marketplace.errors import conflict, not_found, unauthorized, unprocessable
from marketplace.reputation import creator_reputation
from marketplace.security import new_referral_code, new_token, token_hash, verify_password

router = APIRouter(tags=["accounts"])

Name = Annotated[str, Field(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]
Tag = Annotated[str, Field(min_length=1, max_length=40)]


class Registration(BaseModel):
    username: Name
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=8, max_length=200)
    referral_code: str | None = Field(default=None, max_length=16)


class Login(BaseModel):
    username: str = Field(max_length=254)
    password: str = Field(max_length=200)


class ProfileEdit(BaseModel):
    nickname: str | None = Field(default=None, max_length=60)
    avatar_photo_id: BodyId | None = None
    bio: str | None = Field(default=None, max_length=5000)


class Preferences(BaseModel):
    tags: list[Tag] = Field(max_length=50)


class PrinterIn(BaseModel):
    kind: str = Field(min_length=1, max_length=40)
    model: str = Field(min_length=1, max_length=120)
    firmware: str | None = Field(default=None, max_length=120)


class ApplicationIn(BaseModel):
    kind: str = Field(pattern="^(certified|conversion)$")
    statement: str = Field(default="", max_length=5000)


class DeviceKeyIn(BaseModel):
    public_key: str = Field(min_length=40, max_length=64)
    name: str = Field(default="", max_length=120)


def _iso(moment: datetime | None) -> str | None:
    m = utc(moment)
    return m.isoformat() if m else None


def issue_token(tx: Tx, account_id: int) -> dict[str, Any]:
    token = new_token()
    expires = tx.now + tx.svc.config.token_ttl
    tx.conn.execute(t.tokens.insert().values(token_hash=token_hash(token), account_id=account_id,
                                             created_at=tx.now, expires_at=expires))
    return {"token": token, "token_type": "bearer", "expires_at": expires.isoformat()}


def account_view(conn: sa.Connection, account_id: int, *, private: bool) -> dict[str, Any]:
    a = conn.execute(sa.select(t.accounts).where(t.accounts.c.id == account_id)
                     ).mappings().first()
    if a is None:
        raise not_found("account")
    rep = creator_reputation(conn, account_id)
    out: dict[str, Any] = {
        "id": a["id"], "username": a["username"], "nickname": a["nickname"],
        "avatar": a["avatar"], "bio": a["bio"], "role": a["role"],
        "certified": a["certified"], "created_at": _iso(a["created_at"]),
        "reputation": rep["value"],
        "karma": ledger.balance(conn, account_id, "karma") // 10,
    }
    if private:
        tags = conn.execute(sa.select(t.preference_tags.c.tag).where(
            t.preference_tags.c.account_id == account_id).order_by(t.preference_tags.c.tag)
        ).scalars().all()
        out.update(email=a["email"], referral_code=a["referral_code"],
                   invited_by=a["invited_by"], preference_tags=list(tags),
                   conversion_approved=a["conversion_approved"],
                   report_ban_until=_iso(a["report_ban_until"]))
    return out


@router.post("/accounts", status_code=201)
def register(body: Registration, request: Request, svc: Svc) -> JSONResponse:
    pw_hash = svc.hasher.hash(body.password)  # slow on purpose: outside the transaction

    def run(tx: Tx) -> tuple[int, Any]:
        c = tx.conn
        taken = c.execute(sa.select(t.accounts.c.id).where(sa.or_(
            t.accounts.c.username == body.username, t.accounts.c.email == body.email.lower()))
        ).first()
        if taken is not None:
            raise conflict("that username or e-mail is taken", "account_exists")
        inviter = None
        if body.referral_code:
            inviter = c.execute(sa.select(t.accounts.c.id).where(
                t.accounts.c.referral_code == body.referral_code.upper())).scalar()
            if inviter is None:
                raise unprocessable("unknown referral code", "bad_referral_code")
        res = c.execute(t.accounts.insert().values(
            username=body.username, email=body.email.lower(), password_hash=pw_hash,
            role="user", created_at=tx.now, referral_code=new_referral_code(),
            invited_by=inviter))
        pk = res.inserted_primary_key
        assert pk is not None
        aid = int(pk[0])
        return 201, {"account": account_view(c, aid, private=True), **issue_token(tx, aid)}

    return write(request, None, run, payload_digest=body.model_dump_json())


@router.post("/auth/token")
def login(body: Login, request: Request, svc: Svc) -> JSONResponse:
    with svc.store.read() as conn:
        row = conn.execute(sa.select(t.accounts.c.id, t.accounts.c.password_hash).where(
            sa.or_(t.accounts.c.username == body.username,
                   t.accounts.c.email == body.username.lower()))).first()
    # Hash even for an unknown name, so that timing does not tell which names exist.
    stored = row.password_hash if row is not None else svc.dummy_hash
    if not verify_password(svc.hasher, stored, body.password) or row is None:
        raise unauthorized("wrong username or password")
    aid = int(row.id)
    return write(request, None, lambda tx: (200, issue_token(tx, aid)),
                 payload_digest=body.model_dump_json())



@router.post("/auth/logout")
def logout(request: Request, who: User) -> JSONResponse:
    token = (request.headers.get("authorization") or "").partition(" ")[2]

    def run(tx: Tx) -> tuple[int, Any]:
        tx.conn.execute(t.tokens.delete().where(t.tokens.c.token_hash == token_hash(token)))
        return 200, {"signed_out": True}
    return write(request, who, run)


@router.get("/me")
def me(who: User, svc: Svc) -> dict[str, Any]:
    with svc.store.read() as conn:
        return account_view(conn, who.id, private=True)


@router.get("/accounts/{account_id}")
def public_account(account_id: Id, svc: Svc) -> dict[str, Any]:
    with svc.store.read() as conn:
        return account_view(conn, account_id, private=False)


@router.patch("/me")
def edit_me(body: ProfileEdit, request: Request, who: User) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        values: dict[str, Any] = {}
        if body.nickname is not None:
            values["nickname"] = body.nickname.strip() or None
        if body.bio is not None:
            values["bio"] = body.bio
        if body.avatar_photo_id is not None:
            sha = tx.conn.execute(sa.select(t.photos.c.sha256).where(
                t.photos.c.id == body.avatar_photo_id, t.photos.c.owner_id == who.id)).scalar()
            if sha is None:
                raise not_found("photo of yours")
            values["avatar"] = sha
        if values:
            tx.conn.execute(t.accounts.update().where(t.accounts.c.id == who.id).values(**values))
        awards.check_beginner_tasks(tx.payer, who.id)
        return 200, account_view(tx.conn, who.id, private=True)
    return write(request, who, run)


@router.put("/me/preferences")
def set_preferences(body: Preferences, request: Request, who: User) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        tx.conn.execute(t.preference_tags.delete().where(
            t.preference_tags.c.account_id == who.id))
        tags = sorted({tag.strip().lower() for tag in body.tags if tag.strip()})
        for tag in tags:
            tx.conn.execute(t.preference_tags.insert().values(account_id=who.id, tag=tag))
        awards.check_beginner_tasks(tx.payer, who.id)
        return 200, {"tags": tags}
    return write(request, who, run)


@router.get("/me/printers")
def list_printers(who: User, svc: Svc) -> list[dict[str, Any]]:
    with svc.store.read() as conn:
        rows = conn.execute(sa.select(t.printers).where(t.printers.c.account_id == who.id)
                            .order_by(t.printers.c.id)).mappings().all()
    return [{"id": r["id"], "kind": r["kind"], "model": r["model"], "firmware": r["firmware"]}
            for r in rows]


@router.post("/me/printers", status_code=201)
def add_printer(body: PrinterIn, request: Request, who: User) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        res = tx.conn.execute(t.printers.insert().values(
            account_id=who.id, kind=body.kind, model=body.model, firmware=body.firmware,
            created_at=tx.now))
        pk = res.inserted_primary_key
        assert pk is not None
        awards.check_beginner_tasks(tx.payer, who.id)
        return 201, {"id": int(pk[0]), **body.model_dump()}
    return write(request, who, run)


@router.delete("/me/printers/{printer_id}")
def delete_printer(printer_id: Id, request: Request, who: User) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        n = tx.conn.execute(t.printers.delete().where(
            t.printers.c.id == printer_id, t.printers.c.account_id == who.id)).rowcount
        if not n:
            raise not_found("printer of yours")
        return 200, {"deleted": printer_id}
    return write(request, who, run)


@router.get("/me/referral")
def referral(who: User, svc: Svc) -> dict[str, Any]:
    with svc.store.read() as conn:
        code = conn.execute(sa.select(t.accounts.c.referral_code).where(
            t.accounts.c.id == who.id)).scalar_one()
        invited = conn.execute(sa.select(sa.func.count()).select_from(t.accounts).where(
            t.accounts.c.invited_by == who.id)).scalar_one()
        income = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(t.ledger.c.amount), 0))
                              .where(t.ledger.c.account_id == who.id,
                                     t.ledger.c.reason == "referral_income")).scalar_one()
    return {"code": code, "invited": int(invited), "income": ledger.as_number(int(income))}


@router.post("/me/applications", status_code=201)
def apply(body: ApplicationIn, request: Request, who: User) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        pending = tx.conn.execute(sa.select(t.applications.c.id).where(
            t.applications.c.account_id == who.id, t.applications.c.kind == body.kind,
            t.applications.c.status.in_(("pending", "approved")))).first()
        if pending is not None:
            raise conflict("you already have such an application", "application_exists")
        res = tx.conn.execute(t.applications.insert().values(
            account_id=who.id, kind=body.kind, statement=body.statement, status="pending",
            created_at=tx.now))
        pk = res.inserted_primary_key
        assert pk is not None
        return 201, {"id": int(pk[0]), "kind": body.kind, "status": "pending"}
    return write(request, who, run)


@router.get("/me/applications")
def my_applications(who: User, svc: Svc) -> list[dict[str, Any]]:
    with svc.store.read() as conn:
        rows = conn.execute(sa.select(t.applications).where(
            t.applications.c.account_id == who.id).order_by(t.applications.c.id)).mappings()
        return [{"id": r["id"], "kind": r["kind"], "status": r["status"],
                 "created_at": _iso(r["created_at"])} for r in rows]


@router.post("/me/device-keys", status_code=201)
def add_device_key(body: DeviceKeyIn, request: Request, who: User) -> JSONResponse:
    receipts.public_key(body.public_key)  # 422 unless 32 bytes of base64url

    def run(tx: Tx) -> tuple[int, Any]:
        import uuid

        kid = str(uuid.uuid4())
        tx.conn.execute(t.device_keys.insert().values(
            id=kid, account_id=who.id, public_key=body.public_key, name=body.name,
            created_at=tx.now))
        return 201, {"id": kid, "name": body.name, "public_key": body.public_key,
                     "revoked": False}
    return write(request, who, run)


@router.get("/me/device-keys")
def list_device_keys(who: User, svc: Svc) -> list[dict[str, Any]]:
    with svc.store.read() as conn:
        rows = conn.execute(sa.select(t.device_keys).where(
            t.device_keys.c.account_id == who.id).order_by(t.device_keys.c.created_at)
        ).mappings().all()
    return [{"id": r["id"], "name": r["name"], "public_key": r["public_key"],
             "revoked": r["revoked_at"] is not None} for r in rows]


@router.post("/me/device-keys/{key_id}/revoke")
def revoke_device_key(key_id: str, request: Request, who: User) -> JSONResponse:
    def run(tx: Tx) -> tuple[int, Any]:
        n = tx.conn.execute(t.device_keys.update().where(
            t.device_keys.c.id == key_id, t.device_keys.c.account_id == who.id,
            t.device_keys.c.revoked_at.is_(None)).values(revoked_at=tx.now)).rowcount
        if not n:
            raise not_found("active device key of yours")
        return 200, {"id": key_id, "revoked": True}
    return write(request, who, run)


def role_of(conn: sa.Connection, account_id: int) -> str:
    role = conn.execute(sa.select(t.accounts.c.role).where(t.accounts.c.id == account_id)
                        ).scalar()
    if role is None:
        raise not_found("account")
    return str(role)


def principal_row(conn: sa.Connection, account_id: int) -> Principal:
    a = conn.execute(sa.select(t.accounts).where(t.accounts.c.id == account_id)).mappings().one()
    return Principal(int(a["id"]), a["username"], a["role"], must_utc(a["created_at"]))


@router.get("/accounts")
def find_accounts(svc: Svc, who: User,
                  username: Annotated[str, Query(max_length=40)] = "") -> list[dict[str, Any]]:
    with svc.store.read() as conn:
        rows = conn.execute(sa.select(t.accounts.c.id, t.accounts.c.username).where(
            t.accounts.c.username == username)).all()
    return [{"id": r.id, "username": r.username} for r in rows]
