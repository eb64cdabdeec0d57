"""Load test of the marketplace service: 100 concurrent clients for 60 s on loopback.

The service runs as its own process (``python -m marketplace serve``); this
process drives it with asyncio + httpx clients that submit reviews carrying one
~500 KB JPEG each (upload the photo, then post the review) and list models.
In the same run each client also calls a trivial endpoint (``/health``), whose
p99 under the same load is the framework's own floor; the listing's p99 is
printed against it as a ratio.  Targets: listing p99 <= 2x the floor, review
submission p99 < 100 ms.

    .venv/bin/python bench/marketplace_load.py                # SQLite and PostgreSQL
    .venv/bin/python bench/marketplace_load.py --db sqlite --duration 20 --clients 50
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
def _pg_bin() -> Path:
    """Debian's PostgreSQL binaries (the newest installed major version)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def jpeg_of_about(size: int) -> bytes:
    rnd = random.Random(7)
    side = 300
    while True:
        img = Image.frombytes("RGB", (side, side), rnd.randbytes(side * side * 3))
        out = io.BytesIO()
        img.save(out, format="JPEG", quality=85)
        if len(out.getvalue()) >= size:
            return out.getvalue()
        side += 40


class Postgres:
    """A throw-away cluster, run as the postgres user when we are root."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="mp-bench-pg-"))
        self.port = free_port()
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def start(self) -> str:
        data, sock = self.base / "data", self.base / "sock"
        sock.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
            shutil.chown(sock, "postgres")
        subprocess.run([*self.prefix, str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres",
                        "-A", "trust", "--no-sync"], check=True, capture_output=True)
        opts = f"-p {self.port} -k {sock} -c listen_addresses='' -c max_connections=200"
        subprocess.run([*self.prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts,
                        "-l", str(self.base / "log"), "-w", "start"], check=True,
                       capture_output=True)
        subprocess.run([*self.prefix, str(PG_BIN / "createdb"), "-h", str(sock), "-p",
                        str(self.port), "-U", "postgres", "bench"], check=True,
                       capture_output=True)
        return f"postgresql+psycopg://postgres@/bench?host={sock}&port={self.port}"

    def stop(self) -> None:
        subprocess.run([*self.prefix, str(PG_BIN / "pg_ctl"), "-D", str(self.base / "data"),
                        "-m", "fast", "-w", "stop"], check=False, capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)


def start_service(database: str, storage: Path, workers: int
                  ) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "marketplace", "serve", "--host", "127.0.0.1", "--port",
         str(port), "--storage", str(storage), "--database", database, "--fast-hashing",
         "--workers", str(workers), "--log-level", "WARNING"], cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/v1/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the service did not start")


def setup(base: str, clients: int, models: int) -> tuple[list[str], list[int]]:
    from marketplace.demo import cube_stl, demo_photo

    with httpx.Client(base_url=base + "/api/v1", timeout=60) as http:
        def user(name: str) -> str:
            r = http.post("/accounts", json={"username": name, "email": f"{name}@b.invalid",
                                             "password": "benchmark password"})
            r.raise_for_status()
            return str(r.json()["token"])

        creator = {"Authorization": f"Bearer {user('creator')}"}
        ids = []
        for i in range(models):
            mid = http.post("/models", headers=creator, json={
                "title": f"Model {i}", "description": "bench", "license": "MIT",
                "origin": "original", "tags": ["bench"]}).json()["id"]
            http.post(f"/models/{mid}/files", headers=creator,
                      files={"file": ("m.stl", cube_stl(), "model/stl")}).raise_for_status()
            pid = http.post("/photos", headers=creator, files={
                "file": ("p.jpg", demo_photo(i + 1), "image/jpeg")}).json()["id"]
            http.put(f"/models/{mid}/photos", headers=creator,
                     json={"photos": [{"id": pid, "cover": True}]}).raise_for_status()
            http.post(f"/models/{mid}/publish", headers=creator).raise_for_status()
            ids.append(int(mid))
        tokens = [user(f"client{i}") for i in range(clients)]
    return tokens, ids


async def client(base: str, token: str, *, models: list[int], photo: bytes, stop_at: float,
                 lat: dict[str, list[float]], errors: dict[str, int], seed: int) -> None:
    rnd = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base + "/api/v1", timeout=120,
                                 headers=headers) as http:
        async def timed(name: str, coro: object) -> httpx.Response | None:
            t0 = time.perf_counter()
            try:
                r: httpx.Response = await coro  # type: ignore[misc]
            except httpx.HTTPError:
                errors[name] += 1
                return None
            lat[name].append(time.perf_counter() - t0)
            if r.status_code >= 400:
                errors[name] += 1
            return r

        while time.monotonic() < stop_at:
            t0 = time.perf_counter()
            up = await timed("photo upload (500 KB)", http.post(
                "/photos", files={"file": ("p.jpg", photo, "image/jpeg")}))
            if up is not None and up.status_code == 201:
                r = await timed("review post", http.post("/reviews", json={
                    "model_id": rnd.choice(models), "stars": rnd.randint(1, 5),
                    "description": "Benchmark review with enough text to count.",
                    "photo_ids": [up.json()["id"]]}))
                if r is not None and r.status_code == 201:
                    lat["review submission (upload + post)"].append(time.perf_counter() - t0)
            await timed("list models", http.get("/models", params={
                "sort": rnd.choice(["recent", "downloads", "rating", "reputation"]),
                "limit": 20}))
            await timed("health (floor)", http.get("/health"))


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    return s[min(len(s) - 1, round(q * (len(s) - 1)))] * 1000


async def load(base: str, tokens: list[str], models: list[int], duration: float
               ) -> tuple[dict[str, list[float]], dict[str, int]]:
    photo = jpeg_of_about(500_000)
    lat: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    stop_at = time.monotonic() + duration
    await asyncio.gather(*(client(base, tok, models=models, photo=photo, stop_at=stop_at,
                                  lat=lat, errors=errors, seed=i)
                           for i, tok in enumerate(tokens)))
    return lat, errors


def run(db: str, clients: int, duration: float, models: int, workers: int) -> None:
    storage = Path(tempfile.mkdtemp(prefix="mp-bench-"))
    pg = Postgres() if db == "postgres" else None
    url = pg.start() if pg else f"sqlite:///{storage / 'bench.db'}"
    proc, base = start_service(url, storage, workers)
    try:
        tokens, ids = setup(base, clients, models)
        lat, errors = asyncio.run(load(base, tokens, ids, duration))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if pg:
            pg.stop()
        shutil.rmtree(storage, ignore_errors=True)
    print(f"\n== {db}: {clients} clients, {duration:.0f} s, {models} models, "
          f"{workers} server worker(s), {os.cpu_count()} CPUs ==")
    print(f"{'operation':38} {'count':>7} {'per s':>8} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}")
    for name in ("photo upload (500 KB)", "review post", "review submission (upload + post)",
                 "list models", "health (floor)"):
        v = lat.get(name, [])
        print(f"{name:38} {len(v):7d} {len(v) / duration:8.1f} {pct(v, 0.5):9.1f} "
              f"{pct(v, 0.99):9.1f} {errors.get(name, 0):7d}")
    floor = pct(lat["health (floor)"], 0.99)
    listing = pct(lat["list models"], 0.99)
    review = pct(lat["review submission (upload + post)"], 0.99)
    print(f"listing p99 / floor p99 = {listing / floor:.2f} (target <= 2)")
    print(f"review submission p99 = {review:.0f} ms (target < 100 ms)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--models", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    args = parser.parse_args()
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        run(db, args.clients, args.duration, args.models, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
