"""A small honest HTTP client for the marketplace tests (httpx on loopback)."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from marketplace import tables as t
from marketplace.config import Config
from marketplace.db import make_engine
from marketplace.demo import cube_stl, demo_photo


class FakeClock:
    """The service's clock, moved by the tests; thread-safe."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


@dataclass
class Server:
    base_url: str
    config: Config
    _engine: sa.Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = make_engine(self.config.database_url)
        return self._engine

    def close(self) -> None:
        """Close the tests' own connections (the server closes its pool itself)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def grant(self, account_id: int, role: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(t.accounts.update().where(t.accounts.c.id == account_id)
                         .values(role=role))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class User:
    def __init__(self, http: httpx.Client, username: str, account_id: int, token: str) -> None:
        self.http = http
        self.username = username
        self.id = account_id
        self.token = token
        self.headers = {"Authorization": f"Bearer {token}"}
        self.device_key: Ed25519PrivateKey | None = None
        self.device_key_id: str | None = None

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kw)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)

    def ok(self, method: str, path: str, **kw: Any) -> Any:
        r = self.request(method, path, **kw)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()

    # -- helpers ----------------------------------------------------------
    def balances(self) -> dict[str, Any]:
        return dict(self.ok("GET", "/me/balances"))

    def photo(self, seed: int | None = None) -> int:
        seed = seed if seed is not None else uuid.uuid4().int % 100000
        r = self.ok("POST", "/photos", files={"file": ("p.jpg", demo_photo(seed), "image/jpeg")})
        return int(r["id"])

    def model(self, *, origin: str = "original", publish: bool = True, title: str = "A model",
              **fields: Any) -> int:
        body = {"title": title, "description": "A useful thing to print.", "license": "CC-BY-4.0",
                "origin": origin, "category": "tools", "tags": ["a", "b", "c"], **fields}
        if origin == "repost":
            body.setdefault("attribution", "by someone else")
        mid = int(self.ok("POST", "/models", json=body)["id"])
        self.ok("POST", f"/models/{mid}/files", files={"file": ("m.stl", cube_stl(), "model/stl")})
        self.ok("PUT", f"/models/{mid}/photos", json={"photos": [{"id": self.photo(),
                                                                   "cover": True}]})
        if publish:
            self.ok("POST", f"/models/{mid}/publish")
        return mid

    def profile(self, model_id: int, title: str = "PLA fine") -> int:
        return int(self.ok("POST", f"/models/{model_id}/profiles", json={
            "title": title, "material": "PLA", "nozzle_diameter": 0.4, "layer_height": 0.2,
            "infill_density": 20, "supports": False})["id"])

    def register_key(self) -> str:
        self.device_key = Ed25519PrivateKey.generate()
        raw = self.device_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.device_key_id = str(self.ok("POST", "/me/device-keys",
                                         json={"public_key": b64url(raw), "name": "test"})["id"])
        return self.device_key_id

    def receipt(self, now: datetime, *, model_id: int | None = None,
                profile_id: int | None = None, job_state: str = "completed",
                verdict: str | None = "good", **override: Any) -> dict[str, Any]:
        if self.device_key is None:
            self.register_key()
        assert self.device_key is not None
        obj: dict[str, Any] = {
            "receipt_id": str(uuid.uuid4()), "account": self.id,
            "device_key_id": self.device_key_id, "file_sha256": "ab" * 32,
            "model_id": model_id, "profile_id": profile_id,
            "printer": {"kind": "marlin-serial", "firmware": "Marlin 2.1.2"},
            "started_at": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ended_at": (now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "job_state": job_state, "failure_reason": None, "lines_confirmed": 1000,
            "verdict": verdict, "verdict_reason": None,
        }
        obj.update(override)
        return self.sign(obj)

    def sign(self, obj: dict[str, Any]) -> dict[str, Any]:
        assert self.device_key is not None
        data = json.dumps(obj, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode()
        return {"receipt": obj, "signature": b64url(self.device_key.sign(data))}


class Api:
    """Anonymous access plus a factory of fresh signed-in users."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.base_url + "/api/v1", timeout=120)

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def user(self, prefix: str = "u", referral_code: str | None = None) -> User:
        name = f"{prefix}{uuid.uuid4().hex[:12]}"
        body: dict[str, Any] = {"username": name, "email": f"{name}@example.invalid",
                                "password": "correct horse battery"}
        if referral_code:
            body["referral_code"] = referral_code
        r = self.http.post("/accounts", json=body)
        assert r.status_code == 201, r.text
        data = r.json()
        return User(self.http, name, int(data["account"]["id"]), data["token"])

    def role_user(self, role: str) -> User:
        u = self.user(role[:3])
        self.server.grant(u.id, role)
        return u
