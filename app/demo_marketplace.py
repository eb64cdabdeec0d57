"""The demo's marketplace: the project's own service on loopback.

With ``--demo`` the app starts ``python -m marketplace serve --seed-demo`` as a
child process on 127.0.0.1 with its storage inside the demo base directory,
so that a newcomer can try the whole flow with nothing else installed.  The
process is started and awaited on a worker thread (never the GUI thread) and
stopped at shutdown.  Qt-free.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

PREFERRED_PORT = 8765


def _free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise OSError("no free port on 127.0.0.1")


class DemoMarketplace:
    """A marketplace service process for the demo base directory."""

    def __init__(self, storage: Path, log_dir: Path, *, port: int = PREFERRED_PORT) -> None:
        self.storage = storage
        self.log_dir = log_dir
        self._preferred = port
        self.url: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.ready = threading.Event()
        self.error: str | None = None

    def start(self, on_ready: Callable[[str | None, str | None], None] | None = None) -> None:
        """Start in the background; ``on_ready(url, error)`` is called on the
        worker thread once the service answers (or failed to start)."""
        def run() -> None:
            try:
                self._start_and_wait()
            except Exception as exc:  # reported, never raised into the app
                self.error = f"the demo marketplace did not start: {exc}"
                log.warning("%s", self.error)
            finally:
                self.ready.set()
            if on_ready is not None:
                on_ready(self.url, self.error)

        self._thread = threading.Thread(target=run, name="demo-marketplace", daemon=True)
        self._thread.start()

    def _start_and_wait(self, timeout: float = 60.0) -> None:
        import httpx

        self.storage.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        port = _free_port(self._preferred)
        url = f"http://127.0.0.1:{port}"
        cmd = [sys.executable, "-m", "marketplace", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--storage", str(self.storage), "--seed-demo"]
        logfile = (self.log_dir / "demo-marketplace.log").open("ab")
        try:
            self._proc = subprocess.Popen(cmd, stdout=logfile, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL)
        finally:
            logfile.close()
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2, trust_env=False) as http:
            while not self._stopping.is_set():
                if self._proc.poll() is not None:
                    raise RuntimeError(f"it exited with code {self._proc.returncode} "
                                       f"(see {self.log_dir / 'demo-marketplace.log'})")
                try:
                    if http.get(url + "/api/v1/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no answer from {url} within {timeout:.0f} s")
                self._stopping.wait(0.2)
        self.url = url
        log.info("demo marketplace at %s", url, extra={"event": "demo-marketplace-ready"})

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=70)
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.info("demo marketplace stopped")
