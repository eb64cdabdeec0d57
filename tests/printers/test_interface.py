"""The printer contract's values: capabilities round-trip through a record's
options, and the status helpers the queue relies on."""

from __future__ import annotations

from printers.errors import PrinterError
from printers.interface import Capabilities, JobSummary, PrinterState, PrinterStatus
from printers.octoprint.errors import OctoPrintError, OctoPrintTimeoutError


def test_capabilities_round_trip_through_options() -> None:
    caps = Capabilities(0.6, "PETG", (250.0, 210.0, 220.0), True, frozenset({"mk4", "big"}))
    assert Capabilities.from_options(caps.as_options()) == caps
    assert Capabilities.from_options({}) == Capabilities()
    # Garbage in a record's options gives "unknown", never a crash.
    assert Capabilities.from_options({"nozzle": "wide", "build_volume": [1, 2]}) == Capabilities()


def test_idle_and_heating() -> None:
    base = PrinterStatus("a", "serial", PrinterState.OPERATIONAL)
    assert base.idle and not base.heating
    heating = PrinterStatus("a", "serial", PrinterState.PRINTING,
                            job=JobSummary(1, "x.gcode", "heating", 0.0))
    assert heating.heating and not heating.idle
    done = PrinterStatus("a", "serial", PrinterState.OPERATIONAL,
                         job=JobSummary(1, "x.gcode", "completed", 1.0))
    assert done.idle
    assert not PrinterStatus("a", "octoprint", PrinterState.OFFLINE).idle
    assert done.as_dict()["job"]["state"] == "completed"  # type: ignore[index]


def test_octoprint_errors_are_printer_errors() -> None:
    assert issubclass(OctoPrintError, PrinterError)
    assert isinstance(OctoPrintTimeoutError("slow"), PrinterError)
