"""The farm supervisor with virtual serial printers on ptys: one printer
frozen mid-print (it stops answering, its port stays open) while the others
go on; a hostile printer whose calls hang; an unreachable one."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from printers.connection import PrinterConnection
from printers.farm.supervisor import FarmClosedError, FarmSupervisor
from printers.interface import Kind, PrinterState, PrinterStatus, StatusListener
from printers.serial_printer import SerialPrinter
from printers.store import PrinterRecord
from tests.printers.conftest import write_gcode
from tests.printers.farm.conftest import TIMEOUT, FarmKit

pytestmark = [pytest.mark.timeout(180)]


@pytest.mark.parametrize("hang", ["brief", "long"])
def test_a_frozen_printer_never_delays_the_others(kit: FarmKit, tmp_path: Path,
                                                  hang: str) -> None:
    long, short = tmp_path / "long.gcode", tmp_path / "short.gcode"
    write_gcode(long, 4000)
    write_gcode(short, 600)
    frozen = kit.printer("frozen")
    kit.printer("a")
    kit.printer("b")
    farm = kit.farm(dispatch=False, stale_after=1.0)
    sup = farm.supervisor
    kit.waiter.until(lambda: len(sup.statuses()) == 3
                     and all(s.idle for s in sup.statuses().values()), "three idle printers")
    sup.submit("frozen", lambda p: p.start(long)).result(TIMEOUT)
    kit.waiter.until(lambda: (sup.status("frozen").job or 0) and
                     sup.status("frozen").job.progress > 0.05,  # type: ignore[union-attr]
                     "the frozen printer to be under way")
    frozen.freeze()
    last_answer = frozen.bytes_in
    # While it hangs, the others print (on their own workers)...
    for name in ("a", "b"):
        sup.submit(name, lambda p: p.start(short)).result(TIMEOUT)
    kit.waiter.until(lambda: all((s.job is not None and s.job.state == "completed")
                                 for n, s in sup.statuses().items() if n != "frozen"),
                     "the healthy printers to finish")
    # ... and the frozen one is reported, with its last sign of life.
    status = kit.waiter.until(lambda: (s := sup.status("frozen")).reason and s,
                              "a reason for the frozen printer")
    assert status.last_seen is not None
    assert "no sign of life" in str(status.reason) or status.state is PrinterState.ERROR
    assert frozen.bytes_in >= last_answer  # the host kept trying (probes)
    # Its worker stuck in a call that hangs delays nobody else either.
    release = threading.Event()
    stuck = sup.submit("frozen", lambda p: release.wait(TIMEOUT))
    assert sup.submit("a", lambda p: p.status().state).result(TIMEOUT) is \
        PrinterState.OPERATIONAL
    release.set()
    assert stuck.result(TIMEOUT) is True
    if hang == "long":
        # Long enough for the host to give up on it: an error, with its reason.
        status = kit.waiter.until(lambda: (s := sup.status("frozen")).state
                                  is PrinterState.ERROR and s, "the host to give up")
        assert status.reason
    # Back from the freeze: reconnected by the supervisor, no reason left.
    frozen.thaw()
    kit.waiter.until(lambda: sup.status("frozen").state is PrinterState.OPERATIONAL
                     and sup.status("frozen").reason is None, "the frozen printer to come back",
                     timeout=120)
    # Its job either resumed (the host's probes got their answers) or ended
    # with the reason: never left hanging.
    job = kit.waiter.until(lambda: (j := {j["printer_name"]: j for j in kit.db.jobs()}[
        "frozen"])["state"] in ("completed", "failed", "interrupted") and j, "the frozen job")
    assert job["state"] == "completed" or job["reason"]
    if hang == "long":
        assert job["state"] == "failed"
    farm.shutdown()
    left = [t.name for t in threading.enumerate()
            if t.name.startswith(("farm ", "printer ", "farm-dispatcher"))]
    assert left == []
    with pytest.raises(FarmClosedError):
        sup.submit("a", lambda p: None)


class HangingPrinter:
    """A hostile printer: connecting hangs until released."""

    kind: Kind = "serial"

    def __init__(self, name: str) -> None:
        self.name = name
        self.release = threading.Event()
        self.entered = threading.Event()

    def status(self) -> PrinterStatus:
        return PrinterStatus(self.name, "serial", PrinterState.CONNECTING)

    def connect(self) -> None:
        self.entered.set()
        self.release.wait(TIMEOUT)

    def disconnect(self) -> None:
        pass

    def start(self, file: Path) -> int:
        raise NotImplementedError

    def upload(self, file: Path) -> None:
        raise NotImplementedError

    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def cancel(self) -> None: ...
    def send(self, command: str) -> None: ...

    def snapshot(self) -> bytes | None:
        return None

    def subscribe(self, listener: StatusListener) -> None: ...
    def unsubscribe(self, listener: StatusListener) -> None: ...


def test_a_hanging_printer_and_an_unreachable_one_delay_nobody(kit: FarmKit,
                                                                tmp_path: Path) -> None:
    gfile = tmp_path / "p.gcode"
    write_gcode(gfile, 300)
    vp = kit.printer("good")
    hanging = HangingPrinter("hangs")
    gone = SerialPrinter(PrinterConnection(PrinterRecord(0, "gone", str(tmp_path / "no-tty"),
                                                         115200)))
    good = SerialPrinter(PrinterConnection(kit.db.store.printer("good"), store=kit.db.store))
    sup = FarmSupervisor([hanging, gone, good], backoff_initial=0.1, backoff_max=0.5,
                         check_interval=0.1)
    sup.subscribe(kit.waiter.poke)
    sup.start()
    try:
        assert hanging.entered.wait(TIMEOUT)
        kit.waiter.until(lambda: sup.status("good").idle, "the good printer")
        job_id = sup.submit("good", lambda p: p.start(gfile)).result(TIMEOUT)
        kit.waiter.until(lambda: (j := sup.status("good").job) is not None
                         and j.job_id == job_id and j.state == "completed", "the print")
        assert vp.executed()
        # The unreachable one: not well, with the reason, retried with backoff.
        status = kit.waiter.until(
            lambda: (s := sup.status("gone")).state in (PrinterState.ERROR, PrinterState.OFFLINE)
            and s.reason and s, "the unreachable printer's reason")
        assert "no-tty" in str(status.reason) and status.last_seen is None
        assert sup.status("hangs").reason == "connecting"
    finally:
        sup.shutdown(timeout=5)  # the hanging worker is abandoned, not waited for
        hanging.release.set()
