"""Printers: serial printers, print jobs, their temperature traces and verdicts.

Revision ID: 0002_printers
Revises: 0001_foundation
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_printers"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "printers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False, server_default="serial"),
        sa.Column("port", sa.String(500), nullable=False),
        sa.Column("baud", sa.Integer, nullable=False, server_default="115200"),
        sa.Column("options", sa.Text, nullable=False, server_default="{}"),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "print_jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("printer_id", sa.Integer,
                  sa.ForeignKey("printers.id", ondelete="SET NULL"), nullable=True),
        sa.Column("printer_name", sa.String(200), nullable=False),
        sa.Column("file_path", sa.Text, nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("started_at", sa.Float, nullable=True),
        sa.Column("ended_at", sa.Float, nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("lines_total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("lines_confirmed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("bytes_total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("bytes_confirmed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("layer", sa.Integer, nullable=True),
        sa.Column("layers_total", sa.Integer, nullable=True),
        sa.Column("slicer_estimate_s", sa.Float, nullable=True),
        sa.Column("eta_s", sa.Float, nullable=True),
        sa.Column("owner_pid", sa.Integer, nullable=True),
    )
    op.create_index("ix_print_jobs_state", "print_jobs", ["state"])
    op.create_table(
        "print_job_temperatures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("job_id", sa.Integer,
                  sa.ForeignKey("print_jobs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("t", sa.Float, nullable=False),
        sa.Column("sensor", sa.String(10), nullable=False),
        sa.Column("actual", sa.Float, nullable=True),
        sa.Column("target", sa.Float, nullable=True),
    )
    op.create_index("ix_print_job_temperatures_job", "print_job_temperatures", ["job_id"])
    op.create_table(
        "print_job_verdicts",
        sa.Column("job_id", sa.Integer,
                  sa.ForeignKey("print_jobs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("good", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("print_job_verdicts")
    op.drop_index("ix_print_job_temperatures_job", "print_job_temperatures")
    op.drop_table("print_job_temperatures")
    op.drop_index("ix_print_jobs_state", "print_jobs")
    op.drop_table("print_jobs")
    op.drop_table("printers")
