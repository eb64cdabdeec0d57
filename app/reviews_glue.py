"""Between the printers, the library and the reviews service (Qt-free).

``reviews`` knows neither printers nor the library; this module maps a
print job record to a :class:`reviews.service.FinishedJob` (so that every
finished job gets its signed receipt in the outbox, reviewed or not), and a
G-code file to print-profile settings through the library's extraction.

- :func:`watch_jobs`: a receipt is recorded when a job ends (the printers'
  listener runs on a connection's I/O thread, so the work goes to one
  worker thread owned by the services and stopped at shutdown).
- :func:`record_ended_jobs`: catch-up for jobs that ended while nobody was
  listening (``layerline print``, a crash, signed out at the time); called
  at start-up, by ``confirm``, ``review`` and ``sync``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.services import Services
    from printers.store import JobRecord
    from reviews.outbox import OutboxItem
    from reviews.profiles import ProfileSettings
    from reviews.service import FinishedJob

log = logging.getLogger(__name__)

ENDED = ("completed", "failed", "cancelled", "interrupted")
PRINTER_KINDS = {"serial": "marlin-serial", "octoprint": "octoprint"}


def _sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def finished_job(services: Services, job: JobRecord, *, firmware: str = "") -> FinishedJob | None:
    """The receipt's view of an ended job (None while it runs, or when the
    file it printed is gone and its hash was not kept)."""
    from reviews.service import FinishedJob

    if job.state not in ENDED or job.started_at is None or job.ended_at is None:
        return None
    sha = _sha256(Path(job.file))
    if sha is None:
        log.warning("job %d: %s is gone; its receipt cannot name the file", job.id, job.file)
        return None
    kind = "marlin-serial"
    with contextlib.suppress(Exception):  # a printer removed since keeps the default
        kind = PRINTER_KINDS.get(services.printers.store.printer(job.printer).kind, kind)
    ended = max(job.ended_at, job.started_at + 0.001)
    return FinishedJob(
        file_sha256=sha, printer_kind=kind, firmware=firmware or "unknown",
        started_at=datetime.fromtimestamp(job.started_at, UTC),
        ended_at=datetime.fromtimestamp(ended, UTC),
        state=job.state,  # type: ignore[arg-type]
        failure_reason=job.reason if job.state != "completed" else None,
        lines_confirmed=job.lines_confirmed, title=Path(job.file).name, job_id=job.id)


def record_job(services: Services, job_id: int, *, firmware: str = "") -> OutboxItem | None:
    """The receipt of one ended job (queued once; None when signed out)."""
    job = services.printers.store.job(job_id)
    finished = finished_job(services, job, firmware=firmware)
    if finished is None:
        return None
    item = services.reviews.record_print(finished)
    if item is not None and job.verdict is not None \
            and item.payload.get("receipt", {}).get("verdict") is None:
        try:
            item = services.reviews.confirm_print(
                item.id, "good" if job.verdict == "good" else "bad", job.verdict_reason)
        except Exception as exc:  # frozen already: the service holds it as it was
            log.info("job %d: the verdict cannot be added to its receipt (%s)", job_id, exc)
    return item


def record_ended_jobs(services: Services, limit: int = 200) -> int:
    """Queue the receipts of recent ended jobs that have none; how many."""
    if services.reviews.account.session() is None:
        return 0
    done = 0
    for job in services.printers.store.jobs(limit=limit):
        if job.state in ENDED and services.reviews.receipt_for_job(job.id) is None:
            try:
                if record_job(services, job.id) is not None:
                    done += 1
            except Exception as exc:
                log.warning("job %d: no receipt (%s)", job.id, exc)
    return done


def watch_jobs(services: Services) -> None:
    """Record a receipt whenever a job ends (work done on one owned thread)."""
    from printers.connection import JobEnded

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="receipts")
    services.register_cleanup("receipts", lambda: pool.shutdown(wait=True,
                                                                cancel_futures=True))

    def on_event(event: Any) -> None:  # on a connection's I/O thread: hand over
        if isinstance(event, JobEnded) and not services.is_closed:
            firmware = ""
            with contextlib.suppress(Exception):
                firmware = services.printers.connection(event.job.printer).status.firmware
            with contextlib.suppress(RuntimeError):  # shutting down
                pool.submit(_record_safely, services, event.job.id, firmware)

    services.printers.subscribe(on_event)


def _record_safely(services: Services, job_id: int, firmware: str) -> None:
    from app.services import ServicesClosedError

    try:
        record_job(services, job_id, firmware=firmware)
    except ServicesClosedError:  # the app is closing: the catch-up records it next time
        log.info("job %d: the receipt will be recorded at the next start", job_id)
    except Exception:
        log.exception("job %d: the receipt could not be recorded", job_id)


def profile_settings_from_gcode(path: Path) -> ProfileSettings:
    """Print-profile settings from the G-code that ran (the library's
    extraction); ReviewsError when the file does not record enough."""
    from library import gcode, settings
    from reviews.errors import ReviewsError
    from reviews.profiles import ProfileSettings

    try:
        text = gcode.read_ends(path)
    except Exception as exc:
        raise ReviewsError(f"cannot read {path}: {exc}") from None
    extracted = settings.from_gcode(text.head, text.tail)
    if extracted is None:
        raise ReviewsError(f"{path.name} does not say which slicer settings made it")
    return ProfileSettings.from_settings(extracted)


def publish_job_profile(services: Services, job_id: int, model_id: int, *,
                        title: str = "") -> OutboxItem:
    """Queue the print profile of a job that succeeded, from the G-code that
    actually ran, on the marketplace model it was printed from."""
    from reviews.errors import ReviewsError

    job = services.printers.store.job(job_id)
    if job.state != "completed" or job.verdict != "good":
        raise ReviewsError(f"job {job_id} is not a confirmed good print "
                           f"({job.state}, verdict {job.verdict or 'none'}): only the "
                           "settings of a print that succeeded are shared")
    settings = profile_settings_from_gcode(Path(job.file))
    return services.reviews.publish_profile(model_id, settings, title=title)


def download_profile_into_library(services: Services, profile_id: int) -> Any:
    """Download a marketplace profile as an ``.ini`` and import it into the
    library (returns the import's Future)."""
    directory = services.paths.data / "downloaded-profiles"
    path = services.reviews.download_profile(profile_id, directory)
    return services.library.import_paths([path])
