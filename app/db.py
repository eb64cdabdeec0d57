"""The desktop database: one SQLite file per base directory, WAL mode.

``app`` creates the engine and hands a session factory to each service.  Each
domain package defines its own tables on its own ``MetaData`` (exposed as
``<package>.schema.metadata``) and never imports ``app``.  One Alembic chain
(``app/migrations``) covers all of them and is applied at start-up; before an
existing database is upgraded, a copy is kept beside it, so an old database is
migrated, never discarded.

Sessions never cross threads: a service makes a session per unit of work from
the factory, on the thread doing the work.
"""

from __future__ import annotations

import ast
import logging
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

#: The app's own tables (mirrors migration 0001).
app_metadata = sa.MetaData()
app_state = sa.Table(
    "app_state",
    app_metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

#: Domain packages whose ``schema`` module defines tables of the desktop
#: database.  Add a package here when it gains tables (and a migration).
SCHEMA_MODULES: tuple[str, ...] = ("printers.schema", "library.schema", "reviews.schema",
                                   "history.schema")


def target_metadata() -> list[sa.MetaData]:
    import importlib

    metas = [app_metadata]
    for name in SCHEMA_MODULES:
        metas.append(importlib.import_module(name).metadata)
    return metas


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()


def create_engine(path: Path) -> Engine:
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(f"sqlite:///{path}", future=True)
    event.listen(engine, "connect", _on_connect)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Any]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


_REVISION_RE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


def script_head() -> str:
    """The head revision of the migration chain, read from the version files
    without importing Alembic (which costs a good part of a second at
    start-up).  ``tests/app/test_db.py`` checks it against Alembic's answer."""
    revisions: dict[str, tuple[str, ...]] = {}
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict(_REVISION_RE.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found:
            continue
        rev = ast.literal_eval(found["revision"].strip())
        down = ast.literal_eval(found.get("down_revision", "None").strip())
        downs = () if down is None else (down,) if isinstance(down, str) else tuple(down)
        revisions[rev] = downs
    pointed_at = {d for downs in revisions.values() for d in downs}
    candidates = sorted(set(revisions) - pointed_at)
    if len(candidates) != 1:
        raise RuntimeError(f"the migration chain must have exactly one head, found {candidates}")
    return candidates[0]


def heads() -> list[str]:
    from alembic.script import ScriptDirectory

    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        row = conn.execute(sa.text("SELECT version_num FROM alembic_version")).first()
        return None if row is None else str(row[0])


def upgrade(engine: Engine, path: Path | None = None) -> None:
    """Bring the database to the newest revision, keeping a copy of an old one."""
    head = script_head()
    current = current_revision(engine)
    if current == head:
        return
    from alembic import command

    cfg = alembic_config(engine)
    if current is not None and path is not None and path.exists():
        backup = path.with_name(f"{path.name}.before-{head}")
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy2(path, backup)
        log.info("database at revision %s; kept a copy as %s before upgrading", current, backup)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    log.info("database upgraded from %s to %s", current, head)


def open_database(path: Path) -> tuple[Engine, sessionmaker[Any]]:
    engine = create_engine(path)
    upgrade(engine, path)
    return engine, session_factory(engine)
