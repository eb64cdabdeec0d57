from __future__ import annotations

import os
import subprocess
import sys

import pytest

from printers.errors import JobError, PrinterError, PrinterNotFoundError
from printers.jobs import JobState
from printers.store import PrinterStore


def _job(store: PrinterStore) -> int:
    rec = store.add_printer("p", "/dev/null")
    return store.create_job(rec, "p", "/x/cube.gcode", lines_total=10, bytes_total=100,
                            layers_total=None, slicer_estimate=None)


def test_printers_are_unique_and_found_by_name(store: PrinterStore) -> None:
    store.add_printer("mk3", "/dev/ttyACM0", 250000, {"rx_buffer": 256})
    with pytest.raises(PrinterError):
        store.add_printer("mk3", "/dev/ttyACM1")
    assert store.printer("mk3").options == {"rx_buffer": 256}
    with pytest.raises(PrinterNotFoundError):
        store.printer("nope")


def test_recovery_interrupts_jobs_of_dead_processes_only(store: PrinterStore) -> None:
    job_id = _job(store)
    assert store.recover_interrupted() == []  # this process is alive and owns it
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)

    from printers import schema
    with store._sessions.begin() as s:
        s.execute(schema.jobs.update().values(owner_pid=int(dead.stdout), state="printing",
                                             lines_confirmed=4))
    assert store.recover_interrupted() == [job_id]
    rec = store.job(job_id)
    assert (rec.state, rec.lines_confirmed) == ("interrupted", 4)
    assert os.getpid() != int(dead.stdout)


def test_verdicts(store: PrinterStore) -> None:
    job_id = _job(store)
    with pytest.raises(JobError, match="still queued"):
        store.set_verdict(job_id, True, None)
    from printers import schema
    with store._sessions.begin() as s:
        s.execute(schema.jobs.update().values(state=JobState.COMPLETED.value))
    with pytest.raises(JobError, match="needs a reason"):
        store.set_verdict(job_id, False, " ")
    store.set_verdict(job_id, False, "layer shift")
    assert (store.job(job_id).verdict, store.job(job_id).verdict_reason) == ("bad", "layer shift")
    store.set_verdict(job_id, True, None)
    assert store.job(job_id).verdict == "good"
    with pytest.raises(JobError):
        store.job(999)
