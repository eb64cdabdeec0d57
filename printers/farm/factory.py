"""Printers made from their records: a serial printer or an OctoPrint one."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from printers.errors import PrinterError
from printers.interface import Printer

if TYPE_CHECKING:
    from printers.octoprint.client import Timeouts
    from printers.store import PrinterRecord, PrinterStore

log = logging.getLogger(__name__)


class Secrets(Protocol):
    """The app's secret store, as far as printers need it."""

    def get(self, name: str) -> str | None: ...


def make_printer(record: PrinterRecord, store: PrinterStore | None, secrets: Secrets | None,
                 *, timeouts: Timeouts | None = None, poll_interval: float = 1.0) -> Printer:
    """The :class:`Printer` for ``record`` (not connected yet).  An OctoPrint
    printer's API key is read from ``secrets`` (``record.secret_name``); a
    missing key is not an error here: the printer will report it."""
    if record.kind == "serial":
        from printers.connection import PrinterConnection
        from printers.serial_printer import SerialPrinter

        return SerialPrinter(PrinterConnection(record, store=store))
    if record.kind == "octoprint":
        from printers.octoprint.client import OctoPrintClient
        from printers.octoprint.client import Timeouts as _Timeouts
        from printers.octoprint.printer import OctoPrintPrinter

        if not record.url:
            raise PrinterError(f"{record.name}: an OctoPrint printer without a URL")
        key = secrets.get(record.secret_name) if secrets is not None else None
        if not key:
            log.warning("%s: no API key in the secret store", record.name)
        client = OctoPrintClient(record.url, key,
                                 timeouts=timeouts or _Timeouts(connect=5.0, call=10.0))
        return OctoPrintPrinter(record, client, store, poll_interval=poll_interval)
    raise PrinterError(f"{record.name}: unknown kind of printer {record.kind!r}")
