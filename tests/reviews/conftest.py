from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from app import db
from reviews.outbox import Outbox


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A real SQLite file, migrated by the app's own migration chain."""
    eng = db.create_engine(tmp_path / "layerline.db")
    db.upgrade(eng, tmp_path / "layerline.db")
    yield eng
    eng.dispose()


@pytest.fixture
def outbox(engine: Engine) -> Outbox:
    return Outbox(db.session_factory(engine))
