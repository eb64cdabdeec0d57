"""The real marketplace service for desktop-side tests: ``python -m marketplace
serve`` as a child process on 127.0.0.1, with its own storage and SQLite file.

    with MarketplaceProcess(tmp_path) as market:
        market.url            # http://127.0.0.1:PORT
        market.query(sql)     # read its database (read-only) to check what it holds
        market.user()         # a fresh account: (username, password, id, token)

Started once per test session by ``tests/reviews/conftest.py`` (a couple of
seconds); tests isolate themselves with fresh accounts.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MarketplaceProcess:
    def __init__(self, directory: Path, *, port: int | None = None) -> None:
        self.directory = directory
        self.storage = directory / "storage"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90.0) -> MarketplaceProcess:
        self.storage.mkdir(parents=True, exist_ok=True)
        log = (self.directory / "marketplace.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "marketplace", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--storage", str(self.storage), "--fast-hashing",
             "--log-level", "WARNING"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2, trust_env=False) as http:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError("the marketplace exited: "
                                       + (self.directory / "marketplace.log").read_text()[-2000:])
                try:
                    if http.get(self.url + "/api/v1/health").status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError("the marketplace did not start")
                time.sleep(0.1)  # no event to wait on from another process; bounded

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)

    def __enter__(self) -> MarketplaceProcess:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # ------------------------------------------------------------ checking
    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows of the service's own database (read-only)."""
        db = self.storage / "marketplace.db"
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            return list(conn.execute(sql, params))
        finally:
            conn.close()

    def user(self, prefix: str = "t") -> tuple[str, int, str]:
        """A fresh account: (username, id, token); its password is PASSWORD."""
        name = f"{prefix}{uuid.uuid4().hex[:10]}"
        r = httpx.post(self.url + "/api/v1/accounts", trust_env=False, timeout=60, json={
            "username": name, "email": f"{name}@example.invalid", "password": PASSWORD})
        assert r.status_code == 201, r.text
        data = r.json()
        return name, int(data["account"]["id"]), str(data["token"])

    def api(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.url + "/api/v1", trust_env=False, timeout=60,
                            headers={"Authorization": f"Bearer {token}"})

    def published_model(self, token: str, title: str = "Test model") -> int:
        """A published model of the token's account (a creator for reviews)."""
        from marketplace.demo import cube_stl, demo_photo

        with self.api(token) as http:
            r = http.post("/models", json={
                "title": title, "description": "A useful thing to print.",
                "license": "CC-BY-4.0", "origin": "original", "category": "tools",
                "tags": ["a", "b", "c"]})
            assert r.status_code == 201, r.text
            mid = int(r.json()["id"])
            assert http.post(f"/models/{mid}/files", files={
                "file": ("m.stl", cube_stl(), "model/stl")}).status_code == 201
            photo = http.post("/photos", files={
                "file": ("p.jpg", demo_photo(uuid.uuid4().int % 100000, (128, 96)), "image/jpeg")})
            assert photo.status_code == 201, photo.text
            assert http.put(f"/models/{mid}/photos", json={"photos": [
                {"id": photo.json()["id"], "cover": True}]}).status_code == 200
            assert http.post(f"/models/{mid}/publish").status_code == 200
        return mid
