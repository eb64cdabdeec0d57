"""Typed views of what an OctoPrint server reports, parsed strictly.

Each ``parse_*`` takes decoded JSON and returns a frozen dataclass, or raises
:class:`~printers.octoprint.errors.OctoPrintProtocolError`.  These are the
values the rest of Layerline sees; nothing outside this package reads
OctoPrint's JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from printers.octoprint.shapes import JSONObject, number, obj, opt
from printers.octoprint.shapes import field as req


@dataclass(frozen=True)
class ServerVersion:
    api: str
    server: str
    text: str

    @property
    def version_tuple(self) -> tuple[int, ...]:
        """``"1.11.4"`` → ``(1, 11, 4)``; ``"1.11.0rc2"`` → ``(1, 11, 0)``."""
        match = re.match(r"\d+(?:\.\d+)*", self.server)
        return tuple(int(p) for p in match.group(0).split(".")) if match else ()


@dataclass(frozen=True)
class ConnectionInfo:
    """``GET /api/connection``: the current connection and the choices."""

    state: str
    port: str | None
    baudrate: int | None
    printer_profile: str | None
    ports: tuple[str, ...]
    baudrates: tuple[int, ...]

    @property
    def connected(self) -> bool:
        return not self.state.startswith(("Closed", "Offline", "Error", "Unknown"))


@dataclass(frozen=True)
class Temperature:
    actual: float | None
    target: float | None


@dataclass(frozen=True)
class PrinterFlags:
    operational: bool = False
    printing: bool = False
    paused: bool = False
    pausing: bool = False
    cancelling: bool = False
    ready: bool = False
    error: bool = False
    closed_or_error: bool = False


@dataclass(frozen=True)
class PrinterState:
    """``GET /api/printer``: state text, flags and temperatures per heater
    (``tool0``, ``bed``, ``chamber``...)."""

    text: str
    flags: PrinterFlags
    temperatures: dict[str, Temperature] = field(default_factory=dict)
    error: str = ""


@dataclass(frozen=True)
class JobState:
    """``GET /api/job``: the selected file and the progress."""

    state: str
    file_path: str | None
    file_name: str | None
    origin: str | None
    size: int | None
    completion: float | None  # percent, 0..100
    print_time: float | None  # seconds
    print_time_left: float | None
    error: str = ""

    @property
    def active(self) -> bool:
        """Printing, paused, pausing, resuming, cancelling or starting."""
        s = self.state.lower()
        return any(w in s for w in ("printing", "paus", "cancel", "resum", "starting"))


@dataclass(frozen=True)
class LastPrint:
    success: bool
    date: float | None  # epoch seconds


@dataclass(frozen=True)
class FileInfo:
    """``GET /api/files/<origin>/<path>``."""

    path: str
    name: str
    origin: str
    size: int | None
    successes: int
    failures: int
    last: LastPrint | None
    hash: str | None = None


@dataclass(frozen=True)
class UploadResult:
    """What an upload did; ``selected`` and ``printing`` are verified against
    the job state, not taken on the server's word."""

    path: str
    origin: str
    sha256: str
    size: int
    selected: bool
    printing: bool


@dataclass(frozen=True)
class Snapshot:
    content_type: str
    data: bytes


@dataclass(frozen=True)
class SessionLogin:
    """A session for the push socket (``POST /api/login`` with ``passive``)."""

    name: str
    session: str


def parse_version(data: Any, url: str = "") -> ServerVersion:
    d = obj(data, "version", url)
    return ServerVersion(
        api=req(d, "api", str, "version", url),
        server=req(d, "server", str, "version", url),
        text=opt(d, "text", str, "version", url) or "",
    )


def parse_connection(data: Any, url: str = "") -> ConnectionInfo:
    d = obj(data, "connection", url)
    cur = req(d, "current", dict, "connection", url)
    opts = req(d, "options", dict, "connection", url)
    ports = opt(opts, "ports", list, "connection.options", url) or []
    bauds = opt(opts, "baudrates", list, "connection.options", url) or []
    baud = cur.get("baudrate")
    return ConnectionInfo(
        state=req(cur, "state", str, "connection.current", url),
        port=opt(cur, "port", str, "connection.current", url),
        baudrate=baud if isinstance(baud, int) and not isinstance(baud, bool) else None,
        printer_profile=opt(cur, "printerProfile", str, "connection.current", url),
        ports=tuple(str(p) for p in ports if isinstance(p, str)),
        baudrates=tuple(b for b in bauds if isinstance(b, int) and not isinstance(b, bool)),
    )


def parse_temperatures(data: JSONObject, url: str = "") -> dict[str, Temperature]:
    temps: dict[str, Temperature] = {}
    for name, value in data.items():
        if name == "history" or not isinstance(value, dict):
            continue
        temps[str(name)] = Temperature(
            actual=number(value, "actual", f"temperature.{name}", url),
            target=number(value, "target", f"temperature.{name}", url),
        )
    return temps


def parse_flags(data: JSONObject) -> PrinterFlags:
    def flag(key: str) -> bool:
        return data.get(key) is True

    return PrinterFlags(
        operational=flag("operational"), printing=flag("printing"), paused=flag("paused"),
        pausing=flag("pausing"), cancelling=flag("cancelling"), ready=flag("ready"),
        error=flag("error"), closed_or_error=flag("closedOrError"),
    )


def parse_printer(data: Any, url: str = "") -> PrinterState:
    d = obj(data, "printer", url)
    state = req(d, "state", dict, "printer", url)
    temps = opt(d, "temperature", dict, "printer", url) or {}
    return PrinterState(
        text=req(state, "text", str, "printer.state", url),
        flags=parse_flags(req(state, "flags", dict, "printer.state", url)),
        temperatures=parse_temperatures(temps, url),
        error=opt(state, "error", str, "printer.state", url) or "",
    )


def parse_job(data: Any, url: str = "") -> JobState:
    d = obj(data, "job", url)
    job = req(d, "job", dict, "job", url)
    file = opt(job, "file", dict, "job.job", url) or {}
    progress = opt(d, "progress", dict, "job", url) or {}
    size = file.get("size")
    return JobState(
        state=req(d, "state", str, "job", url),
        file_path=opt(file, "path", str, "job.job.file", url),
        file_name=opt(file, "name", str, "job.job.file", url),
        origin=opt(file, "origin", str, "job.job.file", url),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        completion=number(progress, "completion", "job.progress", url),
        print_time=number(progress, "printTime", "job.progress", url),
        print_time_left=number(progress, "printTimeLeft", "job.progress", url),
        error=opt(d, "error", str, "job", url) or "",
    )


def parse_file(data: Any, url: str = "") -> FileInfo:
    d = obj(data, "file", url)
    prints = opt(d, "prints", dict, "file", url) or {}
    last_raw = opt(prints, "last", dict, "file.prints", url)
    last = None
    if last_raw is not None:
        last = LastPrint(
            success=req(last_raw, "success", bool, "file.prints.last", url),
            date=number(last_raw, "date", "file.prints.last", url),
        )
    size = d.get("size")
    succ = prints.get("success", 0)
    fail = prints.get("failure", 0)
    return FileInfo(
        path=req(d, "path", str, "file", url),
        name=req(d, "name", str, "file", url),
        origin=req(d, "origin", str, "file", url),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        successes=succ if isinstance(succ, int) else 0,
        failures=fail if isinstance(fail, int) else 0,
        last=last,
        hash=opt(d, "hash", str, "file", url),
    )


def parse_login(data: Any, url: str = "") -> SessionLogin:
    d = obj(data, "login", url)
    return SessionLogin(
        name=req(d, "name", str, "login", url),
        session=req(d, "session", str, "login", url),
    )
