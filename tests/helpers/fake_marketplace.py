"""A small honest fake of the marketplace's write endpoints, on 127.0.0.1.

It does what the outbox relies on and nothing more:

- every ``POST /api/v1/...`` needs an ``Idempotency-Key``; the first answer
  for a key is stored and returned for every repeat of that key, and a
  request whose key is still being processed gets 409;
- a JSON body, or ``multipart/form-data`` with a ``payload`` JSON field and
  ``files`` parts, is *committed* as a :class:`Record` (so a test can count
  what arrived, and how often);
- a payload ``{"reject": "why"}`` is refused with a 422 problem-details
  answer; ``{"forbid": ...}`` with 403;
- ``Authorization: Bearer <token>`` is required when ``token`` is set.

Fault injection (per request, from a seeded RNG, see :class:`Faults`):
answer 500 before committing, drop the connection before or *after*
committing, or stall past the client's timeout before or *after* committing.
:meth:`FakeMarketplace.stop` / :meth:`start` take it down and back up on the
same port.  ``on_commit`` is called with each new record under the server's
lock, before the answer is written (the SIGKILL test kills the client there).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import random
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Faults:
    """Probabilities of each fault, per request (they are tried in order)."""

    error_500: float = 0.0
    drop_before: float = 0.0
    drop_after: float = 0.0
    stall_before: float = 0.0
    stall_after: float = 0.0
    stall_seconds: float = 1.0
    seed: int = 0
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def pick(self) -> str | None:
        roll = self.rng.random()
        for name in ("error_500", "drop_before", "drop_after", "stall_before", "stall_after"):
            p = getattr(self, name)
            if roll < p:
                return name
            roll -= p
        return None


@dataclass(frozen=True)
class Record:
    id: int
    path: str
    key: str
    payload: Any
    files: tuple[tuple[str, bytes], ...]


class FakeMarketplace:
    def __init__(self, *, faults: Faults | None = None, token: str | None = None,
                 port: int = 0) -> None:
        self.faults = faults or Faults()
        self.token = token
        self.records: list[Record] = []
        self.requests: list[tuple[str, str, str | None]] = []  # (key, path, fault)
        self.on_commit: Callable[[Record], None] | None = None
        self.lock = threading.Condition()
        self._answers: dict[str, tuple[int, dict[str, Any]]] = {}
        self._in_progress: set[str] = set()
        self._halt = threading.Event()
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ life cycle
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> FakeMarketplace:
        fake = self

        class Handler(_Handler):
            marketplace = fake

        server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        server.daemon_threads = True
        self._port = server.server_address[1]
        self._server = server
        self._halt.clear()
        self._thread = threading.Thread(target=server.serve_forever, name="fake-marketplace",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Down: stop listening (new connections are refused) and end stalls."""
        self._halt.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> FakeMarketplace:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ queries
    def wait_for_records(self, count: int, timeout: float) -> bool:
        with self.lock:
            return self.lock.wait_for(lambda: len(self.records) >= count, timeout)

    def payload_counts(self, field_name: str = "n") -> dict[Any, int]:
        with self.lock:
            counts: dict[Any, int] = {}
            for r in self.records:
                value = r.payload.get(field_name) if isinstance(r.payload, dict) else None
                counts[value] = counts.get(value, 0) + 1
            return counts

    # ------------------------------------------------------------ the work
    def handle(self, handler: _Handler) -> None:
        path = handler.path
        key = handler.headers.get("Idempotency-Key")
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        if not path.startswith("/api/v1/"):
            return handler.answer(404, {"title": "Not Found", "status": 404})
        if self.token is not None and \
                handler.headers.get("Authorization") != f"Bearer {self.token}":
            return handler.answer(401, {"title": "Unauthorized", "status": 401,
                                        "detail": "sign in first"})
        if not key:
            return handler.answer(400, {"title": "Bad Request", "status": 400,
                                        "detail": "Idempotency-Key is required"})
        with self.lock:
            fault = self.faults.pick()
            self.requests.append((key, path, fault))
            if key in self._answers:
                status, answer = self._answers[key]
                fault = None if fault in ("error_500", "drop_before", "stall_before") else fault
                stored = True
            elif key in self._in_progress:
                return handler.answer(409, {"title": "Conflict", "status": 409,
                                            "detail": "this key is being processed"})
            else:
                stored = False
                self._in_progress.add(key)
        if not stored:
            try:
                if fault == "error_500":
                    return handler.answer(500, {"title": "Internal Server Error",
                                                "status": 500})
                if fault == "drop_before":
                    return handler.drop()
                if fault == "stall_before":
                    self._halt.wait(self.faults.stall_seconds)
                    return handler.drop()
                status, answer = self._commit(handler, path, key, body)
            finally:
                with self.lock:
                    self._in_progress.discard(key)
        if fault == "drop_after":
            return handler.drop()
        if fault == "stall_after":
            self._halt.wait(self.faults.stall_seconds)
        return handler.answer(status, answer)

    def _commit(self, handler: _Handler, path: str, key: str,
                body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            payload, files = _parse_body(handler.headers.get("Content-Type", ""), body)
        except ValueError as exc:
            return 400, {"title": "Bad Request", "status": 400, "detail": str(exc)}
        if isinstance(payload, dict) and "reject" in payload:
            result = 422, {"title": "Unprocessable Entity", "status": 422,
                           "detail": str(payload["reject"])}
        elif isinstance(payload, dict) and "forbid" in payload:
            result = 403, {"title": "Forbidden", "status": 403, "detail": "not yours"}
        else:
            with self.lock:
                record = Record(id=len(self.records) + 1, path=path, key=key,
                                payload=payload, files=tuple(files))
                self.records.append(record)
                if self.on_commit is not None:
                    self.on_commit(record)
                self.lock.notify_all()
            result = 201, {"id": record.id, "path": path}
        with self.lock:
            self._answers[key] = result
        return result


def _parse_body(content_type: str, body: bytes) -> tuple[Any, list[tuple[str, bytes]]]:
    if content_type.startswith("application/json"):
        return json.loads(body), []
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        payload: Any = None
        files: list[tuple[str, bytes]] = []
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            data = part.get_payload(decode=True)
            if name == "payload":
                payload = json.loads(data)
            elif name == "files":
                files.append((str(part.get_filename()), bytes(data)))
        if payload is None:
            raise ValueError("multipart body without a payload field")
        return payload, files
    raise ValueError(f"unsupported content type {content_type!r}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    marketplace: FakeMarketplace

    def do_POST(self) -> None:
        self.marketplace.handle(self)

    def answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/problem+json" if status >= 400
                             else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True

    def drop(self) -> None:
        """Close the connection at once without answering (RST)."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass
