"""Small hostile HTTP servers on 127.0.0.1, for the OctoPrint client's tests.

``HostileServer(mode)`` listens on a free loopback port and treats every
request according to ``mode``:

- ``hang``: accepts, reads the request, never answers;
- ``status500``: answers ``500 Internal Server Error`` with an HTML body;
- ``malformed``: answers 200 ``application/json`` that is not JSON;
- ``wrong_shape``: answers 200 with JSON of the wrong shape (a list, or an
  object whose fields have the wrong types);
- ``html``: answers 200 ``text/html`` (a captive portal, a proxy's page);
- ``close``: reads the request and closes the connection without a word;
- ``trickle``: sends headers, then one byte of body every 0.2 s, forever;
- ``huge_number``: answers JSON whose numbers are strings.

Use it as a context manager; ``stop()`` closes every connection it holds.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from types import TracebackType

MODES = ("hang", "status500", "malformed", "wrong_shape", "html", "close", "trickle",
         "huge_number")

_WRONG_SHAPES: dict[str, object] = {
    "/api/version": {"api": 1, "server": ["1.11.0"]},
    "/api/job": {"job": "none", "state": 7},
    "/api/printer": {"state": {"text": None, "flags": []}, "temperature": "hot"},
    "/api/connection": {"current": [], "options": {}},
    "/api/login": {"name": "admin"},
}


class HostileServer:
    def __init__(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[str] = []
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accept_thread = threading.Thread(target=self._accept, daemon=True,
                                               name=f"hostile-{mode}")

    def __enter__(self) -> HostileServer:
        self._accept_thread.start()
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()
        self._accept_thread.join(5)
        for t in self._threads:
            t.join(5)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(t)
            t.start()

    def _read_request(self, conn: socket.socket) -> str | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        request_line = lines[0]
        with self._lock:
            self.requests.append(request_line)
        return request_line.split(" ")[1] if " " in request_line else "/"

    def _serve(self, conn: socket.socket) -> None:
        try:
            while not self._stop.is_set():
                path = self._read_request(conn)
                if path is None:
                    return
                if not self._answer(conn, path.split("?")[0]):
                    return
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def _answer(self, conn: socket.socket, path: str) -> bool:
        """Answer one request; False to end the connection."""
        mode = self.mode
        if mode == "hang":
            self._stop.wait()
            return False
        if mode == "close":
            return False
        if mode == "trickle":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100000\r\n\r\n")
            while not self._stop.wait(0.2):
                conn.sendall(b" ")
            return False
        if mode == "status500":
            self._send(conn, 500, "text/html", b"<html><body>Internal Server Error</body></html>")
        elif mode == "malformed":
            self._send(conn, 200, "application/json", b'{"api": "0.1", "server": ')
        elif mode == "html":
            self._send(conn, 200, "text/html", b"<html><body>Please log in</body></html>")
        elif mode == "wrong_shape":
            body = _WRONG_SHAPES.get(path, [1, 2, 3])
            self._send(conn, 200, "application/json", json.dumps(body).encode())
        elif mode == "huge_number":
            body2 = {"job": {"file": {"path": "a.gcode"}}, "state": "Printing",
                     "progress": {"completion": "50%"}}
            self._send(conn, 200, "application/json", json.dumps(body2).encode())
        return True

    @staticmethod
    def _send(conn: socket.socket, status: int, ctype: str, body: bytes) -> None:
        reason = {200: "OK", 500: "Internal Server Error"}.get(status, "Status")
        head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n")
        conn.sendall(head.encode() + body)
