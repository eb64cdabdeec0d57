"""OctoPrint's push socket: ``/sockjs/websocket``, authenticated with a session.

:func:`parse_message` turns one decoded socket message into typed
:data:`PushMessage` values (pure, tested with fixtures).  :class:`PushSocket`
owns one thread that connects with ``websocket-client``, logs in (a passive
``POST /api/login`` with the API key gives ``name:session``, sent as the
``auth`` message), delivers messages to a callback, notices a dead or silent
server (a receive timeout followed by a ping that gets no answer) and
reconnects with :class:`~printers.octoprint.backoff.Backoff` until stopped.

Threads: the callbacks run on the socket's own thread; they must be quick and
must not call :meth:`PushSocket.stop`.  ``start``/``stop`` may be called from
any thread; ``stop`` joins the thread.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import websocket

from printers.octoprint.backoff import Backoff
from printers.octoprint.client import OctoPrintClient
from printers.octoprint.errors import OctoPrintError, OctoPrintProtocolError
from printers.octoprint.models import (
    PrinterFlags,
    Temperature,
    parse_flags,
    parse_temperatures,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Connected:
    """The server's greeting: its version and whether it is in safe mode."""

    version: str
    safe_mode: bool


@dataclass(frozen=True)
class Event:
    """An OctoPrint event (``PrintStarted``, ``PrintDone``, ``PrintFailed``,
    ``PrintCancelled``, ``Error``, ``Disconnected``...) and its payload."""

    type: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Current:
    """A ``current`` update: state, job file, progress, latest temperatures."""

    state_text: str
    flags: PrinterFlags
    file_path: str | None
    completion: float | None
    temperatures: dict[str, Temperature]


@dataclass(frozen=True)
class ReauthRequired:
    reason: str


PushMessage = Connected | Event | Current | ReauthRequired


def parse_message(raw: Any) -> list[PushMessage]:
    """Typed messages from one socket message (a JSON object with one or more
    keys).  Unknown kinds (``plugin``, ``timelapse``...) are skipped; a known
    kind of the wrong shape raises :class:`OctoPrintProtocolError`."""
    if not isinstance(raw, dict):
        raise OctoPrintProtocolError(f"push message is not an object: {type(raw).__name__}")
    out: list[PushMessage] = []
    for kind, body in raw.items():
        if kind == "connected" and isinstance(body, dict):
            out.append(Connected(version=str(body.get("version", "")),
                                 safe_mode=bool(body.get("safe_mode"))))
        elif kind == "event":
            if not isinstance(body, dict) or not isinstance(body.get("type"), str):
                raise OctoPrintProtocolError(f"push event of the wrong shape: {body!r:.100}")
            payload = body.get("payload")
            out.append(Event(type=body["type"],
                             payload=dict(payload) if isinstance(payload, dict) else {}))
        elif kind in ("current", "history"):
            out.append(_parse_current(body))
        elif kind == "reauthRequired":
            reason = body.get("reason", "") if isinstance(body, dict) else ""
            out.append(ReauthRequired(reason=str(reason)))
    return out


def _parse_current(body: Any) -> Current:
    if not isinstance(body, dict):
        raise OctoPrintProtocolError("push 'current' is not an object")
    state = body.get("state")
    if not isinstance(state, dict) or not isinstance(state.get("text"), str):
        raise OctoPrintProtocolError("push 'current' has no state text")
    flags = state.get("flags")
    job = body.get("job")
    file = job.get("file") if isinstance(job, dict) else None
    path = file.get("path") if isinstance(file, dict) else None
    progress = body.get("progress")
    completion = progress.get("completion") if isinstance(progress, dict) else None
    temps: dict[str, Temperature] = {}
    samples = body.get("temps")
    if isinstance(samples, list) and samples and isinstance(samples[-1], dict):
        temps = parse_temperatures({k: v for k, v in samples[-1].items() if k != "time"})
    return Current(
        state_text=state["text"],
        flags=parse_flags(flags) if isinstance(flags, dict) else PrinterFlags(),
        file_path=path if isinstance(path, str) else None,
        completion=float(completion) if isinstance(completion, int | float)
        and not isinstance(completion, bool) else None,
        temperatures=temps,
    )


def socket_url(base_url: str) -> str:
    if base_url.startswith("https://"):
        return "wss://" + base_url[len("https://"):] + "/sockjs/websocket"
    if base_url.startswith("http://"):
        return "ws://" + base_url[len("http://"):] + "/sockjs/websocket"
    raise OctoPrintProtocolError(f"not an http(s) URL: {base_url!r}")


class PushSocket:
    """A self-healing, authenticated push socket to one OctoPrint server.

    ``on_message`` gets each :data:`PushMessage`; ``on_link(up, error)`` is
    called when the socket comes up (``True, None``) or goes down (``False``
    and the :class:`OctoPrintError` why).  ``silence`` is how long the socket
    may stay quiet before a ping must bring an answer (OctoPrint sends
    ``current`` updates at least every few seconds while connected to a
    printer, and answers pings at any time).
    """

    def __init__(
        self,
        client: OctoPrintClient,
        on_message: Callable[[PushMessage], None],
        on_link: Callable[[bool, OctoPrintError | None], None] | None = None,
        *,
        silence: float = 5.0,
        throttle: int = 1,
        backoff: Backoff | None = None,
        name: str = "octoprint-push",
    ) -> None:
        self._client = client
        self._url = socket_url(client.base_url)
        self._on_message = on_message
        self._on_link = on_link or (lambda up, err: None)
        self._silence = silence
        self._throttle = throttle
        self._backoff = backoff or Backoff()
        self._stop = threading.Event()
        self._ws: websocket.WebSocket | None = None
        self._ws_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.connected = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        with self._ws_lock:
            ws = self._ws
        if ws is not None:
            try:
                ws.abort()  # type: ignore[no-untyped-call]  # wakes a blocked recv at once
            except Exception:
                log.debug("aborting the push socket failed", exc_info=True)
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    # ----------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            error: OctoPrintError | None = None
            try:
                self._session()
            except OctoPrintError as exc:
                error = exc
            except (websocket.WebSocketException, OSError, ValueError) as exc:
                error = _socket_error(exc, self._url)
            if self._stop.is_set():
                break
            was_up = self.connected.is_set()
            self.connected.clear()
            if was_up:
                self._backoff.reset()
            err = error or OctoPrintError("push socket closed", url=self._url)
            self._safe_link(False, err)
            delay = self._backoff.next_delay()
            log.info("push socket to %s down (%s); retrying in %.1f s", self._url, err, delay)
            self._stop.wait(delay)
        self.connected.clear()

    def _session(self) -> None:
        login = self._client.session_login()  # typed errors propagate
        timeout = self._client.timeouts.connect + self._client.timeouts.call
        ws = websocket.create_connection(self._url, timeout=timeout,
                                         header={"User-Agent": "Layerline"})
        with self._ws_lock:
            self._ws = ws
        try:
            if self._stop.is_set():
                return
            ws.send(json.dumps({"auth": f"{login.name}:{login.session}"}))
            ws.send(json.dumps({"throttle": self._throttle}))
            ws.settimeout(self._silence)
            self.connected.set()
            self._backoff.reset()
            self._safe_link(True, None)
            pinged_at: float | None = None
            while not self._stop.is_set():
                try:
                    opcode, data = ws.recv_data(control_frame=True)
                except websocket.WebSocketTimeoutException:
                    if pinged_at is not None:
                        raise OctoPrintError(
                            f"push socket silent for {2 * self._silence:g} s", url=self._url
                        ) from None
                    ws.ping()
                    pinged_at = time.monotonic()
                    continue
                pinged_at = None
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    raise OctoPrintError("the server closed the push socket", url=self._url)
                if opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
                    self._deliver(data)
        finally:
            with self._ws_lock:
                self._ws = None
            try:
                ws.abort()  # type: ignore[no-untyped-call]
                ws.close(timeout=0.5)
            except Exception:
                log.debug("closing the push socket failed", exc_info=True)

    def _deliver(self, data: bytes) -> None:
        try:
            messages = parse_message(json.loads(data))
        except (ValueError, OctoPrintProtocolError) as exc:
            log.warning("ignoring a malformed push message from %s: %s", self._url, exc)
            return
        for msg in messages:
            if isinstance(msg, ReauthRequired):
                raise OctoPrintError(f"push socket needs a new login ({msg.reason})",
                                     url=self._url)
            try:
                self._on_message(msg)
            except Exception:
                log.exception("push message listener failed")

    def _safe_link(self, up: bool, error: OctoPrintError | None) -> None:
        try:
            self._on_link(up, error)
        except Exception:
            log.exception("push link listener failed")


def _socket_error(exc: BaseException, url: str) -> OctoPrintError:
    from printers.octoprint.errors import OctoPrintTimeoutError, OctoPrintUnreachableError

    if isinstance(exc, websocket.WebSocketTimeoutException | TimeoutError):
        return OctoPrintTimeoutError(f"push socket: {exc or 'timed out'}", url=url)
    if isinstance(exc, websocket.WebSocketBadStatusException):
        return OctoPrintProtocolError(f"push socket refused: {exc}", url=url)
    return OctoPrintUnreachableError(f"push socket: {type(exc).__name__}: {exc}", url=url)
