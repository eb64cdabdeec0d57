"""The library: blobs, models, versions, files, tags, collections, import
jobs, and the FTS5 index over models.

Revision ID: 0003_library
Revises: 0002_printers
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_library"
down_revision = "0002_printers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The library's first revision creates exactly what library.schema
    # defines; any later change to the schema gets its own migration with
    # explicit operations.
    from library import schema

    bind = op.get_bind()
    schema.metadata.create_all(bind)
    for ddl in schema.FTS_DDL:
        op.execute(sa.text(ddl))


def downgrade() -> None:
    for name in ("lib_model_fts_ai", "lib_model_fts_ad", "lib_model_fts_au"):
        op.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}"))
    op.execute(sa.text("DROP TABLE IF EXISTS lib_fts"))
    from library import schema

    schema.metadata.drop_all(op.get_bind())
