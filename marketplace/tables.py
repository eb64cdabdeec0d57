"""The marketplace service's own database (not the desktop database).

SQLAlchemy Core tables on one ``metadata``; the Alembic chain in
``marketplace/migrations`` creates them.  Ledger amounts are stored as whole
tenths of a point (``amount`` 105 is 10.5 points) so that SQLite and
PostgreSQL add them up exactly.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TS = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


accounts = sa.Table(
    "accounts", metadata, _id(),
    sa.Column("username", sa.String(40), nullable=False, unique=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False, server_default="user"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("nickname", sa.String(60)),
    sa.Column("avatar", sa.String(64)),
    sa.Column("bio", sa.Text),
    sa.Column("referral_code", sa.String(16), nullable=False, unique=True),
    sa.Column("invited_by", sa.Integer, sa.ForeignKey("accounts.id")),
    sa.Column("certified", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("conversion_approved", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("report_ban_until", TS),
)

tokens = sa.Table(
    "tokens", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
)

preference_tags = sa.Table(
    "preference_tags", metadata,
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("tag", sa.String(40), primary_key=True),
)

printers = sa.Table(
    "printers", metadata, _id(),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("model", sa.String(120), nullable=False),
    sa.Column("firmware", sa.String(120)),
    sa.Column("created_at", TS, nullable=False),
)

applications = sa.Table(
    "applications", metadata, _id(),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),  # certified | conversion
    sa.Column("statement", sa.Text, nullable=False, server_default=""),
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("decided_by", sa.Integer, sa.ForeignKey("accounts.id")),
    sa.Column("decided_at", TS),
)

device_keys = sa.Table(
    "device_keys", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("public_key", sa.String(64), nullable=False),
    sa.Column("name", sa.String(120), nullable=False, server_default=""),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("revoked_at", TS),
)

blobs = sa.Table(
    "blobs", metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("media_type", sa.String(80), nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

models = sa.Table(
    "models", metadata, _id(),
    sa.Column("creator_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("title", sa.String(200), nullable=False, server_default=""),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("category", sa.String(60)),
    sa.Column("license", sa.String(40)),
    sa.Column("origin", sa.String(16)),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("models.id")),
    sa.Column("attribution", sa.Text),
    sa.Column("status", sa.String(16), nullable=False, server_default="draft"),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("published_at", TS),
    sa.Column("approved_at", TS),
    sa.Column("spotlight_at", TS),
    sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_models_status_hidden", "status", "hidden"),
)

model_tags = sa.Table(
    "model_tags", metadata,
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id"), primary_key=True),
    sa.Column("tag", sa.String(40), primary_key=True, index=True),
)

model_files = sa.Table(
    "model_files", metadata, _id(),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id"), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("sha256", sa.String(64), sa.ForeignKey("blobs.sha256"), nullable=False,
              index=True),  # who may fetch a blob: GET /blobs/{sha256}
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

photos = sa.Table(
    "photos", metadata, _id(),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    # the clean JPEG and its pHash, once processed (null while the photo is pending)
    sa.Column("sha256", sa.String(64), sa.ForeignKey("blobs.sha256"), nullable=True,
              index=True),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("phash", sa.String(16), nullable=True),
    # pending (uploaded, waiting for a worker), ready, or failed (unreadable pixels)
    sa.Column("state", sa.String(12), nullable=False, server_default="ready"),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id"), index=True),
    sa.Column("review_id", sa.Integer, index=True),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("is_cover", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("real_print", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("rejected", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("queued", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", TS, nullable=False),
)

photo_hashes = sa.Table(
    "photo_hashes", metadata,
    sa.Column("photo_id", sa.Integer, sa.ForeignKey("photos.id"), primary_key=True),
    sa.Column("variant", sa.Integer, primary_key=True),
    sa.Column("owner_id", sa.Integer, nullable=False, index=True),
    sa.Column("hash", sa.BigInteger, nullable=False),
)

profiles = sa.Table(
    "profiles", metadata, _id(),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id"), nullable=False, index=True),
    sa.Column("uploader_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False,
              index=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("material", sa.String(40), nullable=False),
    sa.Column("nozzle_diameter", sa.Float, nullable=False),
    sa.Column("layer_height", sa.Float, nullable=False),
    sa.Column("infill_density", sa.Float, nullable=False),
    sa.Column("supports", sa.Boolean, nullable=False),
    sa.Column("support_type", sa.String(40)),
    sa.Column("slicer", sa.String(60)),
    sa.Column("raw_settings", sa.Text),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),
)

downloads = sa.Table(
    "downloads", metadata, _id(),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id"), nullable=False),
    sa.Column("profile_id", sa.Integer, sa.ForeignKey("profiles.id")),
    sa.Column("created_at", TS, nullable=False),
)

# Distinct downloaders, the base of "genuine downloads".
model_downloaders = sa.Table(
    "model_downloaders", metadata,
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id"), primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), primary_key=True),
)
profile_downloaders = sa.Table(
    "profile_downloaders", metadata,
    sa.Column("profile_id", sa.Integer, sa.ForeignKey("profiles.id"), primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), primary_key=True),
)

receipts = sa.Table(
    "receipts", metadata,
    sa.Column("receipt_id", sa.String(36), primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("device_key_id", sa.String(36), nullable=False),
    sa.Column("model_id", sa.Integer, index=True),
    sa.Column("profile_id", sa.Integer, index=True),
    sa.Column("job_state", sa.String(16), nullable=False),
    sa.Column("verdict", sa.String(8)),
    sa.Column("started_at", TS, nullable=False),
    sa.Column("ended_at", TS, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("signature", sa.String(100), nullable=False),
    sa.Column("confirmed", sa.Boolean, nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

reviews = sa.Table(
    "reviews", metadata, _id(),
    sa.Column("author_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id"), nullable=False, index=True),
    sa.Column("profile_id", sa.Integer, sa.ForeignKey("profiles.id")),
    sa.Column("stars", sa.Integer),
    sa.Column("description", sa.Text),
    sa.Column("receipt_id", sa.String(36), sa.ForeignKey("receipts.receipt_id")),
    sa.Column("confirmed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("photo_points_revoked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", TS, nullable=False),
)

votes = sa.Table(
    "votes", metadata,
    sa.Column("review_id", sa.Integer, sa.ForeignKey("reviews.id"), primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("helpful", sa.Boolean, nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

suggestions = sa.Table(
    "suggestions", metadata, _id(),
    sa.Column("author_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    sa.Column("created_at", TS, nullable=False),
)

ledger = sa.Table(
    "ledger", metadata, _id(),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("currency", sa.String(12), nullable=False),  # standard spotlight credits cred karma
    sa.Column("amount", sa.BigInteger, nullable=False),  # tenths
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("object_type", sa.String(16)),
    sa.Column("object_id", sa.Integer),
    sa.Column("unique_key", sa.String(200), nullable=False, unique=True),
    sa.Column("cap_group", sa.String(16)),
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("day", sa.String(10), nullable=False),
    sa.Column("reverses_id", sa.Integer, index=True),  # what a compensating entry takes back
    sa.Column("created_at", TS, nullable=False),
    sa.Index("ix_ledger_account_currency", "account_id", "currency"),
    sa.Index("ix_ledger_account_cap", "account_id", "cap_group", "month"),
    sa.Index("ix_ledger_object", "object_type", "object_id"),
)

idempotency = sa.Table(
    "idempotency", metadata,
    sa.Column("scope", sa.String(40), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

promotions = sa.Table(
    "promotions", metadata, _id(),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id"), nullable=False, index=True),
    sa.Column("creator_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("tokens", sa.Integer, nullable=False),
    sa.Column("placements_left", sa.Integer, nullable=False),
    sa.Column("day", sa.String(10), nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

cases = sa.Table(
    "cases", metadata, _id(),
    sa.Column("target_type", sa.String(8), nullable=False),
    sa.Column("target_id", sa.Integer, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # jury moderator upheld cleared
    sa.Column("created_at", TS, nullable=False),
    sa.Column("decided_at", TS),
    sa.Column("decided_by", sa.String(16)),  # jury | moderator
    sa.Index("ix_cases_target", "target_type", "target_id"),
)

reports = sa.Table(
    "reports", metadata, _id(),
    sa.Column("reporter_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False,
              index=True),
    sa.Column("target_type", sa.String(8), nullable=False),
    sa.Column("target_id", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(20), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("status", sa.String(12), nullable=False, server_default="open"),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id")),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("closed_at", TS),
    sa.Index("ix_reports_target", "target_type", "target_id"),
)

jurors = sa.Table(
    "jurors", metadata,
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("vote", sa.String(8)),
    sa.Column("reason", sa.String(200)),
    sa.Column("voted_at", TS),
)

store_items = sa.Table(
    "store_items", metadata, _id(),
    sa.Column("title", sa.String(120), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("price", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
)

orders = sa.Table(
    "orders", metadata, _id(),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False,
              index=True),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("store_items.id"), nullable=False),
    sa.Column("price", sa.Integer, nullable=False),
    sa.Column("status", sa.String(12), nullable=False, server_default="open"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("decided_at", TS),
)

withdrawals = sa.Table(
    "withdrawals", metadata, _id(),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False,
              index=True),
    sa.Column("amount", sa.Integer, nullable=False),
    sa.Column("status", sa.String(12), nullable=False, server_default="pending"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("decided_at", TS),
)

settings = sa.Table(
    "settings", metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
