"""OutcomeTracker: how a job ended, from OctoPrint's events or from polling.
The payloads are those a real OctoPrint 1.11 sent (see test_real_server.py)."""

from __future__ import annotations

from typing import Any

import pytest

from printers.octoprint.models import FileInfo, JobState, LastPrint, PrinterFlags, PrinterState
from printers.octoprint.outcome import OutcomeKind, OutcomeTracker, job_active

SHA = "ab" * 32
PATH = "cube.gcode"


def payload(**extra: Any) -> dict[str, Any]:
    return {"name": PATH, "path": PATH, "origin": "local", "size": 5104, "owner": "admin",
            "user": "admin", **extra}


def tracker(**kw: Any) -> OutcomeTracker:
    return OutcomeTracker(PATH, SHA, **kw)


def test_print_done_is_completed() -> None:
    t = tracker()
    assert t.on_event("PrintStarted", payload()) is None
    out = t.on_event("PrintDone", payload(time=12.5))
    assert out is not None
    assert out.kind is OutcomeKind.COMPLETED and out.source == "push"
    assert out.sha256 == SHA and out.file_path == PATH and out.print_time == 12.5
    assert t.on_event("PrintDone", payload()) is None  # settled once


def test_print_cancelled_is_cancelled() -> None:
    out = tracker().on_event("PrintCancelled", payload(time=1.5, progress=9))
    assert out is not None and out.kind is OutcomeKind.CANCELLED


def test_print_failed_with_reason_cancelled_is_cancelled() -> None:
    out = tracker().on_event("PrintFailed", payload(reason="cancelled"))
    assert out is not None and out.kind is OutcomeKind.CANCELLED


def test_print_failed_carries_its_reason_and_error() -> None:
    t = tracker()
    t.on_event("Error", {"error": "MINTEMP triggered!", "reason": "firmware"})
    out = t.on_event("PrintFailed", payload(reason="error", error="Thermal Runaway"))
    assert out is not None and out.kind is OutcomeKind.FAILED
    assert out.reason == "error: Thermal Runaway"


def test_print_failed_without_error_uses_the_last_error_event() -> None:
    t = tracker()
    t.on_event("Error", {"error": "Printer halted. kill() called!"})
    out = t.on_event("PrintFailed", payload(reason="error"))
    assert out is not None and out.reason == "error: Printer halted. kill() called!"


def test_print_failed_after_a_disconnect_says_so() -> None:
    t = tracker()
    t.on_event("Disconnecting", {})
    out = t.on_event("PrintFailed", payload(reason="error"))
    assert out is not None and out.kind is OutcomeKind.FAILED
    assert out.reason == "error: the printer was disconnected mid-print"


def test_events_of_other_files_are_ignored() -> None:
    t = tracker()
    assert t.on_event("PrintDone", {"path": "other.gcode", "origin": "local"}) is None
    assert t.on_event("PrintDone", {"path": PATH, "origin": "sdcard"}) is None
    assert t.outcome is None


def printer(text: str = "Operational", *, error: str = "", **flags: bool) -> PrinterState:
    defaults = {"operational": True, "ready": True}
    if text in ("Closed", "Offline", "Offline after error"):
        defaults = {"closed_or_error": True}
    defaults.update(flags)
    return PrinterState(text=text, flags=PrinterFlags(**defaults), error=error)


def job(state: str = "Operational", path: str | None = PATH, error: str = "") -> JobState:
    return JobState(state=state, file_path=path, file_name=path, origin="local" if path else None,
                    size=None, completion=None, print_time=None, print_time_left=None,
                    error=error)


def history(successes: int, failures: int, last: bool | None) -> FileInfo:
    return FileInfo(path=PATH, name=PATH, origin="local", size=1, successes=successes,
                    failures=failures,
                    last=None if last is None else LastPrint(success=last, date=1.0))


def test_polling_waits_until_the_printer_is_operational_again() -> None:
    t = tracker()
    t.note_started()
    assert t.on_poll(job("Printing"), printer("Printing", printing=True), None) is None
    assert t.on_poll(job("Finishing"), printer("Finishing", printing=True),
                     history(1, 0, True)) is None
    assert t.on_poll(job("Cancelling"), printer("Cancelling", cancelling=True),
                     history(0, 1, False)) is None
    out = t.on_poll(job(), printer(), history(1, 0, True))
    assert out is not None and out.kind is OutcomeKind.COMPLETED and out.source == "poll"


def test_polling_before_the_job_started_concludes_nothing() -> None:
    t = tracker()
    assert t.on_poll(job(), printer(), history(0, 0, None)) is None


def test_polling_a_failed_entry_is_cancelled_when_a_cancel_was_asked() -> None:
    t = tracker()
    t.note_started()
    t.note_cancel_requested()
    out = t.on_poll(job(), printer(), history(0, 1, False))
    assert out is not None and out.kind is OutcomeKind.CANCELLED


def test_polling_a_failed_entry_is_a_failure_with_the_printers_error() -> None:
    t = tracker()
    t.note_started()
    out = t.on_poll(job("Offline after error", None, error="Thermal Runaway"),
                    printer("Offline after error"), history(0, 1, False))
    assert out is not None and out.kind is OutcomeKind.FAILED
    assert out.reason == "Thermal Runaway"


def test_polling_an_older_history_entry_does_not_count() -> None:
    # The file had printed fine before; this job vanished without a new entry.
    t = tracker(baseline=history(3, 1, True))
    t.note_started()
    out = t.on_poll(job("Offline", None), printer("Closed"), history(3, 1, True))
    assert out is not None and out.kind is OutcomeKind.INTERRUPTED


def test_polling_a_job_that_vanished_is_interrupted() -> None:
    t = tracker()
    assert t.on_poll(job("Printing"), printer("Printing", printing=True), None) is None
    out = t.on_poll(job("Offline", None), printer("Closed"), history(0, 0, None))
    assert out is not None and out.kind is OutcomeKind.INTERRUPTED
    assert "restarted" in out.reason


@pytest.mark.parametrize(("state", "active"), [
    ("Printing", True), ("Printing from SD", True), ("Paused", True), ("Pausing", True),
    ("Resuming", True), ("Cancelling", True), ("Starting", True), ("Finishing", True),
    ("Operational", False), ("Offline", False), ("Offline after error", False),
    ("Closed", False), ("Error: Thermal Runaway", False),
])
def test_job_active(state: str, active: bool) -> None:
    assert job_active(state) is active
