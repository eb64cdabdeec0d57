"""The history package's tables in the desktop database (migration ``0007_history``).

``print_jobs`` (printers) stays as it is: ``history_jobs`` holds one row per
job with what history adds — the library file and model version, the print
settings that ran (profile, material, nozzle, layer height), the durations
(heating, printing, paused), the filament used, the verdict folded into a
``success`` flag and a normalised ``reason_key`` — denormalised so that the
table, the filters and every statistic read one indexed table.  Two covering
indexes carry the statistics (``ix_history_jobs_combo`` for the rates and
reasons, ``ix_history_jobs_day`` for everything over time), so SQLite answers
them by walking an index in group order, without a sort.
"""

from __future__ import annotations

import sqlalchemy as sa

from printers import schema as printers_schema

metadata = sa.MetaData()

#: Outcomes: the ended states of a job.
OUTCOMES = ("completed", "failed", "cancelled", "interrupted")

#: What the maintenance counters count.
COUNTERS = ("print_hours", "filament_m", "jobs")

history_jobs = sa.Table(
    "history_jobs",
    metadata,
    sa.Column("job_id", sa.Integer,
              sa.ForeignKey(printers_schema.jobs.c.id, ondelete="CASCADE"), primary_key=True,
              autoincrement=False),
    sa.Column("printer_name", sa.String(200), nullable=False),
    sa.Column("file_name", sa.String(500), nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=True),
    sa.Column("lib_file_id", sa.Integer, nullable=True),
    sa.Column("model_id", sa.Integer, nullable=True),  # lib_model.id (no FK: models can go)
    sa.Column("version_id", sa.Integer, nullable=True),
    sa.Column("profile", sa.String(200), nullable=False, server_default=""),
    sa.Column("material", sa.String(100), nullable=False, server_default=""),
    sa.Column("nozzle", sa.Float, nullable=True),
    sa.Column("layer_height", sa.Float, nullable=True),
    sa.Column("slicer", sa.String(100), nullable=True),
    sa.Column("outcome", sa.String(20), nullable=False),  # the job's state
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("reason_key", sa.String(100), nullable=False, server_default=""),
    sa.Column("verdict", sa.String(10), nullable=True),  # good | bad | None
    sa.Column("verdict_reason", sa.Text, nullable=True),
    # 1 completed and not judged bad, 0 ended otherwise, NULL still running.
    sa.Column("success", sa.Integer, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("started_at", sa.Float, nullable=True),
    sa.Column("ended_at", sa.Float, nullable=True),
    sa.Column("day", sa.Integer, nullable=False),  # UTC days since 1970 (ended, else created)
    sa.Column("heating_s", sa.Float, nullable=True),
    sa.Column("printing_s", sa.Float, nullable=True),
    sa.Column("paused_s", sa.Float, nullable=True),
    sa.Column("durations_source", sa.String(10), nullable=False, server_default="derived"),
    sa.Column("filament_estimate_mm", sa.Float, nullable=True),
    sa.Column("filament_mm", sa.Float, nullable=True),
    sa.Column("lines_total", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lines_confirmed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("synced_at", sa.Float, nullable=False),
    # The table's default order, and the filters' (each with the time order).
    sa.Index("ix_history_jobs_created", "created_at"),
    sa.Index("ix_history_jobs_printer", "printer_name", "created_at", "printing_s",
             "filament_mm"),
    sa.Index("ix_history_jobs_model", "model_id", "created_at"),
    sa.Index("ix_history_jobs_outcome", "outcome", "created_at"),
    sa.Index("ix_history_jobs_sha", "file_sha256"),
    # Statistics (covering, in group order).
    sa.Index("ix_history_jobs_combo", "printer_name", "model_id", "profile", "material",
             "success", "reason_key", "day"),
    sa.Index("ix_history_jobs_day", "day", "printer_name", "success", "printing_s",
             "filament_mm"),
)

# Materialised aggregates of ``history_jobs`` (ended jobs only), kept in step
# by every sync (old contribution out, new one in): the statistics read these
# few rows instead of grouping every job.  ``model_key`` is the model id, 0
# for a job not in the library (NULLs never conflict in a primary key).
rollup_combo = sa.Table(
    "history_rollup_combo",
    metadata,
    sa.Column("printer_name", sa.String(200), primary_key=True),
    sa.Column("model_key", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("profile", sa.String(200), primary_key=True),
    sa.Column("material", sa.String(100), primary_key=True),
    sa.Column("success", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("reason_key", sa.String(100), primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("printing_s", sa.Float, nullable=False),
    sa.Column("filament_mm", sa.Float, nullable=False),
)

# Per dimension (model, profile, printer, material: ``key`` as text, '' for
# unknown or not in the library) and per failure reason (dim "reason").
rollup_dim = sa.Table(
    "history_rollup_dim",
    metadata,
    sa.Column("dim", sa.String(10), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("success", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("n", sa.Integer, nullable=False),
)

rollup_day = sa.Table(
    "history_rollup_day",
    metadata,
    sa.Column("day", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("printer_name", sa.String(200), primary_key=True),
    sa.Column("success", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("printing_s", sa.Float, nullable=False),
    sa.Column("filament_mm", sa.Float, nullable=False),
)

counter_resets = sa.Table(
    "history_counter_resets",
    metadata,
    sa.Column("printer_name", sa.String(200), primary_key=True),
    sa.Column("counter", sa.String(20), primary_key=True),
    sa.Column("reset_at", sa.Float, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
)

reminders = sa.Table(
    "history_reminders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("printer_name", sa.String(200), nullable=False, index=True),
    sa.Column("counter", sa.String(20), nullable=False),
    sa.Column("threshold", sa.Float, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", sa.Float, nullable=False),
)

#: A job deleted from ``print_jobs`` leaves the history (ON DELETE CASCADE);
#: this trigger takes its contribution out of the rollups.  (Syncs rewrite
#: rows with an upsert, which fires no delete trigger.)
TRIGGER_DDL: tuple[str, ...] = (
    "CREATE TRIGGER history_jobs_rollup_ad AFTER DELETE ON history_jobs "
    "WHEN old.success IS NOT NULL BEGIN "
    "UPDATE history_rollup_combo SET n = n - 1, "
    "printing_s = printing_s - COALESCE(old.printing_s, 0), "
    "filament_mm = filament_mm - COALESCE(old.filament_mm, 0) "
    "WHERE printer_name = old.printer_name AND model_key = COALESCE(old.model_id, 0) "
    "AND profile = old.profile AND material = old.material AND success = old.success "
    "AND reason_key = old.reason_key; "
    "UPDATE history_rollup_day SET n = n - 1, "
    "printing_s = printing_s - COALESCE(old.printing_s, 0), "
    "filament_mm = filament_mm - COALESCE(old.filament_mm, 0) "
    "WHERE day = old.day AND printer_name = old.printer_name AND success = old.success; "
    "UPDATE history_rollup_dim SET n = n - 1 WHERE success = old.success AND ("
    "(dim = 'model' AND key = COALESCE(CAST(old.model_id AS VARCHAR), '')) "
    "OR (dim = 'profile' AND key = old.profile) "
    "OR (dim = 'printer' AND key = old.printer_name) "
    "OR (dim = 'material' AND key = old.material) "
    "OR (old.success = 0 AND dim = 'reason' AND key = old.reason_key)); "
    "END",
)
