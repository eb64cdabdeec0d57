"""The OctoPrint printer adapter (printers.octoprint.printer) against the real
OctoPrint 1.11 server: its jobs land in the same print_jobs records as serial
ones, with the uploaded file's hash and how they ended."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from printers.interface import Printer, PrinterState, PrinterStatus
from printers.octoprint import OctoPrintClient
from printers.octoprint.backoff import Backoff
from printers.octoprint.printer import OctoPrintPrinter
from printers.store import PrinterStore
from tests.helpers.octoprint_server import OctoPrintServer
from tests.printers.octoprint.conftest import gcode, wait_for

pytestmark = [pytest.mark.peer, pytest.mark.slow, pytest.mark.timeout(240)]

WAIT = 90


class Seen:
    def __init__(self) -> None:
        self.statuses: list[PrinterStatus] = []
        self.lock = threading.Lock()

    def __call__(self, status: PrinterStatus) -> None:
        with self.lock:
            self.statuses.append(status)

    def states(self) -> set[PrinterState]:
        with self.lock:
            return {s.state for s in self.statuses}


@pytest.fixture
def printer(octoprint: OctoPrintClient, octoprint_server: OctoPrintServer,
            store: PrinterStore) -> Iterator[tuple[OctoPrintPrinter, Seen]]:
    record = store.add_printer("op", "VIRTUAL", 250000, {"nozzle": 0.4, "material": "PLA"},
                               kind="octoprint", url=octoprint_server.url)
    adapter = OctoPrintPrinter(record, octoprint, store, poll_interval=0.3,
                               backoff=Backoff(initial=0.2, maximum=2.0))
    seen = Seen()
    adapter.subscribe(seen)
    adapter.connect()
    try:
        wait_for(lambda: adapter.status().state is PrinterState.OPERATIONAL, 60, "operational")
        yield adapter, seen
    finally:
        adapter.disconnect()


def test_print_to_completion_is_recorded_with_the_file_hash(
        printer: tuple[OctoPrintPrinter, Seen], store: PrinterStore, tmp_path: Path) -> None:
    adapter, seen = printer
    assert isinstance(adapter, Printer)
    status = adapter.status()
    assert status.kind == "octoprint" and status.reason is None and status.last_seen
    assert status.capabilities.nozzle_diameter == 0.4
    wait_for(lambda: "T0" in adapter.status().temperatures, 30, "temperatures")
    path = gcode(tmp_path, "done.gcode", 60)
    job_id = adapter.start(path)
    record = wait_for(lambda: (r := store.job(job_id)).state == "completed" and r, WAIT,
                      "the job record to complete")
    assert record.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record.printer == "op" and record.file == str(path) and record.reason is None
    assert record.started_at and record.ended_at and record.bytes_confirmed == path.stat().st_size
    final = wait_for(lambda: (s := adapter.status()).job and s.job.state == "completed" and s,
                     10, "the status to say so")
    assert final.job.job_id == job_id and final.job.progress == 1.0  # type: ignore[union-attr]
    assert PrinterState.PRINTING in seen.states()


def test_cancel_is_recorded_cancelled(printer: tuple[OctoPrintPrinter, Seen],
                                      store: PrinterStore, tmp_path: Path) -> None:
    adapter, _seen = printer
    job_id = adapter.start(gcode(tmp_path, "cancel.gcode", 600))
    wait_for(lambda: adapter.status().state is PrinterState.PRINTING, 30, "printing")
    wait_for(lambda: store.job(job_id).state == "printing", 10, "the record to say printing")
    adapter.cancel()
    record = wait_for(lambda: (r := store.job(job_id)).state == "cancelled" and r, WAIT,
                      "the job record to say cancelled")
    assert record.ended_at is not None and record.sha256


def test_a_failure_is_recorded_failed_with_its_reason(
        printer: tuple[OctoPrintPrinter, Seen], octoprint: OctoPrintClient,
        store: PrinterStore, tmp_path: Path) -> None:
    adapter, _seen = printer
    job_id = adapter.start(gcode(tmp_path, "fail.gcode", 600))
    wait_for(lambda: adapter.status().state is PrinterState.PRINTING, 30, "printing")
    adapter.send("!!DEBUG:trigger_fatal_error_marlin")
    record = wait_for(lambda: (r := store.job(job_id)).state == "failed" and r, WAIT,
                      "the job record to say failed")
    assert "Thermal Runaway" in str(record.reason)
    # Not well, and says why.
    status = wait_for(lambda: (s := adapter.status()).state in (
        PrinterState.ERROR, PrinterState.OFFLINE) and s, 30, "the printer's error")
    assert status.reason


def test_server_away_mid_print_and_back(printer: tuple[OctoPrintPrinter, Seen],
                                        octoprint_server: OctoPrintServer,
                                        store: PrinterStore, tmp_path: Path) -> None:
    adapter, _seen = printer
    job_id = adapter.start(gcode(tmp_path, "away.gcode", 600))
    wait_for(lambda: adapter.status().state is PrinterState.PRINTING, 30, "printing")
    octoprint_server.stop(kill=True)
    try:
        away = wait_for(lambda: (s := adapter.status()).state is PrinterState.OFFLINE and s,
                        30, "the adapter to notice")
        assert away.reason and "not answering" in away.reason and away.last_seen is not None
        assert store.job(job_id).state == "printing"  # nothing concluded while it is away
    finally:
        octoprint_server.start()
    record = wait_for(lambda: (r := store.job(job_id)).state == "interrupted" and r, WAIT,
                      "the job record to say interrupted")
    assert record.reason and record.sha256
    # The restarted server's printer is disconnected: the adapter connects it.
    back = wait_for(lambda: (s := adapter.status()).state is PrinterState.OPERATIONAL and s,
                    WAIT, "the printer to be back")
    assert back.reason is None and back.last_seen and back.last_seen > away.last_seen  # type: ignore[operator]
