"""``python -m marketplace`` as a real process, and the demo seeding the app calls."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from marketplace.demo import DEMO_MODELS, seed_demo
from tests.marketplace.client import Api, Server

ROOT = Path(__file__).resolve().parents[2]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_seed_demo_is_idempotent(sqlite_server: Server) -> None:
    first = seed_demo(sqlite_server.base_url)
    again = seed_demo(sqlite_server.base_url)
    assert first.model_ids == again.model_ids and len(first.model_ids) == len(DEMO_MODELS)
    with Api(sqlite_server) as api:
        for mid in first.model_ids:
            model = api.http.get(f"/models/{mid}").json()
            assert model["status"] == "approved" and model["cover"]
            assert len(api.http.get(f"/models/{mid}/profiles").json()) == 1
        me = api.http.get("/me", headers={"Authorization": f"Bearer {again.token}"}).json()
        assert me["username"] == "demo"


def test_serve_seed_demo_and_grant_role_from_the_command_line(tmp_path: Path) -> None:
    port = _port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "marketplace", "serve", "--host", "127.0.0.1", "--port",
         str(port), "--storage", str(tmp_path), "--seed-demo", "--fast-hashing",
         "--log-level", "WARNING"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        models: list[object] = []
        while time.monotonic() < deadline:
            try:
                models = httpx.get(base + "/models", timeout=2).json()["items"]
            except (httpx.HTTPError, KeyError, ValueError):
                models = []
            if len(models) == len(DEMO_MODELS):
                break
            time.sleep(0.1)
        assert len(models) == len(DEMO_MODELS)
        assert len(httpx.get(base + "/store/items").json()) == 3
    finally:
        proc.terminate()
        # uvicorn shuts down gracefully, then re-raises the signal it caught
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
    assert (tmp_path / "marketplace.db").exists()
    done = subprocess.run([sys.executable, "-m", "marketplace", "grant-role", "--storage",
                           str(tmp_path), "demo", "admin"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    missing = subprocess.run([sys.executable, "-m", "marketplace", "grant-role", "--storage",
                              str(tmp_path), "nobody", "admin"], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=False)
    assert missing.returncode == 1
