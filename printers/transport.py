"""The serial transport: pyserial, port discovery, baud-rate detection.

A :class:`SerialPort` is used by one thread only (the connection's I/O
thread); :meth:`SerialPort.wake` is the one call another thread may make, to
cut a blocking read short.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

import serial
from serial.tools import list_ports

from printers.errors import PortUnavailableError, PrinterDisconnectedError

log = logging.getLogger(__name__)

#: Baud rates tried, most common first, when the user picks "auto".
BAUD_RATES = (115200, 250000, 230400, 57600, 38400, 19200, 9600)


@dataclass(frozen=True, slots=True)
class PortInfo:
    device: str
    description: str
    hwid: str


def discover(extra: list[str] | None = None) -> list[PortInfo]:
    """Serial ports that look like printers (USB serial, ACM), plus any paths
    the user gave (a virtual printer's pty, a symlink)."""
    found = [PortInfo(p.device, p.description or "", p.hwid or "")
             for p in list_ports.comports()]
    known = {p.device for p in found}
    for path in extra or []:
        if path not in known:
            found.append(PortInfo(path, "configured port", ""))
    return found


class SerialPort:
    """A thin, typed wrapper over :class:`serial.Serial` turning its errors
    into the printers package's errors."""

    def __init__(self, device: str, baud: int = 115200, *, read_timeout: float = 0.02) -> None:
        self.device = device
        self.baud = baud
        try:
            self._serial = serial.Serial(device, baud, timeout=read_timeout, write_timeout=5,
                                         exclusive=True)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise PortUnavailableError(f"cannot open {device}: {exc}") from exc

    def read(self) -> bytes:
        """What has arrived, waiting up to the read timeout for the first byte."""
        try:
            data: bytes = self._serial.read(max(1, self._serial.in_waiting))
            return data
        except (serial.SerialException, OSError, TypeError) as exc:
            # pyserial raises TypeError when the fd went away under it.
            raise PrinterDisconnectedError(f"lost the connection to {self.device}: {exc}") from exc

    def write(self, data: bytes) -> None:
        try:
            self._serial.write(data)
        except (serial.SerialException, OSError) as exc:
            raise PrinterDisconnectedError(f"lost the connection to {self.device}: {exc}") from exc

    def wake(self) -> None:
        """Cut a blocking :meth:`read` short (callable from any thread)."""
        with contextlib.suppress(AttributeError, OSError, serial.SerialException):
            self._serial.cancel_read()

    def close(self) -> None:
        try:
            self._serial.close()
        except (serial.SerialException, OSError):
            log.debug("error closing %s", self.device, exc_info=True)
