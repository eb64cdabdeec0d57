from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import db
from history import synthetic
from history.service import HistoryService
from ui.history.bridge import HistoryBridge
from ui.history.page import HistoryArea

END = 1_764_000_000.0  # 2025-11-24: fixed, so the data do not depend on today


def open_engine(path: Path, jobs: int) -> sa.engine.Engine:
    engine, _sessions = db.open_database(path)
    synthetic.seed(engine, jobs, end=END, days=120)
    return engine


@pytest.fixture(scope="module")
def big_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.engine.Engine]:
    """100k synthetic jobs (seeded once for the module)."""
    engine = open_engine(tmp_path_factory.mktemp("big") / "layerline.db", 100_000)
    yield engine
    engine.dispose()


@pytest.fixture
def small_engine(tmp_path: Path) -> Iterator[sa.engine.Engine]:
    engine = open_engine(tmp_path / "layerline.db", 450)
    yield engine
    engine.dispose()


def make_area(qtbot, engine: sa.engine.Engine) -> tuple[HistoryArea, HistoryService]:  # type: ignore[no-untyped-def]
    service = HistoryService(engine)
    bridge = HistoryBridge(service)
    area = HistoryArea(bridge)
    bridge.setParent(area)
    qtbot.addWidget(area)
    area.resize(1300, 780)
    return area, service
