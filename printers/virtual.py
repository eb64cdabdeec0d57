"""A virtual Marlin printer behind a pseudo-terminal.

:class:`VirtualPrinter` opens a pty pair, runs :class:`printers.firmware.FirmwareModel`
on the master side in its own thread, and exposes the slave's device path
(``/dev/pts/N``): any serial host (Layerline, OctoPrint, a terminal) opens it
like a USB printer.  A pty has no baud-rate limit; the model adds the link
latency and the firmware's time per command.

The thread reads everything the host writes as soon as it arrives, so the
firmware's receive buffer (not the kernel's) decides what overflows.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import threading
import time
import tty

from printers.firmware import Executed, FirmwareConfig, FirmwareModel

log = logging.getLogger(__name__)


class VirtualPrinter:
    """A simulated printer on a pty.  ``start()`` it, give :attr:`path` to a
    host, ``stop()`` it (also a context manager).  :meth:`executed` returns the
    lines it executed so far, in order."""

    def __init__(self, config: FirmwareConfig | None = None) -> None:
        self.config = config or FirmwareConfig()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self._model = FirmwareModel(self.config, time.monotonic())
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        self._stop = False
        self._thread: threading.Thread | None = None
        self.disconnected = threading.Event()
        #: Set: the printer hangs (reads and drops everything, answers nothing),
        #: like a board whose firmware froze with the USB link still up.
        self.frozen = threading.Event()
        self.bytes_in = 0

    # -- lifecycle --------------------------------------------------------
    def start(self) -> VirtualPrinter:
        self._thread = threading.Thread(target=self._run, name=f"virtual-printer {self.path}",
                                        daemon=True)
        self._thread.start()
        log.info("virtual printer on %s", self.path)
        return self

    def stop(self) -> None:
        self._stop = True
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._close_pty()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._wake_r = self._wake_w = -1

    def __enter__(self) -> VirtualPrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def unplug(self) -> None:
        """Pull the cable: the device goes away under the host."""
        with self._lock:
            self._model.disconnect_requested = True
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def freeze(self) -> None:
        """Stop answering (the port stays open): see :attr:`frozen`."""
        self.frozen.set()

    def thaw(self) -> None:
        self.frozen.clear()

    # -- inspection (any thread) --------------------------------------------
    def executed(self) -> list[Executed]:
        with self._lock:
            return list(self._model.executed)

    def temperatures(self) -> dict[str, tuple[float, float]]:
        with self._lock:
            return self._model.temperatures()

    @property
    def rx_overflow_bytes(self) -> int:
        with self._lock:
            return self._model.rx_overflow_bytes

    @property
    def line_errors(self) -> int:
        with self._lock:
            return self._model.line_errors

    # -- the thread ---------------------------------------------------------
    def _close_pty(self) -> None:
        for fd in (self._master, self._slave):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = -1

    def _run(self) -> None:
        pending = b""
        try:
            while not self._stop:
                with self._lock:
                    deadline = self._model.next_deadline()
                now = time.monotonic()
                timeout = 0.05 if deadline is None else min(max(deadline - now, 0.0), 0.05)
                wlist = [self._master] if pending else []
                readable, _writable, _ = select.select(
                    [self._master, self._wake_r], wlist, [], timeout)
                if self._wake_r in readable:
                    os.read(self._wake_r, 64)
                data = b""
                if self._master in readable:
                    try:
                        data = os.read(self._master, 65536)
                    except OSError as exc:
                        if exc.errno not in (errno.EAGAIN, errno.EIO):
                            raise
                if self.frozen.is_set():
                    pending = b""
                    continue
                now = time.monotonic()
                with self._lock:
                    if data:
                        self.bytes_in += len(data)
                        self._model.receive(data, now)
                    self._model.advance(now)
                    pending += self._model.take_output(now)
                    gone = self._model.disconnect_requested
                if gone:
                    log.info("virtual printer %s: disconnecting", self.path)
                    self._close_pty()
                    self.disconnected.set()
                    return
                if pending:
                    try:
                        n = os.write(self._master, pending)
                        pending = pending[n:]
                    except BlockingIOError:
                        pass
        except Exception:
            log.exception("virtual printer %s failed", self.path)
            raise
