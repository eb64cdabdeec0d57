"""Typed errors of the OctoPrint client.

Every failure of a call ends in one of these, never a raw ``httpx`` error, a
``KeyError`` or a hang.  :class:`OctoPrintError` is the base the app registers
as a known error; it is a :class:`printers.errors.PrinterError`, so code
driving any kind of printer catches one class.  Each error carries the ``url`` it
concerns and, where there was one, the HTTP ``status``.
"""

from __future__ import annotations

from printers.errors import PrinterError


class OctoPrintError(PrinterError):
    """Something went wrong talking to an OctoPrint server."""

    #: True when retrying the same call later may succeed (server down, slow,
    #: restarting); False when only a change of input or configuration helps.
    transient: bool = False

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class OctoPrintUnreachableError(OctoPrintError):
    """The server cannot be reached: refused, reset, closed, DNS, TLS."""

    transient = True


class OctoPrintTimeoutError(OctoPrintError):
    """The server did not answer within the configured timeout."""

    transient = True


class OctoPrintAuthError(OctoPrintError):
    """The API key or the credentials were refused (HTTP 401/403)."""


class OctoPrintConflictError(OctoPrintError):
    """The printer is not in a state for this command (HTTP 409), for example
    starting a job while another prints or while disconnected."""


class OctoPrintNotFoundError(OctoPrintError):
    """The file, endpoint or request does not exist (HTTP 404)."""


class OctoPrintServerError(OctoPrintError):
    """Any other HTTP error status (5xx are transient)."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message, url=url, status=status)
        self.transient = status is not None and status >= 500


class OctoPrintProtocolError(OctoPrintError):
    """The server answered, but not what OctoPrint answers: malformed JSON,
    JSON of the wrong shape, a missing field.  Retrying rarely helps: this is
    usually not an OctoPrint server, or a proxy in between."""


class NoCameraError(OctoPrintError):
    """The server has no webcam (or no snapshot URL) configured."""


class AppKeyDeniedError(OctoPrintError):
    """The user denied the application key request, or it expired."""


class OctoPrintUnsupportedError(OctoPrintError):
    """The server's version or configuration lacks a needed feature."""
