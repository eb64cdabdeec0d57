"""The printers package's tables in the desktop database (migrations
0002_printers and 0005_farm: the OctoPrint URL, the farm's queue and beds)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

printers = sa.Table(
    "printers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("kind", sa.String(20), nullable=False, server_default="serial"),
    sa.Column("port", sa.String(500), nullable=False),
    sa.Column("baud", sa.Integer, nullable=False, server_default="115200"),
    # JSON: receive-buffer size, command slots, pause/resume/cancel G-code.
    sa.Column("options", sa.Text, nullable=False, server_default="{}"),
    sa.Column("created_at", sa.Float, nullable=False),
    # An OctoPrint printer's server (kind "octoprint"); its API key is in the
    # secret store, never here.
    sa.Column("url", sa.Text, nullable=True),
)

jobs = sa.Table(
    "print_jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("printer_id", sa.Integer, sa.ForeignKey("printers.id", ondelete="SET NULL"),
              nullable=True),
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
    # The process streaming the job: an active job whose process is gone
    # was interrupted (crash, power cut).
    sa.Column("owner_pid", sa.Integer, nullable=True),
    sa.Index("ix_print_jobs_state", "state"),
)

job_temperatures = sa.Table(
    "print_job_temperatures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("print_jobs.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("t", sa.Float, nullable=False),  # seconds since the job started
    sa.Column("sensor", sa.String(10), nullable=False),
    sa.Column("actual", sa.Float, nullable=True),
    sa.Column("target", sa.Float, nullable=True),
    sa.Index("ix_print_job_temperatures_job", "job_id"),
)

verdicts = sa.Table(
    "print_job_verdicts",
    metadata,
    sa.Column("job_id", sa.Integer, sa.ForeignKey("print_jobs.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("good", sa.Boolean, nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

# The farm's queue: one row per copy to print.  States: pending -> starting
# (assigned, committed with the bed marked in use) -> printing (job_id known)
# -> completed | failed | cancelled | interrupted; or pending -> uploaded
# (upload but don't start).  See printers/farm/queue.py.
farm_queue = sa.Table(
    "farm_queue",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("position", sa.Float, nullable=False),
    sa.Column("batch", sa.Integer, nullable=False),  # copies share a batch
    sa.Column("copy", sa.Integer, nullable=False, server_default="1"),
    sa.Column("file_path", sa.Text, nullable=False),
    sa.Column("file_name", sa.String(500), nullable=False),
    sa.Column("nozzle", sa.Float, nullable=True),
    sa.Column("material", sa.String(100), nullable=True),
    sa.Column("min_x", sa.Float, nullable=True),
    sa.Column("min_y", sa.Float, nullable=True),
    sa.Column("min_z", sa.Float, nullable=True),
    sa.Column("tag", sa.String(100), nullable=True),
    sa.Column("printer", sa.String(200), nullable=True),  # the chosen printer, if any
    sa.Column("start", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("assigned", sa.String(200), nullable=True),  # the printer it went to
    sa.Column("job_id", sa.Integer, sa.ForeignKey("print_jobs.id", ondelete="SET NULL"),
              nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Index("ix_farm_queue_state", "state"),
)

# A printer's bed: used by a job the queue started, until someone confirms it
# is cleared ("bed cleared?").  No row: clear.
farm_beds = sa.Table(
    "farm_beds",
    metadata,
    sa.Column("printer", sa.String(200), primary_key=True),
    sa.Column("needs_clearing", sa.Boolean, nullable=False),
    sa.Column("item_id", sa.Integer, nullable=True),  # the queue item that used it
    sa.Column("updated_at", sa.Float, nullable=False),
)
