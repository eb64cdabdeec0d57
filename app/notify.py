"""User-facing messages and the line between known errors and bugs.

:class:`Notifier` is Qt-free: services post messages to it from any thread,
and the UI's ``NotifierBridge`` shows them in the status bar (and the tray).
The CLI prints them.

A *known* error is an environment problem the user can act on: a printer
unplugged, the marketplace down, a corrupt file.  Each domain package defines
its own error base class; the composition root registers those classes with
:class:`ErrorPolicy`.  Anything else that escapes is a bug: it is logged with
its traceback, written to a crash report, and shown in the crash dialog
(unless ``--no-error-dialogs``).
"""

from __future__ import annotations

import enum
import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)


class Level(enum.Enum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Message:
    text: str
    level: Level = Level.INFO
    detail: str = ""
    source: str = ""
    created: datetime = field(default_factory=lambda: datetime.now(UTC))


class Notifier:
    """Fan-out of user-facing messages.  ``post`` may be called from any thread;
    listeners run on the posting thread and must marshal themselves."""

    def __init__(self, history: int = 200) -> None:
        self._listeners: list[Callable[[Message], None]] = []
        self._history: list[Message] = []
        self._max = history
        self._guard = threading.Lock()

    def post(
        self, text: str, level: Level = Level.INFO, *, detail: str = "", source: str = ""
    ) -> None:
        msg = Message(text, level, detail, source)
        log.log(
            logging.WARNING if level in (Level.WARNING, Level.ERROR) else logging.INFO,
            "notify[%s]: %s", level.value, text,
        )
        with self._guard:
            self._history.append(msg)
            del self._history[: -self._max]
            listeners = list(self._listeners)
        for listener in listeners:
            listener(msg)

    def subscribe(self, listener: Callable[[Message], None]) -> None:
        with self._guard:
            self._listeners.append(listener)

    def history(self) -> list[Message]:
        with self._guard:
            return list(self._history)


class KnownError(Exception):
    """Base for the app layer's own known errors (bad command line, settings)."""


class ErrorPolicy:
    """Decides whether an exception is known (friendly message) or a bug."""

    def __init__(self, crash_dir: Path) -> None:
        self._known: list[type[BaseException]] = [KnownError]
        self._known_names: set[str] = set()
        self.crash_dir = crash_dir

    def register_known(self, *types: type[BaseException]) -> None:
        self._known.extend(types)

    def register_known_name(self, *qualified_names: str) -> None:
        """Register error classes by ``module.QualName`` without importing
        them (a domain package's errors may live behind heavy imports)."""
        self._known_names.update(qualified_names)

    def is_known(self, exc: BaseException) -> bool:
        if isinstance(exc, tuple(self._known)):
            return True
        return any(f"{c.__module__}.{c.__qualname__}" in self._known_names
                   for c in type(exc).__mro__)

    def write_crash_report(self, exc: BaseException, log_tail: str) -> Path:
        self.crash_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.crash_dir / f"crash-{stamp}.txt"
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        path.write_text(
            f"Layerline crash report {stamp}\n\n{tb}\n--- log tail ---\n{log_tail}\n",
            encoding="utf-8",
        )
        return path
