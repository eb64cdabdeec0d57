"""The farm: OctoPrint printers' URL, the queue across printers, the beds.

Revision ID: 0005_farm
Revises: 0004_reviews
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_farm"
down_revision = "0004_reviews"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("printers") as batch:
        batch.add_column(sa.Column("url", sa.Text(), nullable=True))
    op.create_table(
        "farm_queue",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("position", sa.Float(), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("copy", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("file_path", sa.Text(), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("nozzle", sa.Float(), nullable=True),
        sa.Column("material", sa.String(100), nullable=True),
        sa.Column("min_x", sa.Float(), nullable=True),
        sa.Column("min_y", sa.Float(), nullable=True),
        sa.Column("min_z", sa.Float(), nullable=True),
        sa.Column("tag", sa.String(100), nullable=True),
        sa.Column("printer", sa.String(200), nullable=True),
        sa.Column("start", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("assigned", sa.String(200), nullable=True),
        sa.Column("job_id", sa.Integer(), sa.ForeignKey("print_jobs.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_farm_queue_state", "farm_queue", ["state"])
    op.create_table(
        "farm_beds",
        sa.Column("printer", sa.String(200), primary_key=True),
        sa.Column("needs_clearing", sa.Boolean(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("farm_beds")
    op.drop_index("ix_farm_queue_state", table_name="farm_queue")
    op.drop_table("farm_queue")
    with op.batch_alter_table("printers") as batch:
        batch.drop_column("url")
