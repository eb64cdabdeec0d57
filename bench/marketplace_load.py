"""Load test of the marketplace service: 100 concurrent clients for 60 s on loopback.

What issue 5 asks, as it says it: "100 concurrent clients (asyncio and httpx, in
a separate process) on loopback for 60 s, submitting reviews with one 500 KB
JPEG each and listing models, against SQLite and against PostgreSQL; it prints
throughput and p50/p99 latency for each operation, and in the same run the p99
of a trivial endpoint of the same service under the same load (the framework's
own floor) and the ratio.  Targets: listing p99 at most 2x the floor, review
submission p99 under 100 ms."  The issue gives no arrival rate, so the default
is closed-loop: each of the 100 clients runs its cycle (upload the photo, post
the review, list models, call ``/health``) again as soon as the last answer
arrives, with no think time.  ``--rate R`` runs an open-loop variant instead
(cycles start at R per second, Poisson arrivals, whatever the answers' pace);
its figures answer a different question and are labelled as such.

A review submission is the photo upload (sent with ``Prefer: respond-async``:
the service answers 202 once the upload is checked and stored, and processes
the photo in its worker pool) plus the review's POST, from the first byte sent
to the review's 201, including any wait a 503 (photo queue full) asked for with
its Retry-After.  After the load, the bench waits for the photos still being
processed and prints how long that backlog took to drain and how the photos
ended.  All simulated clients share 127.0.0.1, so the per-address write limit
is turned off (``--rate-limit-ip 0:0``); the per-account limit stays at its
default.

    .venv/bin/python bench/marketplace_load.py                # SQLite and PostgreSQL
    .venv/bin/python bench/marketplace_load.py --db sqlite --duration 20 --clients 50
    .venv/bin/python bench/marketplace_load.py --db sqlite --rate 20   # open loop
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
from typing import Any

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
         "--workers", str(workers), "--rate-limit-ip", "0:0", "--log-level", "WARNING"],
        cwd=ROOT)
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

        def write(method: str, url: str, **kw: Any) -> Any:
            # One creator writes 150 times in a row: wait out the per-account
            # write limit (429 + Retry-After) rather than fail the set-up.
            while True:
                r = http.request(method, url, headers=creator, **kw)
                if r.status_code != 429:
                    r.raise_for_status()
                    return r.json() if r.content else None
                time.sleep(float(r.headers.get("Retry-After", "1")))

        ids = []
        for i in range(models):
            mid = write("POST", "/models", json={
                "title": f"Model {i}", "description": "bench", "license": "MIT",
                "origin": "original", "tags": ["bench"]})["id"]
            write("POST", f"/models/{mid}/files",
                  files={"file": ("m.stl", cube_stl(), "model/stl")})
            pid = write("POST", "/photos", files={
                "file": ("p.jpg", demo_photo(i + 1), "image/jpeg")})["id"]
            write("PUT", f"/models/{mid}/photos", json={"photos": [{"id": pid, "cover": True}]})
            write("POST", f"/models/{mid}/publish")
            ids.append(int(mid))
        tokens = [user(f"client{i}") for i in range(clients)]
    return tokens, ids


SUBMIT = "review submission (upload + post)"
OPS = ("photo upload (500 KB)", "review post", SUBMIT, "list models", "health (floor)")


class Stats:
    def __init__(self) -> None:
        self.lat: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.kinds: dict[str, int] = defaultdict(int)  # what the errors were
        self.busy = 0  # 503 answers (photo queue full), retried after their Retry-After
        self.photos: list[tuple[str, int]] = []  # (token, photo id) of every accepted photo


async def timed(stats: Stats, name: str, coro: Any) -> httpx.Response | None:
    t0 = time.perf_counter()
    try:
        r: httpx.Response = await coro
    except httpx.HTTPError as exc:
        stats.errors[name] += 1
        stats.kinds[f"{name}: {type(exc).__name__}"] += 1
        return None
    stats.lat[name].append(time.perf_counter() - t0)
    if r.status_code >= 400 and r.status_code != 503:
        stats.errors[name] += 1
        stats.kinds[f"{name}: HTTP {r.status_code}"] += 1
    return r


async def cycle(http: Any, token: str, rnd: random.Random, *, models: list[int],
                photo: bytes, stats: Stats) -> None:
    """One review submission, one listing, one call of the floor endpoint."""
    t0 = time.perf_counter()
    while True:
        up = await timed(stats, "photo upload (500 KB)", http.post(
            "/photos", files={"file": ("p.jpg", photo, "image/jpeg")},
            headers={"Prefer": "respond-async"}))
        if up is None or up.status_code != 503:
            break
        stats.busy += 1
        await asyncio.sleep(float(up.headers.get("retry-after", "1")))
    if up is not None and up.status_code in (201, 202):
        pid = int(up.json()["id"])
        stats.photos.append((token, pid))
        r = await timed(stats, "review post", http.post("/reviews", json={
            "model_id": rnd.choice(models), "stars": rnd.randint(1, 5),
            "description": "Benchmark review with enough text to count.",
            "photo_ids": [pid]}))
        if r is not None and r.status_code == 201:
            stats.lat[SUBMIT].append(time.perf_counter() - t0)
    await timed(stats, "list models", http.get("/models", params={
        "sort": rnd.choice(["recent", "downloads", "rating", "reputation"]), "limit": 20}))
    await timed(stats, "health (floor)", http.get("/health"))


async def closed_loop(base: str, tokens: list[str], models: list[int], *, photo: bytes,
                      duration: float, stats: Stats) -> None:
    stop_at = time.monotonic() + duration

    async def client(token: str, seed: int) -> None:
        rnd = random.Random(seed)
        async with httpx.AsyncClient(base_url=base + "/api/v1", timeout=120, headers={
                "Authorization": f"Bearer {token}"}) as http:
            while time.monotonic() < stop_at:
                await cycle(http, token, rnd, models=models, photo=photo, stats=stats)

    await asyncio.gather(*(client(tok, i) for i, tok in enumerate(tokens)))


async def open_loop(base: str, tokens: list[str], models: list[int], *, photo: bytes,
                    duration: float, rate: float, stats: Stats) -> None:
    rnd = random.Random(1)
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base + "/api/v1", timeout=120,
                                 limits=limits) as http:
        tasks: list[asyncio.Task[None]] = []
        start = time.monotonic()
        at, i = 0.0, 0
        while at < duration:
            delay = start + at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tok = tokens[i % len(tokens)]
            i += 1
            hdr = {"Authorization": f"Bearer {tok}"}
            tasks.append(asyncio.create_task(cycle(
                _Authed(http, hdr), tok, random.Random(i), models=models, photo=photo,
                stats=stats)))
            at += rnd.expovariate(rate)
        await asyncio.gather(*tasks)


class _Authed:
    """The shared client, with one account's Authorization header on every request."""

    def __init__(self, http: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.http, self.headers = http, headers

    def post(self, url: str, **kw: Any) -> Any:
        return self.http.post(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def get(self, url: str, **kw: Any) -> Any:
        return self.http.get(url, headers=self.headers, **kw)


async def drain(base: str, stats: Stats) -> tuple[float, dict[str, int]]:
    """Wait for every accepted photo to be processed; (seconds it took, states)."""
    t0 = time.perf_counter()
    states: dict[str, int] = defaultdict(int)
    sem = asyncio.Semaphore(20)
    async with httpx.AsyncClient(base_url=base + "/api/v1", timeout=180) as http:
        async def one(token: str, pid: int) -> None:
            async with sem:
                r = await http.get(f"/photos/{pid}", headers={
                    "Authorization": f"Bearer {token}", "Prefer": "wait=60"})
                states[r.json().get("state", "?") if r.status_code == 200 else
                       f"http {r.status_code}"] += 1
        await asyncio.gather(*(one(tok, pid) for tok, pid in stats.photos))
    return time.perf_counter() - t0, dict(states)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    return s[min(len(s) - 1, round(q * (len(s) - 1)))] * 1000


async def load(base: str, tokens: list[str], models: list[int], duration: float,
               rate: float | None) -> tuple[Stats, float, dict[str, int]]:
    photo = jpeg_of_about(500_000)
    stats = Stats()
    if rate is None:
        await closed_loop(base, tokens, models, photo=photo, duration=duration, stats=stats)
    else:
        await open_loop(base, tokens, models, photo=photo, duration=duration, rate=rate,
                        stats=stats)
    drained, states = await drain(base, stats)
    return stats, drained, states


def run(db: str, clients: int, duration: float, *, models: int, workers: int,
        rate: float | None) -> None:
    storage = Path(tempfile.mkdtemp(prefix="mp-bench-"))
    pg = Postgres() if db == "postgres" else None
    url = pg.start() if pg else f"sqlite:///{storage / 'bench.db'}"
    proc, base = start_service(url, storage, workers)
    try:
        tokens, ids = setup(base, clients, models)
        t_load = time.perf_counter()
        stats, drained, states = asyncio.run(load(base, tokens, ids, duration, rate))
        elapsed = time.perf_counter() - t_load - drained
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if pg:
            pg.stop()
        shutil.rmtree(storage, ignore_errors=True)
    lat, errors = stats.lat, stats.errors
    mode = (f"{clients} closed-loop clients" if rate is None else
            f"OPEN LOOP at {rate:g} cycles/s over {clients} accounts")
    print(f"\n== {db}: {mode}, {duration:.0f} s ({elapsed:.0f} s until the last answer), "
          f"{models} models, {workers} server worker(s), {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} ==")
    print(f"{'operation':38} {'count':>7} {'per s':>8} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}")
    for name in OPS:
        v = lat.get(name, [])
        print(f"{name:38} {len(v):7d} {len(v) / duration:8.1f} {pct(v, 0.5):9.1f} "
              f"{pct(v, 0.99):9.1f} {errors.get(name, 0):7d}")
    floor = pct(lat["health (floor)"], 0.99)
    listing = pct(lat["list models"], 0.99)
    review = pct(lat[SUBMIT], 0.99)
    print(f"listing p99 / floor p99 = {listing / floor:.2f} (target <= 2)")
    print(f"review submission p99 = {review:.0f} ms (target < 100 ms); "
          f"review submission p99 / floor p99 = {review / floor:.2f}")
    print(f"photo queue full (503, retried after Retry-After): {stats.busy}")
    if stats.kinds:
        print(f"errors: {dict(sorted(stats.kinds.items()))}")
    print(f"after the load: the photo backlog drained in {drained:.1f} s; photos by state: "
          f"{dict(sorted(states.items()))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--models", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--rate", type=float, default=None,
                        help="open loop: review cycles started per second (default: the "
                             "issue's closed loop of --clients clients)")
    args = parser.parse_args()
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        run(db, args.clients, args.duration, models=args.models, workers=args.workers,
            rate=args.rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
