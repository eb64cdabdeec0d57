"""The domain packages import and run with Qt unimportable."""

from __future__ import annotations

import importlib
import os
import pkgutil

import pytest

DOMAIN = ("printers", "library", "reviews", "marketplace", "history")


def test_qt_is_really_blocked_in_this_run() -> None:
    if os.environ.get("LAYERLINE_BLOCK_QT") != "1":
        pytest.skip("only meaningful in the domain run (LAYERLINE_BLOCK_QT=1)")
    with pytest.raises(ImportError):
        importlib.import_module("PySide6.QtCore")


@pytest.mark.parametrize("package", DOMAIN)
def test_every_domain_module_imports_without_qt(package: str) -> None:
    pkg = importlib.import_module(package)
    names = [m.name for m in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}.")]
    for name in names:
        if name.endswith("__main__"):
            continue
        importlib.import_module(name)
