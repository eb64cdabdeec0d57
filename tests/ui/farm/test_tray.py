"""Print-end notifications: the tray where there is one; offscreen (no tray)
they go to the app's notifier, which the status bar shows."""

from __future__ import annotations

from app.notify import Level, Notifier
from tests.ui.farm.helpers import FakeSupervisor, make_status
from ui.bridges import NotifierBridge
from ui.farm.bridge import FarmBridge, JobEnd
from ui.farm.tray import TrayNotifier, describe


def test_describe() -> None:
    assert describe(JobEnd("p1", "a.gcode", "completed", "")) == \
        ("p1: print finished", "a.gcode finished on p1.", "success")
    assert describe(JobEnd("p1", "a.gcode", "failed", "heater timeout")) == \
        ("p1: print failed", "a.gcode failed on p1: heater timeout", "error")


def test_a_print_end_reaches_the_notifier_without_a_tray(qtbot) -> None:  # type: ignore[no-untyped-def]
    notifier = Notifier()
    shown: list[object] = []
    notifier_bridge = NotifierBridge(notifier)
    notifier_bridge.message.connect(shown.append)
    supervisor = FakeSupervisor()
    bridge = FarmBridge(supervisor)
    tray = TrayNotifier(lambda text, level: notifier.post(text, Level(level), source="farm"))
    assert tray.tray is None  # the offscreen platform has no system tray
    bridge.job_ended.connect(tray.notify)
    try:
        supervisor.report(make_status("p1", "printing", progress=0.9, file="gear.gcode"))
        supervisor.report(make_status("p1", "error", job_state="failed", file="gear.gcode",
                                      reason="MINTEMP on the bed"))
        qtbot.waitUntil(lambda: len(shown) == 1, timeout=5000)
    finally:
        bridge.close()
    (msg,) = notifier.history()
    assert (msg.text, msg.level, msg.source) == \
        ("gear.gcode failed on p1: MINTEMP on the bed", Level.ERROR, "farm")
    assert tray.shown == [("p1: print failed", msg.text)]
