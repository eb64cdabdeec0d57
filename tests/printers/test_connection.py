"""The whole serial stack over a real pty against the virtual printer, with
fault injection: every line executes exactly once and in order (read back
from the virtual printer's log), and each failure ends the job with its
reason."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from printers.connection import ConsoleLines, JobEnded, LinkStatus, PrinterConnection
from printers.firmware import Faults, FirmwareConfig
from printers.jobs import JobGcode, JobState
from printers.store import PrinterStore
from printers.virtual import VirtualPrinter
from tests.printers.conftest import write_gcode

FAST_HEAT = {"heat_rate_hotend": 2000.0, "heat_rate_bed": 2000.0, "home_time": 0.01}
TIMEOUT = 60.0


@pytest.fixture
def make(store: PrinterStore) -> Iterator[object]:
    made: list[tuple[VirtualPrinter, PrinterConnection]] = []

    def factory(faults: Faults | None = None, **fw: object
                ) -> tuple[VirtualPrinter, PrinterConnection]:
        cfg = FirmwareConfig(**{**FAST_HEAT, **fw}, faults=faults or Faults())  # type: ignore[arg-type]
        vp = VirtualPrinter(cfg).start()
        rec = store.add_printer(f"vp{len(made)}", vp.path, 115200,
                                {"rx_buffer": cfg.rx_buffer_size,
                                 "command_slots": cfg.bufsize})
        conn = PrinterConnection(rec, store=store, save_interval=0.2)
        made.append((vp, conn))
        conn.connect()
        assert conn.wait_for(lambda s: s.link is LinkStatus.OPERATIONAL, TIMEOUT), conn.status
        return vp, conn

    yield factory
    for vp, conn in made:
        conn.disconnect()
        vp.stop()


def executed_job_lines(vp: VirtualPrinter, expected: list[str]) -> list[str]:
    """The printer's executed numbered lines that belong to the file."""
    wanted = set(expected)
    return [e.command for e in vp.executed() if e.number is not None and e.command in wanted
            and e.command.startswith("G1")]


def moves_of(expected: list[str]) -> list[str]:
    return [c for c in expected if c.startswith("G1")]


def run_print(conn: PrinterConnection, path: Path) -> object:
    conn.start_print(path)
    snap = conn.wait_job(TIMEOUT)
    assert snap is not None and snap.state.ended, snap
    return snap


def test_clean_print_completes_exactly_once_in_order(make, store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    vp, conn = make()
    expected = write_gcode(tmp_path / "a.gcode", 600)
    snap = run_print(conn, tmp_path / "a.gcode")
    assert snap.state is JobState.COMPLETED, snap
    assert executed_job_lines(vp, expected) == moves_of(expected)
    assert vp.rx_overflow_bytes == 0
    rec = store.jobs()[0]
    assert (rec.state, rec.lines_confirmed, rec.lines_total) == (
        "completed", len(expected), len(expected))
    assert rec.layer == 4
    assert store.temperatures(rec.id), "the job keeps its temperature trace"


@pytest.mark.parametrize("advanced_ok", [False, True])
def test_corruption_lost_oks_and_garbage_still_run_each_line_once(  # type: ignore[no-untyped-def]
        make, tmp_path, advanced_ok) -> None:
    faults = Faults(corrupt_rate=0.03, drop_ok_rate=0.005, garbage_rate=0.01, seed=7)
    vp, conn = make(faults, bufsize=16, rx_buffer_size=512, advanced_ok=advanced_ok)
    expected = write_gcode(tmp_path / "b.gcode", 800)
    snap = run_print(conn, tmp_path / "b.gcode")
    assert snap.state is JobState.COMPLETED, snap
    assert executed_job_lines(vp, expected) == moves_of(expected)
    assert vp.line_errors > 0  # the faults did happen
    assert vp.rx_overflow_bytes == 0


@pytest.mark.parametrize(
    ("faults", "reason"),
    [
        (Faults(runaway_after=120), "thermal-runaway"),
        (Faults(reset_after=120), "reset"),
    ],
)
def test_firmware_failures_fail_the_job_with_a_reason(  # type: ignore[no-untyped-def]
        make, store, tmp_path, faults, reason) -> None:
    _vp, conn = make(faults)
    write_gcode(tmp_path / "c.gcode", 400)
    snap = run_print(conn, tmp_path / "c.gcode")
    assert snap.state is JobState.FAILED
    assert reason in (snap.reason or "")
    rec = store.jobs()[0]
    assert rec.state == "failed" and reason in (rec.reason or "")
    assert 0 < rec.lines_confirmed < rec.lines_total


def test_unplugging_interrupts_and_the_printer_can_be_reconnected(  # type: ignore[no-untyped-def]
        make, store, tmp_path) -> None:
    vp, conn = make(Faults(disconnect_after=150))
    expected = write_gcode(tmp_path / "d.gcode", 400)
    snap = run_print(conn, tmp_path / "d.gcode")
    assert snap.state is JobState.INTERRUPTED
    assert "disconnected" in (snap.reason or "")
    assert conn.wait_for(lambda s: s.link is LinkStatus.ERROR, TIMEOUT)
    rec = store.jobs()[0]
    assert rec.state == "interrupted"
    assert rec.lines_confirmed <= len([e for e in vp.executed() if e.number is not None])
    # Plug in again (a new device node), without restarting anything.
    with VirtualPrinter(FirmwareConfig(**FAST_HEAT)) as vp2:  # type: ignore[arg-type]
        conn.reconnect(vp2.path)
        assert conn.wait_for(lambda s: s.link is LinkStatus.OPERATIONAL, TIMEOUT)
        snap = run_print(conn, tmp_path / "d.gcode")
        assert snap.state is JobState.COMPLETED
        assert executed_job_lines(vp2, expected) == moves_of(expected)
        conn.disconnect()


def test_pause_resume_and_cancel_send_their_gcode(make, tmp_path) -> None:  # type: ignore[no-untyped-def]
    vp, conn = make(command_time=0.002)
    conn.job_gcode = JobGcode(pause=("M117 parked",), resume=("M117 unparked",),
                              cancel=("M117 cancelled", "M104 S0"))
    expected = write_gcode(tmp_path / "e.gcode", 3000)
    conn.start_print(tmp_path / "e.gcode")
    assert conn.wait_for(lambda s: s.job is not None and s.job.lines_confirmed > 50, TIMEOUT)
    conn.pause()
    assert conn.wait_for(lambda s: s.job is not None and s.job.state is JobState.PAUSED,
                         TIMEOUT)
    assert conn.wait_for(lambda s: any(e.command == "M117 parked" for e in vp.executed()),
                         TIMEOUT) or any(e.command == "M117 parked" for e in vp.executed())
    conn.resume()
    assert conn.wait_for(lambda s: s.job is not None and s.job.lines_confirmed > 300, TIMEOUT)
    conn.cancel()
    snap = conn.wait_job(TIMEOUT)
    assert snap is not None and snap.state is JobState.CANCELLED
    ran = [e.command for e in vp.executed()]
    assert ran.index("M117 parked") < ran.index("M117 unparked") < ran.index("M117 cancelled")
    done = executed_job_lines(vp, expected)
    assert done == moves_of(expected)[: len(done)]  # a prefix: nothing skipped or doubled
    assert len(done) < len(moves_of(expected))


def test_m600_waits_for_the_user(make, tmp_path) -> None:  # type: ignore[no-untyped-def]
    vp, conn = make(busy_interval=0.1)
    expected = write_gcode(tmp_path / "f.gcode", 100, extra="M600\nG1 X1 Y1 E9.99")
    conn.start_print(tmp_path / "f.gcode")
    assert conn.wait_for(lambda s: s.job is not None and s.job.waiting_for_user, TIMEOUT)
    assert conn.status.job is not None and conn.status.job.state is JobState.PAUSED
    conn.resume()
    snap = conn.wait_job(TIMEOUT)
    assert snap is not None and snap.state is JobState.COMPLETED
    assert executed_job_lines(vp, expected) == moves_of(expected)


def test_emergency_stop_halts_at_once(make, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _vp, conn = make(command_time=0.002)
    write_gcode(tmp_path / "g.gcode", 3000)
    events: list[object] = []
    console = threading.Event()

    def listen(event: object) -> None:
        events.append(event)
        if isinstance(event, ConsoleLines) and any("M112" in ln for ln in event.lines):
            console.set()

    conn.subscribe(listen)
    conn.start_print(tmp_path / "g.gcode")
    assert conn.wait_for(lambda s: s.job is not None and s.job.lines_confirmed > 20, TIMEOUT)
    conn.emergency_stop()
    snap = conn.wait_job(TIMEOUT)
    assert snap is not None and snap.state is JobState.CANCELLED
    assert snap.reason == "emergency stop"
    assert conn.wait_for(lambda s: s.link is LinkStatus.ERROR, TIMEOUT)
    assert any(isinstance(e, JobEnded) for e in events)
    assert console.wait(TIMEOUT), "the console shows the emergency stop"


def test_port_discovery_lists_a_given_path_and_baud_can_be_detected(store) -> None:  # type: ignore[no-untyped-def]
    from printers.transport import discover

    with VirtualPrinter(FirmwareConfig(**FAST_HEAT)) as vp:  # type: ignore[arg-type]
        assert vp.path in [p.device for p in discover([vp.path])]
        rec = store.add_printer("auto", vp.path, 0)  # 0: detect the baud rate
        conn = PrinterConnection(rec, store=store)
        conn.connect()
        try:
            assert conn.wait_for(lambda s: s.firmware.startswith("Marlin"), TIMEOUT)
        finally:
            conn.disconnect()


def test_a_missing_port_is_a_clear_error(store) -> None:  # type: ignore[no-untyped-def]
    rec = store.add_printer("ghost", "/dev/does-not-exist", 115200)
    conn = PrinterConnection(rec, store=store)
    conn.connect()
    assert conn.wait_for(lambda s: s.link is LinkStatus.ERROR, TIMEOUT)
    assert "cannot open /dev/does-not-exist" in (conn.status.error or "")
    conn.disconnect()
