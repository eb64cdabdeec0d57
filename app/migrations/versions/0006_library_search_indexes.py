"""Library search: the sort indexes carry the common filters' columns
(format, licence, print count) after the prefix mask, so that a filtered
type-ahead search walking a sort index tests the filters on the index alone.

Revision ID: 0006_library_search_indexes
Revises: 0005_farm
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_library_search_indexes"
down_revision = "0005_farm"
branch_labels = None
depends_on = None

_SORT_COLUMNS = ("title_sort", "created_at", "total_size", "triangles", "print_count")


def _columns(col: str) -> str:
    # As library.schema.SORT_INDEX_COLUMNS defines them (fixed here: a
    # migration must not change when the schema module later does).
    extra = "" if col == "print_count" else ", print_count"
    return f"{col}, prefix_mask, primary_format, licence{extra}"


def upgrade() -> None:
    # 0003 builds the current schema, so a new database already has these
    # indexes: rebuilding them there costs nothing (the table is empty).
    for col in _SORT_COLUMNS:
        op.execute(sa.text(f"DROP INDEX IF EXISTS ix_lib_model_{col}"))
        op.execute(sa.text(f"CREATE INDEX ix_lib_model_{col} ON lib_model ({_columns(col)})"))


def downgrade() -> None:
    for col in _SORT_COLUMNS:
        op.execute(sa.text(f"DROP INDEX IF EXISTS ix_lib_model_{col}"))
        op.execute(sa.text(f"CREATE INDEX ix_lib_model_{col} ON lib_model ({col}, prefix_mask)"))
