"""A scriptable HTTP server on 127.0.0.1 for client tests.

Each route is ``(METHOD, path) -> handler(request) -> Reply``; every request
is recorded (method, path, headers, body).  A handler may also ``stall`` (wait
on the server's halt event, which :meth:`LoopbackServer.stop` sets) or ask
for the connection to be dropped without an answer.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    stall: float = 0.0

    @classmethod
    def json(cls, status: int, obj: Any, content_type: str = "application/json") -> Reply:
        return cls(status, json.dumps(obj).encode(), {"Content-Type": content_type})


Handler = Callable[[Request], Reply]


class LoopbackServer:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.requests: list[Request] = []
        self.halt = threading.Event()
        server = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                req = Request(self.command, parts.path, parse_qs(parts.query),
                              {k.lower(): v for k, v in self.headers.items()},
                              self.rfile.read(length))
                server.requests.append(req)
                handler = server.routes.get((self.command, parts.path))
                reply = handler(req) if handler else Reply.json(
                    404, {"title": "Not Found", "status": 404}, "application/problem+json")
                if reply.stall:
                    server.halt.wait(reply.stall)
                if reply.drop:
                    self.close_connection = True
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                body = reply.body if isinstance(reply.body, bytes) else \
                    json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    self.close_connection = True

            def do_GET(self) -> None:
                self._any()

            def do_POST(self) -> None:
                self._any()

            def do_DELETE(self) -> None:
                self._any()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def route(self, method: str, path: str, handler: Handler) -> None:
        self.routes[(method, path)] = handler

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.halt.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
