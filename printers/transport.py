"""The serial transport: pyserial, port discovery, baud-rate detection.

A :class:`SerialPort` is used by one thread only (the connection's I/O
thread); :meth:`SerialPort.wake` is the one call another thread may make, to
cut a blocking read short.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
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
        self._timeout = read_timeout
        try:
            self._serial = serial.Serial(device, baud, timeout=read_timeout, write_timeout=5,
                                         exclusive=True)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise PortUnavailableError(f"cannot open {device}: {exc}") from exc
        # On POSIX, pyserial configures the port (termios, baud, lock) and the
        # hot path uses its file descriptor directly: far less CPU per line.
        self._fd: int | None = getattr(self._serial, "fd", None)
        self._wake_r, self._wake_w = os.pipe() if self._fd is not None else (-1, -1)
        self._poll: select.poll | None = None
        if self._fd is not None:
            # One poll object, registered once: cheaper per wake-up than select().
            self._poll = select.poll()
            self._poll.register(self._fd, select.POLLIN)
            self._poll.register(self._wake_r, select.POLLIN)
        self._timeout_ms = max(1, round(read_timeout * 1000))

    def _lost(self, exc: object) -> PrinterDisconnectedError:
        return PrinterDisconnectedError(f"lost the connection to {self.device}: {exc}")

    def read(self) -> bytes:
        """What has arrived, waiting up to the read timeout for the first byte."""
        fd = self._fd
        poll = self._poll
        if fd is None or poll is None:
            try:
                data: bytes = self._serial.read(max(1, self._serial.in_waiting))
                return data
            except (serial.SerialException, OSError, TypeError) as exc:
                raise self._lost(exc) from exc
        try:
            readable = False
            for ready, _mask in poll.poll(self._timeout_ms):
                if ready == fd:
                    readable = True  # data, or a hang-up that the read reports
                else:
                    os.read(self._wake_r, 512)
            if not readable:
                return b""
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return b""
        except (OSError, ValueError) as exc:
            raise self._lost(exc) from exc
        if not chunk:  # readable but empty: the device went away
            raise self._lost("the device reports no data (unplugged?)")
        return chunk

    def write(self, data: bytes) -> None:
        fd = self._fd
        if fd is None:
            try:
                self._serial.write(data)
            except (serial.SerialException, OSError) as exc:
                raise self._lost(exc) from exc
            return
        view = memoryview(data)
        try:
            while view:
                try:
                    n = os.write(fd, view)
                    view = view[n:]
                except BlockingIOError:
                    _, ready, _ = select.select([], [fd], [], 5)
                    if not ready:
                        raise self._lost("write timed out") from None
        except (OSError, ValueError) as exc:
            raise self._lost(exc) from exc

    def wake(self) -> None:
        """Cut a blocking :meth:`read` short (callable from any thread)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"x")
            return
        with contextlib.suppress(AttributeError, OSError, serial.SerialException):
            self._serial.cancel_read()

    def close(self) -> None:
        try:
            self._serial.close()
        except (serial.SerialException, OSError):
            log.debug("error closing %s", self.device, exc_info=True)
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._wake_r = self._wake_w = -1
