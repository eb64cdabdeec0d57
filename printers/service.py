"""The printers service: the configured printers, their live connections and
the demo's virtual printer.

Built by the app's composition root; listeners registered with
:meth:`PrintersService.subscribe` receive every connection's events **on that
connection's I/O thread**, plus :class:`PrintersChanged` on the calling thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from printers.connection import ConnectionEvent, PrinterConnection
from printers.errors import PrinterError
from printers.firmware import FirmwareConfig
from printers.virtual import VirtualPrinter

if TYPE_CHECKING:  # the store imports SQLAlchemy: kept off the start-up path
    from printers.store import PrinterRecord, PrinterStore

log = logging.getLogger(__name__)

DEMO_PRINTER = "Virtual Marlin"


@dataclass(frozen=True, slots=True)
class PrintersChanged:
    """A printer was added or removed."""


ServiceEvent = ConnectionEvent | PrintersChanged


class PrintersService:
    """See the module docstring."""

    def __init__(self, store: PrinterStore) -> None:
        self.store = store
        self._connections: dict[str, PrinterConnection] = {}
        self._virtual: list[VirtualPrinter] = []
        self._listeners: list[Callable[[ServiceEvent], None]] = []
        self._guard = threading.Lock()

    def recover(self) -> list[int]:
        """Mark jobs left active by a crashed process as interrupted."""
        return self.store.recover_interrupted()

    def subscribe(self, listener: Callable[[ServiceEvent], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[ServiceEvent], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: ServiceEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("printers listener failed")

    def printers(self) -> list[PrinterRecord]:
        return self.store.printers()

    def add_printer(self, name: str, port: str, baud: int = 115200,
                    options: dict[str, Any] | None = None) -> PrinterRecord:
        rec = self.store.add_printer(name, port, baud, options)
        self._emit(PrintersChanged())
        return rec

    def connection(self, name: str) -> PrinterConnection:
        """The live connection of a printer (made on first use, not connected)."""
        with self._guard:
            conn = self._connections.get(name)
            if conn is None:
                record = self.store.printer(name)
                if record.kind != "serial":
                    raise PrinterError(f"{name} is an {record.kind} printer, not a serial one: "
                                       "it is driven through the farm")
                conn = PrinterConnection(record, store=self.store)
                conn.subscribe(self._emit)
                self._connections[name] = conn
            return conn

    def connections(self) -> list[PrinterConnection]:
        with self._guard:
            return list(self._connections.values())

    def start_virtual(self, name: str = DEMO_PRINTER,
                      config: FirmwareConfig | None = None) -> PrinterConnection:
        """Run a virtual printer, (re)configure ``name`` to its pty, connect.
        Blocks briefly (pty set-up): call it off the GUI thread."""
        config = config or FirmwareConfig(latency=0.002, command_time=0.0005)
        vp = VirtualPrinter(config).start()
        with self._guard:
            self._virtual.append(vp)
        names = {p.name for p in self.store.printers()}
        if name in names:
            self.store.update_port(name, vp.path)
        else:
            self.store.add_printer(name, vp.path, 115200,
                                   {"rx_buffer": config.rx_buffer_size,
                                    "command_slots": config.bufsize, "virtual": True})
        with self._guard:
            existing = self._connections.get(name)
        self._emit(PrintersChanged())
        if existing is not None:
            # The same connection object, on the new pty: whoever holds it
            # (the farm's supervisor, a page) keeps driving the live printer.
            existing.reconnect(vp.path)
            return existing
        conn = self.connection(name)
        conn.connect()
        return conn

    def shutdown(self) -> None:
        """Disconnect every printer (running jobs end interrupted) and stop
        the virtual printers."""
        for conn in self.connections():
            conn.disconnect()
        with self._guard:
            virtual, self._virtual = self._virtual, []
        for vp in virtual:
            vp.stop()
