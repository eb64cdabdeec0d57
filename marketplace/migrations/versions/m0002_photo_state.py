"""photos processed off the request path; indexes for blob access and cap room

photos gain a state (pending, ready, failed); sha256 and phash are null while
pending.  Indexes: photos.sha256 and model_files.sha256 (who may fetch a blob),
ledger.reverses_id (reversals give cap room back).

Revision ID: m0002_photo_state
Revises: m0001_initial
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m0002_photo_state"
down_revision = "m0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("photos") as batch:
        batch.add_column(sa.Column("state", sa.String(length=12), server_default="ready",
                                   nullable=False))
        batch.alter_column("sha256", existing_type=sa.String(length=64), nullable=True)
        batch.alter_column("phash", existing_type=sa.String(length=16), nullable=True)
        batch.create_index(batch.f("ix_photos_sha256"), ["sha256"], unique=False)
    with op.batch_alter_table("model_files") as batch:
        batch.create_index(batch.f("ix_model_files_sha256"), ["sha256"], unique=False)
    with op.batch_alter_table("ledger") as batch:  # cap room given back by reversals
        batch.create_index(batch.f("ix_ledger_reverses_id"), ["reverses_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ledger") as batch:
        batch.drop_index(batch.f("ix_ledger_reverses_id"))
    op.execute("DELETE FROM photo_hashes WHERE photo_id IN "
               "(SELECT id FROM photos WHERE state <> 'ready')")
    op.execute("DELETE FROM photos WHERE state <> 'ready'")
    with op.batch_alter_table("model_files") as batch:
        batch.drop_index(batch.f("ix_model_files_sha256"))
    with op.batch_alter_table("photos") as batch:
        batch.drop_index(batch.f("ix_photos_sha256"))
        batch.alter_column("phash", existing_type=sa.String(length=16), nullable=False)
        batch.alter_column("sha256", existing_type=sa.String(length=64), nullable=False)
        batch.drop_column("state")
