"""A small HTTP fault proxy on 127.0.0.1, in front of a real service.

Each request is forwarded to ``upstream`` unless a fault picked for it (from a
seeded RNG, see :class:`Faults`) says otherwise:

- ``error_500``: answered 500 without forwarding (nothing happened upstream);
- ``stall_before``: held past the client's timeout, never forwarded;
- ``drop_after``: forwarded (the service commits), then the connection is
  closed without an answer: the client cannot know it arrived;
- ``stall_after``: forwarded, then held past the client's timeout.

:meth:`FaultProxy.stop` / :meth:`start` take it down and back up on the same
port (the service "down").  ``on_committed(method, path, key)`` is called
after the upstream answered and before the answer is written back (the kill
test kills the sending process there).  ``requests`` records every request:
``(method, path, idempotency key, fault, upstream status or None)``.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

FAULTS = ("error_500", "stall_before", "drop_after", "stall_after")
_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
        "proxy-authorization", "proxy-authenticate", "host", "content-length"}


@dataclass
class Faults:
    """Probabilities of each fault, per request (tried in order)."""

    error_500: float = 0.0
    stall_before: float = 0.0
    drop_after: float = 0.0
    stall_after: float = 0.0
    seed: int = 0
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def pick(self) -> str | None:
        roll = self.rng.random()
        for name in FAULTS:
            p = getattr(self, name)
            if roll < p:
                return name
            roll -= p
        return None


Record = tuple[str, str, str | None, str | None, int | None]


class FaultProxy:
    def __init__(self, upstream: str, *, faults: Faults | None = None,
                 stall_seconds: float = 2.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.faults = faults or Faults()
        self.stall_seconds = stall_seconds
        self.requests: list[Record] = []
        self.on_committed: Callable[[str, str, str | None], None] | None = None
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self._http = httpx.Client(base_url=self.upstream, timeout=120, trust_env=False)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                key = self.headers.get("Idempotency-Key")
                with proxy._lock:
                    fault = proxy.faults.pick() if self.command != "GET" else None
                if fault == "error_500":
                    proxy._record(self.command, self.path, key, fault, None)
                    data = b'{"title": "Internal Server Error", "status": 500}'
                    self.send_response(500)
                    self.send_header("Content-Type", "application/problem+json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if fault == "stall_before":
                    proxy._record(self.command, self.path, key, fault, None)
                    proxy._halt.wait(proxy.stall_seconds)
                    self._abort()
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                answer = proxy._http.request(self.command, self.path, headers=headers,
                                             content=body)
                proxy._record(self.command, self.path, key, fault, answer.status_code)
                if proxy.on_committed is not None and answer.status_code < 300:
                    proxy.on_committed(self.command, self.path, key)
                if fault == "drop_after":
                    self._abort()
                    return
                if fault == "stall_after":
                    proxy._halt.wait(proxy.stall_seconds)
                    self._abort()
                    return
                try:
                    self.send_response(answer.status_code)
                    for k, v in answer.headers.items():
                        if k.lower() not in _HOP and k.lower() != "content-encoding":
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(answer.content)))
                    self.end_headers()
                    self.wfile.write(answer.content)
                except OSError:  # the client is gone (killed, or gave up waiting)
                    self.close_connection = True

            def _abort(self) -> None:
                # RST rather than FIN: the client sees the connection dropped.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.close_connection = True

            def do_GET(self) -> None:
                self._any()

            def do_POST(self) -> None:
                self._any()

            def do_PUT(self) -> None:
                self._any()

            def do_PATCH(self) -> None:
                self._any()

            def do_DELETE(self) -> None:
                self._any()

        return H

    def _record(self, method: str, path: str, key: str | None, fault: str | None,
                status: int | None) -> None:
        with self._lock:
            self.requests.append((method, path, key, fault, status))

    def start(self) -> FaultProxy:
        self._halt.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Down: no longer listening (connections are refused)."""
        self._halt.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=30)

    def close(self) -> None:
        self.stop()
        self._http.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
