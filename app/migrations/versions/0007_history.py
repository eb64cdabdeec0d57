"""History: per-job details (library link, settings, durations, filament,
outcome folded with the verdict), maintenance counter resets and reminders.

Revision ID: 0007_history
Revises: 0006_library_search_indexes
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0007_history"
down_revision = "0006_library_search_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The first history revision creates exactly what history.schema
    # defines; later changes get their own migration with explicit operations.
    from history import schema

    schema.metadata.create_all(op.get_bind())
    for ddl in schema.TRIGGER_DDL:
        op.execute(ddl)


def downgrade() -> None:
    from history import schema

    op.execute("DROP TRIGGER IF EXISTS history_jobs_rollup_ad")
    schema.metadata.drop_all(op.get_bind())
