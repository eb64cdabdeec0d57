"""The ``reviews`` tables of the desktop database (migration 0004_reviews).

``outbox_items``: everything meant for the marketplace, written here first.
Times are UTC Unix seconds (floats).  ``payload`` and ``answer`` are JSON
text.  ``idempotency_key`` is made when the item is written and sent with
every attempt, so the service applies the item once however often it
arrives; it changes only when a *rejected* item is queued again (a rejected
request changed nothing on the service).

``outbox_files``: files attached to an item (photos, model files), by path
and SHA-256, in order.  The files themselves live outside the database (a
spool directory the app owns); the hash is checked again when the item is
sent.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

outbox_items = sa.Table(
    "outbox_items",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("title", sa.String(200), nullable=False, server_default=""),
    sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
    sa.Column("payload", sa.Text(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.Float(), nullable=False),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("fixable", sa.Boolean(), nullable=True),
    sa.Column("answer", sa.Text(), nullable=True),
    sa.Column("created_at", sa.Float(), nullable=False),
    sa.Column("updated_at", sa.Float(), nullable=False),
    sa.Index("ix_outbox_items_due", "state", "next_attempt_at"),
)

outbox_files = sa.Table(
    "outbox_files",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.Integer(),
              sa.ForeignKey("outbox_items.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("role", sa.String(40), nullable=False),
    sa.Column("path", sa.Text(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("media_type", sa.String(100), nullable=False),
    sa.UniqueConstraint("item_id", "position", name="uq_outbox_files_item_position"),
)

#: Drafts of model publications (reviews.publication), saved as the user edits.
#: ``data`` is the draft as JSON; ``title`` is copied out for listings.
publication_drafts = sa.Table(
    "publication_drafts",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("title", sa.String(200), nullable=False, server_default=""),
    sa.Column("data", sa.Text(), nullable=False),
    sa.Column("created_at", sa.Float(), nullable=False),
    sa.Column("updated_at", sa.Float(), nullable=False),
)
