"""The library's tables in the desktop database (migration ``0003_library``).

A *model* is what the maker thinks of as one thing (a benchy); it has
*versions*, each with *files*; a file points at a *blob* of the
content-addressed store by its SHA-256.  ``lib_model`` carries denormalised
columns (format, size, triangles, print counts, ``title_sort``,
``search_text``) so that search, filters and sorts run on one indexed table.
``lib_fts`` is an FTS5 index over ``lib_model.search_text`` kept in step by
triggers (its DDL is below; SQLAlchemy's metadata does not describe it).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

ORIGINS = ("original", "remix", "repost", "imported", "marketplace")

lib_blob = sa.Table(
    "lib_blob", metadata,
    sa.Column("hash", sa.String(64), primary_key=True),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("stored_at", sa.Float(), nullable=False),
)

#: The sort indexes: the sort column, the prefix mask, then the columns of
#: the common filters, so that a search walking one tests the mask and the
#: filters on the index alone and reads only the rows that pass them.
SORT_INDEX_COLUMNS: dict[str, tuple[str, ...]] = {
    col: (col, "prefix_mask", "primary_format", "licence",
          *(() if col == "print_count" else ("print_count",)))
    for col in ("title_sort", "created_at", "total_size", "triangles", "print_count")
}

lib_model = sa.Table(
    "lib_model", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("title_sort", sa.String(500), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.Column("category", sa.String(200), nullable=False, server_default="", index=True),
    sa.Column("licence", sa.String(100), nullable=False, server_default="", index=True),
    sa.Column("origin", sa.String(20), nullable=False, server_default="imported"),
    sa.Column("creator", sa.String(300), nullable=False, server_default=""),
    sa.Column("attribution", sa.Text(), nullable=False, server_default=""),
    sa.Column("source_url", sa.String(2000), nullable=False, server_default=""),
    sa.Column("remix_parent_id", sa.Integer(),
              sa.ForeignKey("lib_model.id", ondelete="SET NULL"), nullable=True),
    sa.Column("notes", sa.Text(), nullable=False, server_default=""),
    sa.Column("marketplace_model_id", sa.String(100), nullable=True, index=True),
    sa.Column("marketplace_profile_id", sa.String(100), nullable=True),
    sa.Column("created_at", sa.Float(), nullable=False),
    sa.Column("updated_at", sa.Float(), nullable=False),
    sa.Column("primary_format", sa.String(16), nullable=False, server_default="", index=True),
    sa.Column("total_size", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("triangles", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("thumb_hash", sa.String(64), nullable=True),
    sa.Column("print_count", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("success_count", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("last_outcome", sa.String(20), nullable=True),
    sa.Column("search_text", sa.Text(), nullable=False, server_default=""),
    # Bits for the first letter and first two letters of every word (see
    # library.catalog.prefix_mask): each sort index carries it, so a search
    # walking a sort index skips non-matching rows without reading them.
    sa.Column("prefix_mask", sa.BigInteger(), nullable=False, server_default="0"),
    *(sa.Index(f"ix_lib_model_{col}", *cols) for col, cols in SORT_INDEX_COLUMNS.items()),
)

lib_version = sa.Table(
    "lib_version", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("model_id", sa.Integer(), sa.ForeignKey("lib_model.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("number", sa.Integer(), nullable=False),
    sa.Column("label", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", sa.Float(), nullable=False),
    sa.UniqueConstraint("model_id", "number", name="uq_lib_version_number"),
)

lib_file = sa.Table(
    "lib_file", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("model_id", sa.Integer(), sa.ForeignKey("lib_model.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("version_id", sa.Integer(), sa.ForeignKey("lib_version.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("blob_hash", sa.String(64), sa.ForeignKey("lib_blob.hash"), nullable=False,
              index=True),
    sa.Column("name", sa.String(1000), nullable=False),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("triangles", sa.BigInteger(), nullable=True),
    sa.Column("size_x", sa.Float(), nullable=True),
    sa.Column("size_y", sa.Float(), nullable=True),
    sa.Column("size_z", sa.Float(), nullable=True),
    sa.Column("volume", sa.Float(), nullable=True),
    sa.Column("area", sa.Float(), nullable=True),
    sa.Column("watertight", sa.Boolean(), nullable=True),
    sa.Column("bodies", sa.Integer(), nullable=True),
    sa.Column("fingerprint", sa.String(40), nullable=True, index=True),
    sa.Column("thumb_source", sa.String(20), nullable=True),
    sa.Column("slicer", sa.String(100), nullable=True),
    sa.Column("settings_json", sa.Text(), nullable=True),
    sa.Column("raw_settings_json", sa.Text(), nullable=True),
    sa.Column("metadata_json", sa.Text(), nullable=True),
    sa.Column("added_at", sa.Float(), nullable=False),
)

lib_tag = sa.Table(
    "lib_tag", metadata,
    sa.Column("model_id", sa.Integer(), sa.ForeignKey("lib_model.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("tag", sa.String(100), primary_key=True, index=True),
)

lib_collection = sa.Table(
    "lib_collection", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
)

lib_collection_item = sa.Table(
    "lib_collection_item", metadata,
    sa.Column("collection_id", sa.Integer(),
              sa.ForeignKey("lib_collection.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("model_id", sa.Integer(), sa.ForeignKey("lib_model.id", ondelete="CASCADE"),
              primary_key=True, index=True),
)

lib_import_job = sa.Table(
    "lib_import_job", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("created_at", sa.Float(), nullable=False),
    sa.Column("finished_at", sa.Float(), nullable=True),
    sa.Column("state", sa.String(20), nullable=False),  # running, done, cancelled
    sa.Column("roots_json", sa.Text(), nullable=False),
)

lib_import_item = sa.Table(
    "lib_import_item", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("job_id", sa.Integer(), sa.ForeignKey("lib_import_job.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("source", sa.String(4000), nullable=False),
    sa.Column("member", sa.String(4000), nullable=False, server_default=""),
    sa.Column("group_key", sa.String(4000), nullable=False, server_default=""),
    sa.Column("size", sa.BigInteger(), nullable=False, server_default="0"),
    # pending, done, duplicate, failed
    sa.Column("state", sa.String(20), nullable=False, server_default="pending"),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("blob_hash", sa.String(64), nullable=True),
    sa.Column("model_id", sa.Integer(), nullable=True),
    sa.Column("seconds", sa.Float(), nullable=True),
)

#: The full-text index and the triggers that keep it in step with lib_model.
FTS_DDL: tuple[str, ...] = (
    "CREATE VIRTUAL TABLE lib_fts USING fts5(search_text, content='lib_model', "
    "content_rowid='id', prefix='1 2 3', tokenize=\"unicode61 remove_diacritics 2\")",
    "CREATE TRIGGER lib_model_fts_ai AFTER INSERT ON lib_model BEGIN "
    "INSERT INTO lib_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER lib_model_fts_ad AFTER DELETE ON lib_model BEGIN "
    "INSERT INTO lib_fts(lib_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);"
    " END",
    "CREATE TRIGGER lib_model_fts_au AFTER UPDATE OF search_text ON lib_model BEGIN "
    "INSERT INTO lib_fts(lib_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);"
    " INSERT INTO lib_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
)


def create_all(engine: sa.engine.Engine) -> None:
    """Create the tables without Alembic (domain tests, the benchmark)."""
    metadata.create_all(engine)
    with engine.begin() as conn:
        for ddl in FTS_DDL:
            conn.exec_driver_sql(ddl)
