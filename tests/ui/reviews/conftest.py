"""The review screens against real peers: the marketplace service on loopback
(seeded with the demo's account, models and profiles), a real SQLite desktop
database migrated by the app's chain, the real ReviewsService and the real
marketplace client.  The secret store is the small in-memory one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from app import db
from marketplace.config import Config
from marketplace.demo import DemoInfo, seed_demo
from reviews.service import ReviewsService
from tests.helpers.secrets import MemorySecretStore
from tests.marketplace.client import Server
from tests.marketplace.conftest import start_server, stop_server
from ui.reviews.bridge import ReviewsBridge
from ui.reviews.market import MarketApi


@dataclass
class Market:
    server: Server
    demo: DemoInfo


@pytest.fixture(scope="session")
def market_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    root = tmp_path_factory.mktemp("ui-marketplace")
    config = Config(database_url=f"sqlite:///{root / 'marketplace.db'}",
                    storage=root / "storage", fast_hashing=True)
    srv, server, thread = start_server(config)
    try:
        yield Market(srv, seed_demo(srv.base_url))
    finally:
        stop_server(srv, server, thread)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = db.create_engine(tmp_path / "layerline.db")
    db.upgrade(eng, tmp_path / "layerline.db")
    yield eng
    eng.dispose()


@dataclass
class Desk:
    """The desktop side: secrets, the service, the adapter, the bridge."""

    secrets: MemorySecretStore
    service: ReviewsService
    market: MarketApi
    bridge: ReviewsBridge
    account: dict[str, Any]
    demo: DemoInfo
    base_url: str


def new_user(market: MarketApi) -> dict[str, Any]:
    name = "u" + uuid.uuid4().hex[:10]
    return market.sign_up(name, f"{name}@example.invalid", "a-good-password")


@pytest.fixture
def desk(qtbot: Any, tmp_path: Path, engine: Engine,
         market_server: Market) -> Iterator[Desk]:
    secrets = MemorySecretStore()
    service = ReviewsService(db.session_factory(engine), secrets, tmp_path / "spool",
                             base_url=market_server.server.base_url)
    bridge = ReviewsBridge(service)
    assert bridge.market is not None
    me = new_user(bridge.market)  # signs in and registers the receipt key
    bridge.account = me
    yield Desk(secrets, service, bridge.market, bridge, me, market_server.demo,
               market_server.server.base_url)
    bridge.close()
    service.stop()


def demo_http(desk: Desk) -> httpx.Client:
    """An HTTP client signed in as the demo account (the models' creator)."""
    return httpx.Client(base_url=desk.base_url + "/api/v1", timeout=30, trust_env=False,
                        headers={"Authorization": f"Bearer {desk.demo.token}"})
