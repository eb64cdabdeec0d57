"""The printers service: live serial connections for the configured printers."""

from __future__ import annotations

import pytest

from printers.errors import PrinterError
from printers.service import PrintersService
from printers.store import PrinterStore


def test_an_octoprint_printer_gets_no_serial_connection(store: PrinterStore) -> None:
    service = PrintersService(store)
    store.add_printer("Farm 1", "", 0, kind="octoprint", url="http://127.0.0.1:5000")
    store.add_printer("Desk", "/dev/ttyUSB0", 115200)
    with pytest.raises(PrinterError, match="octoprint printer"):
        service.connection("Farm 1")
    assert service.connection("Desk").name == "Desk"
    assert [c.name for c in service.connections()] == ["Desk"]


def test_restarting_the_virtual_printer_keeps_the_connection_object(store: PrinterStore) -> None:
    """Whoever holds the printer's connection (the farm) follows it to the
    new pty of a restarted virtual printer."""
    service = PrintersService(store)
    try:
        first = service.start_virtual("Demo")
        held = service.connection("Demo")
        second = service.start_virtual("Demo")
        assert second is held is first
        assert held.record.port == store.printer("Demo").port
        assert held.wait_for(lambda s: s.link.value == "operational", 30)
    finally:
        service.shutdown()
