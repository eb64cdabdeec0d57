"""``layerline print FILE --printer NAME``: stream a G-code file to a serial
printer, or upload it to an OctoPrint printer and follow the job to its end.

Exit codes: 0 the print completed, 3 it failed, 4 it was cancelled or
interrupted, 2 usage errors (no such file or printer), 1 other errors (the
printer cannot be reached).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from app.services import Services
from printers.connection import LinkStatus
from printers.errors import GcodeFileError, PrinterError, PrinterNotFoundError
from printers.jobs import ACTIVE_STATES, GcodeProgram, JobSnapshot, JobState

if TYPE_CHECKING:
    from printers.interface import Printer
    from printers.store import PrinterRecord

log = logging.getLogger(__name__)

NAME = "print"
HELP = "stream a G-code file to a printer"

EXIT_COMPLETED = 0
EXIT_FAILED = 3
EXIT_STOPPED = 4
EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE")
    parser.add_argument("--printer", required=True, metavar="NAME")
    parser.add_argument("--json", action="store_true", help="print the job record as JSON")
    parser.add_argument("--connect-timeout", type=float, default=30.0, metavar="S")


def run(args: argparse.Namespace, services: Services) -> int:
    try:
        record = services.printers.store.printer(args.printer)
        GcodeProgram.load(args.file)  # fail early on an unreadable file
    except (PrinterNotFoundError, GcodeFileError) as exc:
        print(f"layerline: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if record.kind == "octoprint":
        return _print_octoprint(args, services, record)
    conn = services.printers.connection(args.printer)
    conn.connect()
    if not conn.wait_for(lambda s: s.link in (LinkStatus.OPERATIONAL, LinkStatus.ERROR),
                         args.connect_timeout) or conn.status.link is not LinkStatus.OPERATIONAL:
        print(f"layerline: cannot connect to {args.printer}: "
              f"{conn.status.error or 'no answer'}", file=sys.stderr)
        return 1
    job_id = conn.start_print(args.file)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGINT and not stop.is_set():
            stop.set()
            print("\ncancelling (Ctrl-C again to stop at once)", file=sys.stderr)
            conn.cancel()
        else:
            conn.disconnect(timeout=5)

    old_int = signal.signal(signal.SIGINT, on_signal)
    old_term = signal.signal(signal.SIGTERM, on_signal)
    bar = sys.stderr.isatty() and not args.json
    try:
        while True:
            snap = conn.wait_job(0.25)
            if snap is not None and snap.state.ended:
                break
            if snap is None and conn.status.job is None:
                break
            if bar and snap is not None:
                _draw(snap)
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
        conn.disconnect()
    if bar:
        sys.stderr.write("\n")
    return _report(args, services, job_id)


def _report(args: argparse.Namespace, services: Services, job_id: int) -> int:
    _record_history(services)
    record = services.printers.store.job(job_id)
    if args.json:
        print(json.dumps(record.as_dict(), indent=2))
    else:
        print(f"job {record.id}: {record.state}" + (f" ({record.reason})" if record.reason else ""))
    state = JobState(record.state)
    if state is JobState.COMPLETED:
        return EXIT_COMPLETED
    if state is JobState.FAILED:
        return EXIT_FAILED
    return EXIT_STOPPED


def _print_octoprint(args: argparse.Namespace, services: Services, record: PrinterRecord) -> int:
    """Upload to the OctoPrint server, start, follow to the end (same exit codes)."""
    from printers.farm.factory import make_printer
    from printers.interface import PrinterState

    store = services.printers.store
    printer = make_printer(record, store, services.secrets)
    changed = threading.Condition()

    def on_status(_status: object) -> None:
        with changed:
            changed.notify_all()

    def wait(predicate: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                changed.wait(min(left, 0.5))
        return True

    printer.subscribe(on_status)
    printer.connect()
    try:
        if not wait(lambda: printer.status().state is PrinterState.OPERATIONAL,
                    args.connect_timeout):
            status = printer.status()
            print(f"layerline: cannot print on {args.printer}: {status.state.value}"
                  + (f" ({status.reason})" if status.reason else ""), file=sys.stderr)
            return 1
        try:
            job_id = printer.start(args.file)
        except PrinterError as exc:
            print(f"layerline: {args.printer}: {exc}", file=sys.stderr)
            return 1
        cancelled = threading.Event()

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            if not cancelled.is_set():
                cancelled.set()
                print("\ncancelling", file=sys.stderr)
                threading.Thread(target=_cancel, args=(printer,), daemon=True).start()

        old_int = signal.signal(signal.SIGINT, on_signal)
        old_term = signal.signal(signal.SIGTERM, on_signal)
        try:
            while not wait(lambda: store.job_state(job_id)[0] not in ACTIVE_STATES, 1.0):
                pass
        finally:
            signal.signal(signal.SIGINT, old_int)
            signal.signal(signal.SIGTERM, old_term)
    finally:
        printer.disconnect()
        close = getattr(printer, "close", None)
        if callable(close):
            close()
    return _report(args, services, job_id)


def _cancel(printer: Printer) -> None:
    try:
        printer.cancel()
    except PrinterError as exc:
        print(f"layerline: cannot cancel: {exc}", file=sys.stderr)


def _record_history(services: Services) -> None:
    """The job's history row, with the durations measured while it ran (the
    print's outcome does not depend on it)."""
    try:
        future = services.history.sync()
        if future is not None:
            future.result(120)
    except Exception as exc:
        log.warning("the print history was not updated: %s", exc)


def _draw(snap: JobSnapshot) -> None:
    width = 30
    filled = int(snap.progress * width)
    eta = "" if snap.eta is None else f" ETA {int(snap.eta // 60)}:{int(snap.eta % 60):02d}"
    layer = "" if snap.layer is None else f" layer {snap.layer}"
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {snap.progress:6.1%} "
                     f"{snap.state.value}{layer}{eta}   ")
    sys.stderr.flush()
