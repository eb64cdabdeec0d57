"""Synthetic print history, for the benchmark, the screenshots and tests
that need many jobs: printers, library models, ``print_jobs`` rows and
(unless the history should be derived by a sync) their ``history_jobs`` rows,
written straight through the DB-API in large batches.  Deterministic for a
given seed."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from history.derive import day_of, reason_key

FAIL_REASONS = (
    ("failed", "thermal-runaway: Printer halted. kill() called!"),
    ("failed", "the printer reset itself during the print"),
    ("failed", "heating failed: Printer halted"),
    ("cancelled", "cancelled by the user"),
    ("cancelled", "emergency stop"),
    ("interrupted", "the printer was disconnected: device reports readiness to read"),
    ("interrupted", "Layerline stopped while printing (crash or power cut)"),
)
BAD_VERDICTS = ("warping", "spaghetti", "layer shift", "stringing")
MATERIALS = ("PLA", "PETG", "ABS", "TPU", "ASA")
PROFILES = ("0.20mm QUALITY", "0.15mm DETAIL", "0.28mm DRAFT", "0.10mm ULTRA")


@dataclass(frozen=True, slots=True)
class Seeded:
    jobs: int
    printers: list[str]
    model_ids: list[int]


def seed(engine: Engine, jobs: int, *, printers: int = 4, models: int = 60, days: int = 365,
         seed: int = 1, with_history: bool = True, end: float | None = None,
         batch: int = 50_000) -> Seeded:
    """Add ``jobs`` ended jobs spread over the ``days`` before ``end``."""
    rng = random.Random(seed)
    end = time.time() if end is None else end
    names = [f"Printer {chr(ord('A') + i)}" for i in range(printers)]
    # Printers get better with practice: the success rate climbs over the year.
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        now = time.time()
        for name in names:
            cur.execute("INSERT OR IGNORE INTO printers (name, kind, port, baud, options, "
                        "created_at) VALUES (?, 'serial', '/dev/null', 115200, '{}', ?)",
                        (name, now))
        has_library = cur.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'lib_model'").fetchone() is not None
        model_ids: list[int] = []
        if has_library and models:
            for i in range(models):
                title = f"Model {i + 1:03d}"
                cur.execute("INSERT INTO lib_model (title, title_sort, created_at, updated_at) "
                            "VALUES (?, ?, ?, ?)", (title, title.lower(), now, now))
                model_ids.append(int(cur.lastrowid or 0))
        first = int(cur.execute("SELECT COALESCE(MAX(id), 0) FROM print_jobs").fetchone()[0])
        span = days * 86400.0
        for start in range(0, jobs, batch):
            count = min(batch, jobs - start)
            job_rows = []
            hist_rows = []
            verdict_rows = []
            for k in range(count):
                i = start + k
                job_id = first + i + 1
                created = end - span + span * (i + rng.random()) / jobs
                printer = names[rng.randrange(printers)]
                material = MATERIALS[min(int(rng.expovariate(0.9)), len(MATERIALS) - 1)]
                profile = PROFILES[min(int(rng.expovariate(1.2)), len(PROFILES) - 1)]
                model = model_ids[int(rng.random() ** 2 * len(model_ids))] \
                    if model_ids and rng.random() < 0.8 else None
                progress = i / max(1, jobs)
                p_fail = 0.25 - 0.12 * progress + (0.1 if material == "TPU" else 0.0)
                duration = rng.uniform(600, 4 * 3600)
                heating = rng.uniform(60, 300)
                paused = rng.uniform(0, 600) if rng.random() < 0.1 else 0.0
                if rng.random() < p_fail:
                    state, reason = FAIL_REASONS[rng.randrange(len(FAIL_REASONS))]
                    done = rng.random()
                else:
                    state, reason, done = "completed", None, 1.0
                verdict = None
                verdict_reason = None
                if state == "completed" and rng.random() < 0.05:
                    verdict, verdict_reason = "bad", BAD_VERDICTS[rng.randrange(4)]
                started = created + 5
                ended = started + heating + duration * done + paused
                estimate = duration * 1.5  # mm of filament
                file_name = f"part_{(model or 0):03d}_{profile.split()[0]}.gcode"
                lines = 20_000
                job_rows.append((job_id, printer, f"/prints/{file_name}", file_name, state,
                                 reason, created, started, ended, ended, lines,
                                 int(lines * done), lines * 30, int(lines * 30 * done)))
                if verdict is not None:
                    verdict_rows.append((job_id, 0, verdict_reason, ended))
                if with_history:
                    success = 1 if state == "completed" and verdict != "bad" else 0
                    hist_rows.append((
                        job_id, printer, file_name, model, profile, material, 0.4,
                        float(profile[:4]), state, reason,
                        reason_key(state, reason, verdict, verdict_reason), verdict,
                        verdict_reason, success, created, started, ended, day_of(ended),
                        heating, duration * done, paused, estimate, estimate * done,
                        lines, int(lines * done), now))
            cur.executemany(
                "INSERT INTO print_jobs (id, printer_name, file_path, file_name, state, reason, "
                "created_at, started_at, ended_at, updated_at, lines_total, lines_confirmed, "
                "bytes_total, bytes_confirmed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", job_rows)
            cur.executemany("INSERT INTO print_job_verdicts (job_id, good, reason, created_at) "
                            "VALUES (?,?,?,?)", verdict_rows)
            if hist_rows:
                cur.executemany(
                    "INSERT INTO history_jobs (job_id, printer_name, file_name, model_id, "
                    "profile, material, nozzle, layer_height, outcome, reason, reason_key, "
                    "verdict, verdict_reason, success, created_at, started_at, ended_at, day, "
                    "heating_s, printing_s, paused_s, filament_estimate_mm, filament_mm, "
                    "lines_total, lines_confirmed, synced_at, durations_source) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'recorded')",
                    hist_rows)
            raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    if with_history:
        from history import rollup

        with engine.begin() as conn:
            rollup.rebuild(conn)
    return Seeded(jobs, names, model_ids)
