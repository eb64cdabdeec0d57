from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import db
from library.importer import import_paths
from library.service import LibraryService
from resources import samples_dir
from ui.library.bridge import LibraryBridge
from ui.library.page import LibraryPage


@pytest.fixture
def service(tmp_path: Path) -> Iterator[LibraryService]:
    engine, _sessions = db.open_database(tmp_path / "layerline.db")
    svc = LibraryService(engine, tmp_path / "store")
    src = tmp_path / "samples"
    shutil.copytree(samples_dir(), src)
    report = import_paths(svc.importer, [src])
    assert report.count("done") >= 5, report.as_dict()
    yield svc
    svc.close()
    engine.dispose()


@pytest.fixture
def page(qtbot, service: LibraryService) -> LibraryPage:  # type: ignore[no-untyped-def]
    bridge = LibraryBridge(service)
    p = LibraryPage(bridge)
    bridge.setParent(p)
    qtbot.addWidget(p)
    p.resize(1200, 700)
    qtbot.waitUntil(lambda: p.model.rowCount() >= 4 and not p.model.is_loading(), timeout=10000)
    return p
