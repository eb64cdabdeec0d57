from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from app import db
from reviews.outbox import Outbox
from reviews.service import ReviewsService
from tests.helpers.marketplace_server import MarketplaceProcess
from tests.helpers.secrets import MemorySecretStore


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


@pytest.fixture(scope="session")
def marketplace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MarketplaceProcess]:
    """The real marketplace service (``python -m marketplace serve``) on
    loopback, one per session; tests use fresh accounts."""
    with MarketplaceProcess(tmp_path_factory.mktemp("marketplace")) as market:
        yield market


@pytest.fixture
def service(engine: Engine, tmp_path: Path,
            marketplace: MarketplaceProcess) -> Iterator[ReviewsService]:
    """A reviews service on a real database, pointed at the real marketplace
    (not signed in)."""
    svc = ReviewsService(db.session_factory(engine), MemorySecretStore(), tmp_path / "spool",
                         base_url=marketplace.url)
    yield svc
    svc.stop()


@pytest.fixture
def creator(marketplace: MarketplaceProcess) -> tuple[str, int, str]:
    """Another account, with its token (it publishes the models reviewed)."""
    return marketplace.user("creator")
