"""Logging: named stdlib loggers, a ring buffer, JSON mode, G-code traffic.

- Every module logs through ``logging.getLogger(__name__)``.
- :class:`RingBuffer` keeps the last records in memory for the log viewer and
  for crash reports.
- ``--json-logging`` writes one JSON object per line on stderr, which is what
  end-to-end tests wait on.
- Raw G-code traffic goes to the ``layerline.gcode`` logger, which is off
  unless the user turns it on (it is very chatty).
- Secrets are never logged; :class:`RedactingFilter` is a last line of
  defence that masks anything that looks like an API key or bearer token.
"""

from __future__ import annotations

import collections
import json
import logging
import logging.handlers
import re
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

GCODE_LOGGER = "layerline.gcode"

_SECRET_RE = re.compile(
    r"(?i)(x-api-key[\"']?\s*[:=]\s*[\"']?|bearer\s+|api[_-]?key[\"']?\s*[:=]\s*[\"']?|"
    r"token[\"']?\s*[:=]\s*[\"']?|password[\"']?\s*[:=]\s*[\"']?)([^\s\"',;]+)"
)


def redact(text: str) -> str:
    return _SECRET_RE.sub(lambda m: m.group(1) + "***", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        red = redact(msg)
        if red != msg:
            record.msg = red
            record.args = None
        return True


class RingBuffer(logging.Handler):
    """Keeps the last ``capacity`` formatted records; thread-safe.

    Listeners are called from whichever thread logged; the UI's bridge
    marshals them to the GUI thread.
    """

    def __init__(self, capacity: int = 5000) -> None:
        super().__init__(logging.DEBUG)
        self._records: collections.deque[str] = collections.deque(maxlen=capacity)
        self._listeners: list[Callable[[str], None]] = []
        self._guard = threading.Lock()
        self.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            line = f"<unformattable record from {record.name}>"
        with self._guard:
            self._records.append(line)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(line)

    def lines(self) -> list[str]:
        with self._guard:
            return list(self._records)

    def tail(self, n: int = 200) -> str:
        return "\n".join(self.lines()[-n:])

    def subscribe(self, listener: Callable[[str], None]) -> None:
        with self._guard:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[str], None]) -> None:
        with self._guard:
            if listener in self._listeners:
                self._listeners.remove(listener)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        obj: dict[str, object] = {
            "created": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "thread": record.threadName,
        }
        event = getattr(record, "event", None)
        if event is not None:
            obj["event"] = event
        if record.exc_info:
            obj["traceback"] = self.formatException(record.exc_info)
        return json.dumps(obj, ensure_ascii=False)


def setup(
    *,
    level: int = logging.INFO,
    json_logging: bool = False,
    log_dir: Path | None = None,
    gcode_traffic: bool = False,
) -> RingBuffer:
    """Configure the root logger once for this process and return the ring buffer."""
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.setLevel(logging.DEBUG)
    redactor = RedactingFilter()

    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(level)
    if json_logging:
        stderr.setFormatter(JsonFormatter())
    else:
        stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    stderr.addFilter(redactor)
    root.addHandler(stderr)

    ring = RingBuffer()
    ring.setLevel(logging.DEBUG)
    ring.addFilter(redactor)
    root.addHandler(ring)

    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        fh = logging.handlers.RotatingFileHandler(
            log_dir / "layerline.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
        fh.setLevel(logging.INFO)
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        fh.addFilter(redactor)
        root.addHandler(fh)

    gcode = logging.getLogger(GCODE_LOGGER)
    gcode.disabled = not gcode_traffic
    # Quiet third-party chatter.
    for noisy in ("httpx", "httpcore", "PIL", "trimesh", "urllib3", "asyncio", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return ring
