from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import db


def test_migration_chain_has_exactly_one_head() -> None:
    assert len(db.heads()) == 1


def test_fast_head_lookup_agrees_with_alembic() -> None:
    assert db.script_head() == db.heads()[0]


def test_upgrading_an_empty_database_reproduces_the_models(tmp_path: Path) -> None:
    engine = db.create_engine(tmp_path / "x.db")
    db.upgrade(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = []
        for meta in db.target_metadata():
            # Other packages' tables (and their indexes) show up as removals.
            diffs += [d for d in compare_metadata(ctx, meta)
                      if d[0] != "remove_table"
                      and not (d[0] == "remove_index" and d[1].table.name not in meta.tables)]
        # Every table of every metadata exists with the same columns.
        insp = sa.inspect(conn)
        for meta in db.target_metadata():
            for table in meta.tables.values():
                assert insp.has_table(table.name), table.name
    assert diffs == []
    engine.dispose()


def test_database_is_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine, sessions = db.open_database(tmp_path / "l.db")
    with sessions() as s:
        assert s.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_old_database_is_migrated_and_a_copy_kept(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    # A database from before the first migration that has user data in it.
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    con.execute("INSERT INTO alembic_version VALUES ('0001_foundation')")
    con.execute("CREATE TABLE app_state (key VARCHAR(200) PRIMARY KEY, value TEXT NOT NULL)")
    con.execute("INSERT INTO app_state VALUES ('k', 'kept')")
    con.commit()
    con.close()
    head = db.heads()[0]
    engine, sessions = db.open_database(path)
    with sessions() as s:
        assert s.execute(sa.text("SELECT value FROM app_state WHERE key='k'")).scalar() == "kept"
    assert db.current_revision(engine) == head
    if head != "0001_foundation":
        assert (tmp_path / f"old.db.before-{head}").exists()
    engine.dispose()

