"""How an OctoPrint job ended, decided from push events or from polling.

:class:`OutcomeTracker` is pure state (no I/O, no thread): feed it the push
events it sees (:meth:`~OutcomeTracker.on_event`) and, when the socket is
down, what polling reads (:meth:`~OutcomeTracker.on_poll`); the first call
that settles the job returns an :class:`Outcome`, every later one returns
None.

From events: ``PrintDone`` → completed; ``PrintCancelled`` (or
``PrintFailed`` with reason ``cancelled``) → cancelled; ``PrintFailed`` with
reason ``error`` → failed, with the reason and the last ``Error`` event's
text (or, when the printer was disconnected mid-print, which OctoPrint
records as a failure without text, that).

From polling, once the job is no longer active and the printer is operational
again (or gone: closed, offline, in error): the file's print history decides.
A new entry in ``prints`` since the job started (its counts grew) with
``last.success`` true → completed; false → cancelled if a cancel was asked for,
otherwise failed (with the printer's error text when there is one).  No new
entry → interrupted: the job vanished (the server restarted, or the printer
was disconnected) without OctoPrint recording an end.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from typing import Any

from printers.octoprint.models import FileInfo, JobState, PrinterState


class OutcomeKind(enum.StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Outcome:
    """The end of one OctoPrint job: what happened, why, to which file."""

    kind: OutcomeKind
    reason: str
    file_path: str
    origin: str
    sha256: str
    source: str  # "push" or "poll": how it was learnt
    ended_at: float  # time.time() when Layerline learnt it
    print_time: float | None = None


DISCONNECTED = "the printer was disconnected mid-print"

_ACTIVE_WORDS = ("printing", "paus", "cancel", "resum", "starting", "finishing")


def job_active(state_text: str) -> bool:
    s = state_text.lower()
    return any(w in s for w in _ACTIVE_WORDS)


class OutcomeTracker:
    """Decides how the job printing ``file_path`` (uploaded with ``sha256``)
    ended.  ``baseline``: the file's print history when the job was started
    (None for a file that had none), so that polling can tell an entry the
    job added from an older one."""

    def __init__(
        self, file_path: str, sha256: str, *, origin: str = "local",
        baseline: FileInfo | None = None,
    ) -> None:
        self.file_path = file_path
        self.origin = origin
        self.sha256 = sha256
        self._baseline = (baseline.successes + baseline.failures) if baseline else 0
        self.cancel_requested = False
        self.seen_active = False
        self.last_error = ""
        self.disconnected = False
        self.outcome: Outcome | None = None

    def note_cancel_requested(self) -> None:
        self.cancel_requested = True

    def note_started(self) -> None:
        """The job is known to have started (the upload started it)."""
        self.seen_active = True

    def _settle(self, kind: OutcomeKind, reason: str, source: str,
                print_time: float | None = None) -> Outcome:
        self.outcome = Outcome(kind=kind, reason=reason, file_path=self.file_path,
                               origin=self.origin, sha256=self.sha256, source=source,
                               ended_at=time.time(), print_time=print_time)
        return self.outcome

    def _ours(self, payload: dict[str, Any]) -> bool:
        path = payload.get("path")
        origin = payload.get("origin")
        return path == self.file_path and (origin is None or origin == self.origin)

    # ---------------------------------------------------------------- push --
    def on_event(self, type_: str, payload: dict[str, Any]) -> Outcome | None:
        if self.outcome is not None:
            return None
        if type_ == "Error":
            self.last_error = str(payload.get("error", "")) or self.last_error
            return None
        if type_ in ("Disconnecting", "Disconnected"):
            self.disconnected = True
            return None
        if type_ in ("PrintStarted", "PrintResumed", "PrintPaused") and self._ours(payload):
            self.seen_active = True
            return None
        if not self._ours(payload):
            return None
        time_ = payload.get("time")
        ptime = float(time_) if isinstance(time_, int | float) else None
        if type_ == "PrintDone":
            return self._settle(OutcomeKind.COMPLETED, "", "push", ptime)
        if type_ == "PrintCancelled":
            return self._settle(OutcomeKind.CANCELLED, "cancelled", "push", ptime)
        if type_ == "PrintFailed":
            reason = str(payload.get("reason", "")) or "error"
            if reason == "cancelled":
                return self._settle(OutcomeKind.CANCELLED, "cancelled", "push", ptime)
            error = str(payload.get("error") or "") or self.last_error
            if not error and self.disconnected:
                error = DISCONNECTED
            detail = f"{reason}: {error}" if error else reason
            return self._settle(OutcomeKind.FAILED, detail, "push", ptime)
        return None

    # ---------------------------------------------------------------- poll --
    def on_poll(
        self, job: JobState, printer: PrinterState, file: FileInfo | None,
    ) -> Outcome | None:
        """One polled reading; the job's end once it can be told."""
        if self.outcome is not None:
            return None
        ours = job.file_path == self.file_path and (job.origin in (None, self.origin))
        if ours and job_active(job.state):
            self.seen_active = True
            return None
        if printer.error or job.error:
            self.last_error = printer.error or job.error
        gone = printer.flags.closed_or_error or printer.flags.error or not (
            printer.flags.operational
        )
        settled_state = printer.flags.operational and not job_active(printer.text)
        if not (settled_state or gone):
            return None  # cancelling, finishing...: not yet
        grew = file is not None and file.successes + file.failures > self._baseline
        if not (grew or self.seen_active):
            return None  # not started yet
        if file is not None and grew:
            if file.last is not None and file.last.success:
                return self._settle(OutcomeKind.COMPLETED, "", "poll")
            if self.cancel_requested:
                return self._settle(OutcomeKind.CANCELLED, "cancelled", "poll")
            reason = self.last_error or job.error or (
                DISCONNECTED if gone else "the print failed")
            return self._settle(OutcomeKind.FAILED, reason, "poll")
        if gone and self.last_error:
            return self._settle(OutcomeKind.FAILED, self.last_error, "poll")
        return self._settle(
            OutcomeKind.INTERRUPTED,
            "the job ended without OctoPrint recording an end (server restarted or printer "
            "disconnected)", "poll",
        )
