"""A small, strict OctoPrint REST client on httpx.

Every call has an explicit deadline (:class:`Timeouts`): a silent server gives
:class:`~printers.octoprint.errors.OctoPrintTimeoutError`, a closed port or a reset
connection :class:`~printers.octoprint.errors.OctoPrintUnreachableError`, an HTTP
error status its own typed error, and a body that is not the JSON OctoPrint
sends :class:`~printers.octoprint.errors.OctoPrintProtocolError`.  Nothing here
retries: the caller (or :class:`~printers.octoprint.watch.JobWatcher`) decides,
using :attr:`OctoPrintError.transient` and :class:`~printers.octoprint.backoff.
Backoff`.

Threads: an :class:`OctoPrintClient` may be used from several threads at once.
It keeps no mutable state of its own; httpx's connection pool is locked.  It
never stores cookies (authentication is by ``X-Api-Key`` only), so calls from
different threads cannot disturb each other.  Close it once, when no call is
running.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import json
import logging
import time
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from printers.octoprint import models
from printers.octoprint.errors import (
    NoCameraError,
    OctoPrintAuthError,
    OctoPrintConflictError,
    OctoPrintError,
    OctoPrintNotFoundError,
    OctoPrintProtocolError,
    OctoPrintServerError,
    OctoPrintTimeoutError,
    OctoPrintUnreachableError,
)
from printers.octoprint.shapes import obj

log = logging.getLogger(__name__)

MAX_BODY = 32 * 1024 * 1024  # a snapshot or a JSON answer; more is not OctoPrint


@dataclass(frozen=True)
class Timeouts:
    """Deadlines in seconds.  ``connect`` bounds opening the TCP connection;
    ``call`` bounds the rest of an ordinary call (sending, waiting for the
    answer, and reading the whole body, however slowly it trickles), so one
    call never lasts much more than ``connect + call``; ``upload`` takes the
    place of ``call`` for uploads."""

    connect: float = 5.0
    call: float = 10.0
    upload: float = 120.0


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    url: str


class _RejectCookies(http.cookiejar.DefaultCookiePolicy):
    """Keep no cookie: API-key requests must not grow a session that another
    thread's call would then carry."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: urllib.request.Request) -> bool:
        return False


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class OctoPrintClient:
    """One OctoPrint server, authenticated with an API key.

    ``base_url`` is the server's root (``http://host:port`` or with a path
    prefix behind a reverse proxy).  ``api_key`` may be None for the calls
    that need none (``version`` on some servers, the app-keys workflow).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeouts: Timeouts | None = None,
        user_agent: str = "Layerline",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise OctoPrintError(f"not an http(s) URL: {base_url!r}", url=base_url)
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts or Timeouts()
        self._api_key = api_key
        headers = {"User-Agent": user_agent, "Accept": "application/json"}
        self._http = httpx.Client(
            headers=headers, cookies=http.cookiejar.CookieJar(policy=_RejectCookies()),
            follow_redirects=False, transport=transport,
            timeout=httpx.Timeout(self.timeouts.call, connect=self.timeouts.connect),
        )

    def __repr__(self) -> str:  # never the key
        return f"OctoPrintClient({self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OctoPrintClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def has_key(self) -> bool:
        return bool(self._api_key)

    # ------------------------------------------------------------ transport --
    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, Any] | None = None,
        deadline: float | None = None,
        ok: Iterable[int] = (200, 201, 202, 204),
    ) -> Reply:
        """One HTTP call with a hard overall deadline; error statuses raise."""
        url = self.base_url + path
        total = deadline if deadline is not None else self.timeouts.call
        timeout = httpx.Timeout(total, connect=min(self.timeouts.connect, total))
        headers = {"X-Api-Key": self._api_key} if self._api_key else {}
        end = time.monotonic() + total
        try:
            with self._http.stream(
                method, url, json=json_body, params=params, data=data, files=files,
                headers=headers, timeout=timeout,
            ) as resp:
                chunks: list[bytes] = []
                size = 0
                for chunk in resp.iter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > MAX_BODY:
                        raise OctoPrintProtocolError(
                            f"answer larger than {MAX_BODY} bytes", url=url, status=resp.status_code
                        )
                    if time.monotonic() > end:
                        raise OctoPrintTimeoutError(
                            f"{method} {path}: no complete answer within {total:g} s", url=url
                        )
                reply = Reply(resp.status_code, resp.headers.get("content-type", ""),
                              b"".join(chunks), url)
        except httpx.TimeoutException as exc:
            raise OctoPrintTimeoutError(
                f"{method} {path}: no answer within {total:g} s ({type(exc).__name__})", url=url
            ) from exc
        except (httpx.TransportError, OSError) as exc:
            raise OctoPrintUnreachableError(
                f"{method} {path}: {type(exc).__name__}: {exc or 'connection failed'}", url=url
            ) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # anything else httpx raises
            raise OctoPrintError(f"{method} {path}: {exc}", url=url) from exc
        if reply.status not in set(ok):
            raise _status_error(method, path, reply)
        return reply

    def get_json(self, path: str, *, params: Mapping[str, str] | None = None) -> Any:
        return decode_json(self.request("GET", path, params=params))

    def post_json(self, path: str, body: Any, *, deadline: float | None = None) -> Any:
        reply = self.request("POST", path, json_body=body, deadline=deadline)
        return decode_json(reply) if reply.body.strip() else None

    # --------------------------------------------------------------- server --
    def version(self) -> models.ServerVersion:
        """``GET /api/version``; checks the key too (the endpoint needs one)."""
        return models.parse_version(self.get_json("/api/version"), self.base_url)

    def server(self) -> dict[str, Any]:
        """``GET /api/server``: ``version`` and ``safemode``."""
        return dict(obj(self.get_json("/api/server"), "server", self.base_url))

    def check(self, minimum: tuple[int, ...] = (1, 5)) -> models.ServerVersion:
        """The version, raising :class:`OctoPrintUnsupportedError` below ``minimum``."""
        from printers.octoprint.errors import OctoPrintUnsupportedError

        v = self.version()
        if v.version_tuple and v.version_tuple < minimum:
            raise OctoPrintUnsupportedError(
                f"OctoPrint {v.server} is too old (need {'.'.join(map(str, minimum))}+)",
                url=self.base_url,
            )
        return v

    def session_login(self) -> models.SessionLogin:
        """A passive login with the API key: the user name and session id the
        push socket authenticates with."""
        data = self.post_json("/api/login", {"passive": True})
        return models.parse_login(data, self.base_url)

    # ----------------------------------------------------------- connection --
    def connection(self) -> models.ConnectionInfo:
        return models.parse_connection(self.get_json("/api/connection"), self.base_url)

    def ports(self) -> tuple[str, ...]:
        return self.connection().ports

    def connect(
        self, port: str | None = None, baudrate: int | None = None,
        printer_profile: str | None = None,
    ) -> None:
        """Ask the server to open its serial connection (returns at once; wait
        for the state with :meth:`connection`/:meth:`printer`)."""
        body: dict[str, Any] = {"command": "connect", "autoconnect": False}
        if port:
            body["port"] = port
        if baudrate:
            body["baudrate"] = baudrate
        if printer_profile:
            body["printerProfile"] = printer_profile
        self.post_json("/api/connection", body)

    def disconnect(self) -> None:
        self.post_json("/api/connection", {"command": "disconnect"})

    # ---------------------------------------------------------------- state --
    def printer(self) -> models.PrinterState:
        """State and temperatures.  A disconnected printer is reported as a
        state (``text='Closed'``), not an error: OctoPrint's 409 is mapped."""
        try:
            data = self.get_json("/api/printer")
        except OctoPrintConflictError:
            conn = self.connection()
            return models.PrinterState(
                text=conn.state, flags=models.PrinterFlags(closed_or_error=True)
            )
        return models.parse_printer(data, self.base_url)

    def job(self) -> models.JobState:
        return models.parse_job(self.get_json("/api/job"), self.base_url)

    def file_info(self, path: str, origin: str = "local") -> models.FileInfo:
        return models.parse_file(
            self.get_json(f"/api/files/{origin}/{quote(path)}"), self.base_url
        )

    # ----------------------------------------------------------------- jobs --
    def upload(
        self,
        file: Path,
        *,
        remote_path: str | None = None,
        origin: str = "local",
        select: bool = False,
        start: bool = False,
    ) -> models.UploadResult:
        """Upload ``file`` (as ``remote_path``, default its name); optionally
        select it and start printing.  The selection is verified against the
        job state: when the server did not select (printer not operational, or
        it ignored the flag) :class:`OctoPrintConflictError` is raised, with the
        file uploaded all the same (its path is in the message)."""
        name = remote_path or file.name
        digest = sha256_file(file)
        size = file.stat().st_size
        directory, _, leaf = name.rpartition("/")
        form: dict[str, str] = {"select": _flag(select or start), "print": _flag(start)}
        if directory:
            form["path"] = directory
        with file.open("rb") as fh:
            reply = self.request(
                "POST", f"/api/files/{origin}", data=form,
                files={"file": (leaf, fh, "application/octet-stream")},
                deadline=self.timeouts.upload,
            )
        data = obj(decode_json(reply), "upload", self.base_url)
        files = obj(data.get("files"), "upload.files", self.base_url)
        entry = obj(files.get(origin), f"upload.files.{origin}", self.base_url)
        path = entry.get("path")
        if not isinstance(path, str):
            raise OctoPrintProtocolError("upload: no path in the answer", url=self.base_url)
        selected = printing = False
        if select or start:
            job = self.job()
            selected = job.file_path == path and job.origin == origin
            printing = selected and job.active
            if not selected or (start and not printing and not _effective(data, "print")):
                raise OctoPrintConflictError(
                    f"uploaded {path!r} but the server did not "
                    f"{'start' if start else 'select'} it (job state {job.state!r})",
                    url=self.base_url,
                )
            printing = printing or start
        log.info("uploaded %s to %s as %s (sha256 %s)", file.name, self.base_url, path,
                 digest[:12])
        return models.UploadResult(path=path, origin=origin, sha256=digest, size=size,
                                   selected=selected, printing=printing)

    def select(self, path: str, *, origin: str = "local", start: bool = False) -> None:
        self.post_json(f"/api/files/{origin}/{quote(path)}",
                       {"command": "select", "print": start})

    def delete_file(self, path: str, origin: str = "local") -> None:
        self.request("DELETE", f"/api/files/{origin}/{quote(path)}")

    def start(self) -> None:
        self.post_json("/api/job", {"command": "start"})

    def pause(self) -> None:
        self.post_json("/api/job", {"command": "pause", "action": "pause"})

    def resume(self) -> None:
        self.post_json("/api/job", {"command": "pause", "action": "resume"})

    def cancel(self) -> None:
        self.post_json("/api/job", {"command": "cancel"})

    def send_gcode(self, *commands: str) -> None:
        """Send raw commands to the printer (``POST /api/printer/command``)."""
        self.post_json("/api/printer/command", {"commands": list(commands)})

    # --------------------------------------------------------------- camera --
    def snapshot(self) -> models.Snapshot:
        """A still from the server's snapshot webcam.  :class:`NoCameraError` when
        none is configured (or the webcam is disabled)."""
        settings = obj(self.get_json("/api/settings"), "settings", self.base_url)
        if "webcam" not in settings:
            raise OctoPrintProtocolError("settings: missing field 'webcam'", url=self.base_url)
        webcam = obj(settings["webcam"], "settings.webcam", self.base_url)
        if not webcam or webcam.get("webcamEnabled") is False:
            raise NoCameraError("this OctoPrint has no webcam enabled", url=self.base_url)
        if not webcam.get("snapshotWebcam") and not webcam.get("snapshotUrl"):
            raise NoCameraError("this OctoPrint has no snapshot webcam configured",
                                url=self.base_url)
        try:
            reply = self.request("GET", "/downloads/camera/current")
        except OctoPrintNotFoundError as exc:
            raise NoCameraError("this OctoPrint has no snapshot webcam", url=self.base_url) from exc
        ctype = reply.content_type.split(";")[0].strip()
        if not ctype.startswith("image/") or not reply.body:
            raise OctoPrintProtocolError(f"snapshot: not an image ({ctype or 'no type'})",
                                         url=reply.url)
        return models.Snapshot(content_type=ctype, data=reply.body)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _effective(data: Mapping[str, Any], key: str) -> bool:
    name = "effective" + key.capitalize()
    return data.get(name) is True


def decode_json(reply: Reply) -> Any:
    try:
        return json.loads(reply.body)
    except (ValueError, UnicodeDecodeError) as exc:
        snippet = reply.body[:80].decode("utf-8", "replace")
        raise OctoPrintProtocolError(
            f"not JSON (HTTP {reply.status}, {reply.content_type or 'no type'}): {snippet!r}",
            url=reply.url, status=reply.status,
        ) from exc


def _status_error(method: str, path: str, reply: Reply) -> OctoPrintError:
    detail = ""
    try:
        data = json.loads(reply.body)
        if isinstance(data, dict):
            detail = str(data.get("error") or data.get("description") or "")
    except (ValueError, UnicodeDecodeError):
        detail = reply.body[:200].decode("utf-8", "replace").strip()
    msg = f"{method} {path}: HTTP {reply.status}" + (f": {detail}" if detail else "")
    kind: type[OctoPrintError]
    if reply.status in (401, 403):
        kind = OctoPrintAuthError
    elif reply.status == 404:
        kind = OctoPrintNotFoundError
    elif reply.status == 409:
        kind = OctoPrintConflictError
    else:
        kind = OctoPrintServerError
    return kind(msg, url=reply.url, status=reply.status)
