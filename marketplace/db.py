"""Engine, migrations and transactions for the marketplace database.

Writes are serialised per account so that caps hold under concurrent
requests: on SQLite every writing transaction is ``BEGIN IMMEDIATE`` (one
writer at a time, the others wait on the busy timeout); on PostgreSQL the
writer locks the account rows it pays with ``SELECT ... FOR UPDATE``, in id
order so that two writers never deadlock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig

from marketplace import tables as t

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        if ":memory:" in url:
            engine = sa.create_engine(
                url, connect_args={"check_same_thread": False}, poolclass=sa.pool.StaticPool
            )
        else:
            engine = sa.create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 60},
                pool_size=20, max_overflow=40,
            )

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            immediate = conn.get_execution_options().get("immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return sa.create_engine(url, pool_size=20, max_overflow=40, pool_pre_ping=True)


def migrate(engine: sa.Engine) -> None:
    """Bring the database to the newest revision of the marketplace's own chain."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def is_postgres(conn: sa.Connection) -> bool:
    return conn.dialect.name == "postgresql"


class Store:
    """Hands out read connections and serialised write transactions."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        # SQLite admits one writer; its busy handler makes the others sleep and poll,
        # which under load gives long tails.  Writers of this process queue here
        # instead, and only other processes ever meet the busy handler.
        self._sqlite_writers = threading.Lock() if engine.dialect.name == "sqlite" else None

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        if self._sqlite_writers is None:
            with self.engine.connect() as raw, raw.begin():
                yield raw
            return
        with self._sqlite_writers, self.engine.connect() as raw:
            conn = raw.execution_options(immediate=True)
            with conn.begin():
                yield conn


def lock_accounts(conn: sa.Connection, ids: Iterable[int | None]) -> None:
    """Serialise writers on these accounts (a no-op on SQLite, already serial)."""
    if not is_postgres(conn):
        return
    wanted = sorted({i for i in ids if i is not None})
    if wanted:
        conn.execute(
            sa.select(t.accounts.c.id)
            .where(t.accounts.c.id.in_(wanted))
            .order_by(t.accounts.c.id)
            .with_for_update()
        ).all()


def lock_name(conn: sa.Connection, name: str) -> None:
    """A transaction-scoped lock on an arbitrary name (PostgreSQL advisory lock)."""
    if is_postgres(conn):
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:n))"), {"n": name})


def utc(moment: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: they are UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def must_utc(moment: datetime) -> datetime:
    out = utc(moment)
    assert out is not None
    return out
