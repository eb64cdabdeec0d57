"""``services.farm``: built on first use (not at start-up), serial printers
sharing ``services.printers``' connections, stopped by the app's shutdown."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app import logs, paths, services
from printers.firmware import FirmwareConfig
from printers.interface import PrinterState
from printers.virtual import VirtualPrinter


def test_the_farm_is_lazy_shares_connections_and_stops_with_the_app(tmp_path: Path) -> None:
    svc = services.build(paths.from_basedir(tmp_path), logs.RingBuffer())
    vp = VirtualPrinter(FirmwareConfig(latency=0.001, command_time=0.0005)).start()
    try:
        assert svc._farm is None
        svc.printers.add_printer("vp", vp.path, 115200, {"material": "PLA"})
        farm = svc.farm
        assert svc.farm is farm and farm.queue.max_heating == 4  # the setting's default
        changed = threading.Event()
        farm.supervisor.subscribe(lambda s: changed.set())
        farm.start()
        assert svc.printers.connection("vp").wait_for(
            lambda s: s.link.value == "operational", 30)
        # The farm drives the very connection the printers service owns.
        assert farm.supervisor.printer("vp").connection is svc.printers.connection("vp")  # type: ignore[attr-defined]
        assert changed.wait(30)
        status = farm.statuses()["vp"]
        assert status.capabilities.material == "PLA"
        assert status.state in (PrinterState.OPERATIONAL, PrinterState.CONNECTING)
    finally:
        svc.shutdown()
        vp.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith(("farm", "printer "))]


def test_no_farm_is_built_once_shutdown_has_begun(tmp_path: Path) -> None:
    svc = services.build(paths.from_basedir(tmp_path), logs.RingBuffer())
    svc.shutdown()
    with pytest.raises(services.ServicesClosedError):
        _ = svc.farm
