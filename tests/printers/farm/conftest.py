"""A farm of virtual serial printers (ptys) on a real SQLite file, and a
waiter that wakes on the farm's own events (printers' and queue's)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from printers import schema
from printers.farm.service import Farm
from printers.firmware import FirmwareConfig
from printers.interface import Capabilities
from printers.store import PrinterStore
from printers.virtual import VirtualPrinter

# Heats in ~2 s (the staggered-starts test needs a visible heating phase),
# prints a few hundred moves in well under a second.
FIRMWARE = FirmwareConfig(latency=0.001, command_time=0.0005, home_time=0.01,
                          heat_rate_hotend=100.0, heat_rate_bed=100.0)
TIMEOUT = 60.0  # a loaded 2-core machine


class Db:
    def __init__(self, path: Path) -> None:
        self.engine = sa.create_engine(f"sqlite:///{path}")
        schema.metadata.create_all(self.engine)
        self.sessions: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)
        self.store = PrinterStore(self.sessions)

    def jobs(self) -> list[dict[str, Any]]:
        with self.sessions() as s:
            return [dict(r) for r in s.execute(
                sa.select(schema.jobs).order_by(schema.jobs.c.id)).mappings().all()]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Db]:
    d = Db(tmp_path / "farm.db")
    yield d
    d.engine.dispose()


class Waiter:
    """``until(predicate)``: re-checked whenever the farm reports something."""

    def __init__(self) -> None:
        self._cond = threading.Condition()

    def poke(self, *_args: object) -> None:
        with self._cond:
            self._cond.notify_all()

    def until(self, predicate: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"timed out waiting for {what}")
                # Woken by any event; the cap covers a change that raced the check.
                self._cond.wait(min(left, 0.5))


class FarmKit:
    """Virtual printers with capabilities, and farms over them (a restart is
    a new :class:`Farm` on the same database and printers)."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.vps: dict[str, VirtualPrinter] = {}
        self.farms: list[Farm] = []
        self.waiter = Waiter()

    def printer(self, name: str, caps: Capabilities | None = None) -> VirtualPrinter:
        vp = VirtualPrinter(FIRMWARE).start()
        self.vps[name] = vp
        self.db.store.add_printer(name, vp.path, 115200, {
            "rx_buffer": FIRMWARE.rx_buffer_size, "command_slots": FIRMWARE.bufsize,
            **(caps or Capabilities()).as_options()})
        return vp

    def farm(self, *, max_heating: int = 4, dispatch: bool = True, **options: Any) -> Farm:
        farm = Farm(self.db.store, self.db.sessions, None, max_heating=max_heating,
                    dispatch_interval=0.2, check_interval=0.2, backoff_initial=0.2,
                    backoff_max=2.0, **options)
        farm.supervisor.subscribe(self.waiter.poke)
        farm.queue.subscribe(self.waiter.poke)
        self.farms.append(farm)
        farm.start(dispatch=dispatch)
        return farm

    def close(self) -> None:
        for farm in self.farms:
            farm.shutdown()
        for vp in self.vps.values():
            vp.stop()


@pytest.fixture
def kit(db: Db) -> Iterator[FarmKit]:
    k = FarmKit(db)
    yield k
    k.close()
