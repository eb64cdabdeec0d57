"""A real OctoPrint 1.11 server for the tests, with its virtual printer.

:func:`ensure_octoprint` installs OctoPrint ``>=1.11,<1.12`` from PyPI into its
own virtual environment under the project's ignored ``.cache/octoprint-venv``
(once: a marker file records a finished install, and a broken or missing
environment is rebuilt).  :class:`OctoPrintServer` writes a base directory that
skips every first-run wizard and every network call, adds an admin user and a
known application key, and runs ``octoprint serve`` on a free loopback port.
It can be stopped and started again on the same port and base directory (the
"server went away" tests).

Nothing here is pytest-specific; ``tests/printers/octoprint/conftest.py`` makes
the session fixture.  Set ``LAYERLINE_OCTOPRINT_VENV`` to use another
environment.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("LAYERLINE_OCTOPRINT_VENV", ROOT / ".cache" / "octoprint-venv"))
REQUIREMENT = "OctoPrint>=1.11,<1.12"
_MARKER = ".layerline-octoprint-installed"

ADMIN_USER = "admin"
ADMIN_PASSWORD = "layerline-test-password"  # a throwaway server on loopback
APP_ID = "layerline-tests"


class OctoPrintSetupError(RuntimeError):
    """OctoPrint could not be installed or started."""


def _bin(name: str) -> Path:
    return VENV / "bin" / name


def ensure_octoprint() -> Path:
    """Install OctoPrint into :data:`VENV` unless it is already there; return
    the ``octoprint`` executable.  Raises :class:`OctoPrintSetupError` with the
    installer's output when the install fails."""
    exe = _bin("octoprint")
    marker = VENV / _MARKER
    if marker.is_file() and exe.is_file() and _bin("python").is_file():
        return exe
    if VENV.exists():
        shutil.rmtree(VENV)
    VENV.parent.mkdir(parents=True, exist_ok=True)
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    except Exception as exc:
        raise OctoPrintSetupError(f"could not create {VENV}: {exc}") from exc
    cmd = [str(_bin("python")), "-m", "pip", "install", "--disable-pip-version-check",
           "-q", REQUIREMENT]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200, check=False)
    if proc.returncode != 0 or not exe.is_file():
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise OctoPrintSetupError(
            f"installing {REQUIREMENT} into {VENV} failed (exit {proc.returncode}):\n{tail}"
        )
    marker.write_text(REQUIREMENT + "\n", encoding="utf-8")
    return exe


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _config(port: int) -> dict[str, object]:
    """config.yaml (written as JSON, which YAML reads): no first run, no
    wizards, no network, a fast virtual printer without simulated errors."""
    return {
        "server": {
            "firstRun": False,
            "host": "127.0.0.1",
            "port": port,
            # The versions OctoPrint 1.11's wizard plugins report
            # (plugins/corewizard: 4, classicwebcam: 1, softwareupdate: 1;
            # tracking and backup have none).
            "seenWizards": {
                "corewizard": 4,
                "classicwebcam": 1,
                "softwareupdate": 1,
                "tracking": None,
                "backup": None,
            },
            "onlineCheck": {"enabled": False},
            "pluginBlacklist": {"enabled": False},
            "commands": {
                "serverRestartCommand": "",
                "systemRestartCommand": "",
                "systemShutdownCommand": "",
            },
        },
        "plugins": {
            # Everything that would phone home (or multicast) is switched off.
            "_disabled": [
                "announcements", "softwareupdate", "tracking", "pluginmanager",
                "errortracking", "discovery", "achievements", "pi_support",
                "firmware_check", "file_check", "health_check",
            ],
            "tracking": {"enabled": False},
            "virtual_printer": {
                "enabled": True,
                "simulated_errors": [],
                "throttle": 0.0,
                "waitInterval": 0.5,
                "sendBusy": False,
                "simulateReset": True,
            },
        },
        "serial": {"autoconnect": False, "log": False},
        "gcodeAnalysis": {"runAt": "never"},
        "webcam": {"webcamEnabled": False},
        "temperature": {"cutoff": 1},
    }


class OctoPrintServer:
    """A real OctoPrint process on 127.0.0.1 with a known admin and API key."""

    def __init__(self, basedir: Path, port: int | None = None) -> None:
        self.basedir = basedir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_key = secrets.token_hex(16).upper()
        self.username = ADMIN_USER
        self.password = ADMIN_PASSWORD
        self.log_path = basedir / "serve.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._exe = ensure_octoprint()
        self._prepare()

    def _octoprint(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self._exe), "--basedir", str(self.basedir), *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)

    def _prepare(self) -> None:
        self.basedir.mkdir(parents=True, exist_ok=True)
        (self.basedir / "config.yaml").write_text(json.dumps(self._config()), encoding="utf-8")
        proc = self._octoprint("user", "add", self.username, "--password", self.password,
                               "--admin")
        if proc.returncode != 0:
            raise OctoPrintSetupError(f"octoprint user add failed:\n{proc.stdout}{proc.stderr}")
        keys = self.basedir / "data" / "appkeys" / "keys.yaml"
        keys.parent.mkdir(parents=True, exist_ok=True)
        keys.write_text(json.dumps({self.username: [{"app_id": APP_ID,
                                                     "api_key": self.api_key}]}),
                        encoding="utf-8")

    def _config(self) -> dict[str, object]:
        return _config(self.port)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self, timeout: float = 90.0) -> None:
        """Start ``octoprint serve`` and wait until it answers ``/api/version``."""
        if self.running:
            return
        cmd = [str(self._exe), "--basedir", str(self.basedir), "serve", "--host", "127.0.0.1",
               "--port", str(self.port), "--iknowwhatimdoing"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("LAYERLINE_")}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                          start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise OctoPrintSetupError(
                    f"octoprint serve exited with {self._proc.returncode}:\n{self.log_tail()}"
                )
            try:
                r = httpx.get(f"{self.url}/api/version", headers={"X-Api-Key": self.api_key},
                              timeout=2.0)
            except httpx.HTTPError:
                time.sleep(0.2)
                continue
            if r.status_code == 200:
                return
            time.sleep(0.2)
        self.stop()
        raise OctoPrintSetupError(f"OctoPrint did not answer within {timeout} s:\n"
                                  f"{self.log_tail()}")

    def stop(self, kill: bool = False) -> None:
        """Stop the server (``kill``: SIGKILL at once, like a crash or a power cut)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


if __name__ == "__main__":  # manual use: python -m tests.helpers.octoprint_server DIR
    import tempfile

    base = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    server = OctoPrintServer(base)
    t0 = time.monotonic()
    server.start()
    print(f"{server.url} api key {server.api_key} (up in {time.monotonic() - t0:.1f} s)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so that finally runs
    try:
        signal.pause()
    finally:
        server.stop()
