"""The printers package's typed errors (known errors the user can act on)."""

from __future__ import annotations


class PrinterError(Exception):
    """Base of every known printers error (registered with the app's error policy)."""


class PrinterNotFoundError(PrinterError):
    """No printer with that name is configured."""


class PortUnavailableError(PrinterError):
    """The serial port cannot be opened (unplugged, busy, no permission)."""


class PrinterDisconnectedError(PrinterError):
    """The link to the printer went away (cable pulled, device reset)."""


class JobError(PrinterError):
    """A print job cannot be started or changed as asked."""


class GcodeFileError(PrinterError):
    """A G-code file cannot be read."""
