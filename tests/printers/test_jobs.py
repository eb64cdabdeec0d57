"""Print jobs without a port: the G-code program, states, progress and ETA,
driven through a real protocol object."""

from __future__ import annotations

from pathlib import Path

import pytest

from printers.errors import GcodeFileError
from printers.jobs import GcodeProgram, JobGcode, JobState, PrintJob
from printers.protocol import Acked, Failed, FirmwareReset, MarlinProtocol, WaitingForUser
from tests.printers.test_protocol import connected


def program(tmp_path: Path, text: str) -> GcodeProgram:
    f = tmp_path / "p.gcode"
    f.write_text(text)
    return GcodeProgram.load(f)


def test_program_strips_comments_and_reads_slicer_facts(tmp_path: Path) -> None:
    p = program(tmp_path, ";FLAVOR:Marlin\n;TIME:125\n;LAYER_COUNT:3\n\nG28 ; home\n"
                          ";LAYER:0\nG1 X1 (inline)\n   \n;LAYER:1\nG1 X2\n")
    assert [ln.command for ln in p.lines] == ["G28", "G1 X1", "G1 X2"]
    assert [ln.layer for ln in p.lines] == [None, 0, 1]
    assert p.slicer_estimate == 125.0 and p.layers == 3
    assert p.lines[-1].end_offset == p.size


def test_prusaslicer_time_estimate(tmp_path: Path) -> None:
    p = program(tmp_path, "G1 X1\n; estimated printing time (normal mode) = 1h 2m 3s\n")
    assert p.slicer_estimate == 3723.0


def test_empty_or_missing_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(GcodeFileError, match="no G-code"):
        program(tmp_path, "; nothing\n\n")
    with pytest.raises(GcodeFileError, match="cannot read"):
        GcodeProgram.load(tmp_path / "missing.gcode")


def _job(tmp_path: Path, n: int = 10) -> tuple[PrintJob, MarlinProtocol]:
    p = program(tmp_path, "".join(f"G1 X{i}\n" for i in range(n)))
    proto = connected()
    job = PrintJob(1, "vp", p, JobGcode(pause=("M117 park",), resume=("M117 back",),
                                       cancel=("M117 end",)))
    job.start(proto)
    return job, proto


def test_progress_completion_and_eta(tmp_path: Path) -> None:
    job, proto = _job(tmp_path)
    assert job.state is JobState.PRINTING and proto.pending > 0
    for i in range(10):
        job.on_event(Acked(i, i + 3, f"G1 X{i}"), proto)
    while proto.in_flight or proto.pending:  # let the protocol settle its own bookkeeping
        proto.outgoing(0.0)
        proto.receive(b"ok\n" * max(1, proto.in_flight), 0.0)
    job.feed(proto)
    snap = job.snapshot()
    assert snap.state is JobState.COMPLETED and snap.progress == 1.0
    assert snap.lines_confirmed == 10 and snap.eta == 0.0


def test_failures_and_resets_end_the_job_with_a_reason(tmp_path: Path) -> None:
    job, proto = _job(tmp_path)
    job.on_event(Failed("thermal-runaway", "Thermal Runaway"), proto)
    assert job.state is JobState.FAILED and "thermal-runaway" in (job.reason or "")
    job2, proto2 = _job(tmp_path)
    job2.on_event(FirmwareReset(), proto2)
    assert job2.state is JobState.FAILED and "reset" in (job2.reason or "")
    job3, _ = _job(tmp_path)
    job3.interrupt("the printer was disconnected")
    assert job3.state is JobState.INTERRUPTED


def test_pause_takes_back_unsent_lines_and_parks(tmp_path: Path) -> None:
    job, proto = _job(tmp_path, 40)
    sent = proto.outgoing(0.0)
    assert sent
    job.pause(proto)
    assert job.state is JobState.PAUSED
    assert proto.pending == 0  # unsent lines are back with the job
    while proto.in_flight:
        proto.receive(b"ok\n", 0.1)
    job.feed(proto)  # the window drained: the park G-code goes out
    assert b"M117 park" in proto.outgoing(0.2)
    job.resume(proto)
    assert job.state is JobState.PRINTING
    assert b"M117 back" in proto.outgoing(0.3)


def test_user_waits_pause_and_resume_with_m108(tmp_path: Path) -> None:
    job, proto = _job(tmp_path)
    job.on_event(WaitingForUser("paused for user"), proto)
    assert job.state is JobState.PAUSED and job.waiting_for_user
    job.resume(proto)
    assert proto.outgoing(0.0).startswith(b"M108\n")
    # A "paused for user" keep-alive already on the wire when M108 went out
    # does not pause the job again; once the firmware confirms a line, a new
    # wait does.
    job.on_event(WaitingForUser("paused for user"), proto)
    assert job.state is JobState.PRINTING and not job.waiting_for_user
    job.on_event(Acked(0, 1, job.program.lines[0].command), proto)
    job.on_event(WaitingForUser("paused for user"), proto)
    assert job.state is JobState.PAUSED


def test_m73_remaining_time_is_the_eta(tmp_path: Path) -> None:
    job, proto = _job(tmp_path)
    job.on_event(Acked(0, 3, "M73 P10 R42"), proto)
    eta = job.snapshot().eta
    assert eta is not None and 2500 < eta <= 2520


def test_heating_waits_show_as_heating(tmp_path: Path) -> None:
    p = program(tmp_path, "M190 S60\nM104 S200\nM109 S200\nG1 X1\nG1 X2\n")
    proto = connected()
    job = PrintJob(2, "vp", p)
    job.start(proto)
    assert job.state is JobState.HEATING
    job.on_event(Acked(0, 3, "M190 S60"), proto)
    assert job.state is JobState.PRINTING
    job.on_event(Acked(1, 4, "M104 S200"), proto)
    assert job.state is JobState.HEATING  # M109 is next
    job.on_event(Acked(2, 5, "M109 S200"), proto)
    assert job.state is JobState.PRINTING
