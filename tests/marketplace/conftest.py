"""Real marketplace servers on loopback (SQLite and a throw-away PostgreSQL cluster).

The servers are session-scoped: tests isolate themselves by registering fresh
accounts (caps, balances and milestones are all per account or per model).
Time is a ``FakeClock`` the tests can move (months, the 7-day jury deadline).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn

from marketplace.config import Config
from marketplace.ratelimit import Limit
from marketplace.web import create_app
from tests.marketplace.client import Api, FakeClock, Server


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


def stop_server(srv: Server, server: uvicorn.Server, thread: threading.Thread) -> None:
    server.should_exit = True
    thread.join(timeout=30)
    srv.close()
    srv.close()


def start_server(config: Config) -> tuple[Server, uvicorn.Server, threading.Thread]:
    app = create_app(config)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, name=f"marketplace-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not server.started and thread.is_alive():
        time.sleep(0.02)  # uvicorn offers no event to wait on; bounded poll
    if not server.started:
        raise RuntimeError("the marketplace server did not start")
    return Server(f"http://127.0.0.1:{port}", config), server, thread


@pytest.fixture(scope="session")
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))


def _serve(url: str, storage: Path, clock: FakeClock, **extra: object) -> Iterator[Server]:
    # Test helpers build worlds fast (50 models by one account in seconds): the shared
    # servers keep rate limits far above that; test_rate_limits.py has tight ones.
    extra.setdefault("write_limit_account", Limit(rate=1000.0, burst=10_000))
    extra.setdefault("write_limit_ip", Limit(rate=1000.0, burst=10_000))
    config = Config(database_url=url, storage=storage, fast_hashing=True, clock=clock,
                    escalation_interval=0.2, **extra)  # type: ignore[arg-type]
    srv, server, thread = start_server(config)
    try:
        yield srv
    finally:
        stop_server(srv, server, thread)


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory, clock: FakeClock) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("mp-sqlite")
    yield from _serve(f"sqlite:///{root / 'marketplace.db'}", root / "storage", clock)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL cluster run as the ``postgres`` user on a private socket."""
    initdb = PG_BIN / "initdb"
    if not initdb.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is missing on CI: scripts/setup.sh --dev installs it")
        pytest.skip("PostgreSQL is not installed (scripts/setup.sh --dev installs it)")
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        as_postgres = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="mp-pg-"))
    shutil.chown(base, "postgres") if os.geteuid() == 0 else None
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(sock, "postgres")
    port = free_port()
    subprocess.run([*as_postgres, str(initdb), "-D", str(data), "-U", "postgres", "-A", "trust",
                    "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
    opts = (f"-p {port} -k {sock} -c listen_addresses='' -c fsync=off "
            f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    subprocess.run([*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts,
                    "-l", str(base / "log"), "-w", "-t", "60", "start"], check=True,
                   capture_output=True)
    try:
        subprocess.run([*as_postgres, str(PG_BIN / "createdb"), "-h", str(sock), "-p", str(port),
                        "-U", "postgres", "marketplace"], check=True, capture_output=True)
        yield f"postgresql+psycopg://postgres@/marketplace?host={sock}&port={port}"
    finally:
        subprocess.run([*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "-w", "stop"], check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory, postgres_url: str,
                    clock: FakeClock) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("mp-pg-storage")
    yield from _serve(postgres_url, root, clock)


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest) -> Server:
    """Both databases, for the tests that must hold on each."""
    name = "sqlite_server" if request.param == "sqlite" else "postgres_server"
    srv: Server = request.getfixturevalue(name)
    return srv


@pytest.fixture
def api(sqlite_server: Server) -> Iterator[Api]:
    with Api(sqlite_server) as a:
        yield a
