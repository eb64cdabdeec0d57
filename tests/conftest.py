"""Test set-up shared by every test.

With LAYERLINE_BLOCK_QT=1 (the domain test run), PySide6, shiboken6 and
pyqtgraph cannot be imported at all: the domain packages must work without Qt.
"""

from __future__ import annotations

import importlib.abc
import os
import sys
from collections.abc import Sequence
from types import ModuleType

_BLOCKED = ("PySide6", "shiboken6", "pyqtgraph")


class _BlockQt(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> None:
        if fullname.split(".", maxsplit=1)[0] in _BLOCKED:
            raise ImportError(f"{fullname} is blocked: the domain must run without Qt")


if os.environ.get("LAYERLINE_BLOCK_QT") == "1":
    for name in list(sys.modules):
        if name.split(".")[0] in _BLOCKED:
            del sys.modules[name]
    sys.meta_path.insert(0, _BlockQt())
else:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pytest_addoption(parser) -> None:  # type: ignore[no-untyped-def]
    # The domain run disables pytest-qt; declare its ini options so that
    # --strict-config still holds for everything else.
    if os.environ.get("LAYERLINE_BLOCK_QT") == "1":
        for name in ("qt_api", "qt_log_level_fail", "qt_log_ignore"):
            parser.addini(name, "pytest-qt option (pytest-qt is off in the domain run)",
                          type="linelist" if name == "qt_log_ignore" else "string")
