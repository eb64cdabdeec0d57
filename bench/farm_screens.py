"""Screenshots of the farm dashboard and queue, for a person to look at.

    xvfb-run -a -s "-screen 0 1920x1200x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python bench/farm_screens.py OUTDIR [--printers 100]

Builds the real main window with the farm area (dashboard, queue, details)
over a stand-in supervisor that reports a farm's worth of statuses (printing,
heating, paused, finished, idle, offline with a reason, error), a real
:class:`~printers.farm.queue.FarmQueue` on a SQLite file with waiting and
running jobs, and a camera picture on a few cards; then saves
``OUTDIR/farm-dashboard.png`` and ``OUTDIR/farm-queue.png``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class Supervisor:
    def __init__(self) -> None:
        self.listeners: list[Callable[[Any], None]] = []
        self.current: dict[str, Any] = {}

    def statuses(self) -> dict[str, Any]:
        return dict(self.current)

    def subscribe(self, listener: Callable[[Any], None]) -> None:
        self.listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Any], None]) -> None:
        self.listeners.remove(listener)

    def report(self, status: Any) -> None:
        self.current[status.name] = status
        for listener in list(self.listeners):
            listener(status)


def farm_statuses(count: int) -> list[Any]:
    from printers.interface import Capabilities, JobSummary, PrinterState, PrinterStatus

    now = time.time()
    parts = ["benchy.gcode", "bracket_v3.gcode", "gear_32t.gcode", "enclosure_lid.gcode",
             "cable_clip_x20.gcode", "phone_stand.gcode"]
    out = []
    for i in range(count):
        octo = i % 10 == 0
        name = f"octo-{i // 10 + 1:02d}" if octo else f"mk3-{i + 1:03d}"
        caps = Capabilities(0.4 if i % 3 else 0.6, "PLA" if i % 4 else "PETG",
                            (250.0, 210.0, 210.0), has_camera=octo)
        kind = "octoprint" if octo else "serial"
        part = parts[i % len(parts)]
        temps = {"T0": (205.0 + i % 5, 210.0), "B": (60.0, 60.0)}
        progress = (i * 37 % 100) / 100
        job = JobSummary(i + 1, part, "printing", progress, 3600 * (1 - progress) * 2)
        state = PrinterState.PRINTING
        reason = None
        if i % 17 == 3:
            state, job = PrinterState.OPERATIONAL, JobSummary(i + 1, part, "completed", 1.0)
            temps = {"T0": (41.0, 0.0), "B": (35.0, 0.0)}
        elif i % 17 == 5:
            job = JobSummary(i + 1, part, "heating", 0.0, None)
            temps = {"T0": (143.0, 210.0), "B": (48.0, 60.0)}
        elif i % 17 == 7:
            state = PrinterState.PAUSED
        elif i % 17 == 9:
            state, job = PrinterState.OPERATIONAL, None
            temps = {"T0": (23.0, 0.0), "B": (22.0, 0.0)}
        elif i == 14:
            state, job = PrinterState.OFFLINE, None
            reason = "OctoPrint at http://10.0.4.21 is not answering: no answer within 10 s"
        elif i == 27:
            state = PrinterState.ERROR
            reason = "Printer halted: thermal runaway on the hotend"
        elif i == 41:
            state, job = PrinterState.OFFLINE, None
            reason = "serial port /dev/ttyUSB12 went away (unplugged?)"
        seen = now - (190 if state in (PrinterState.OFFLINE, PrinterState.ERROR) else 1)
        out.append(PrinterStatus(name, kind, state, reason, seen, temps,  # type: ignore[arg-type]
                                 job, caps))
    return out


def camera_frame(seed: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, Qt
    from PySide6.QtGui import QColor, QImage, QPainter

    image = QImage(640, 480, QImage.Format.Format_RGB32)
    image.fill(QColor(40, 44, 52))
    p = QPainter(image)
    p.setBrush(QColor(90, 90, 96))
    p.drawRect(QRect(80, 330, 480, 60))          # the bed
    p.setBrush(QColor(220, 120 + seed * 10 % 100, 40))
    p.drawRect(QRect(260, 250 - seed * 7 % 60, 120, 80 + seed * 7 % 60))  # the part
    p.setPen(QColor("white"))
    p.drawText(QRect(0, 10, 630, 30), int(Qt.AlignmentFlag.AlignRight), "cam")
    p.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "JPEG")
    return bytes(data.data())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--printers", type=int, default=100)
    args = parser.parse_args()

    import sqlalchemy as sa
    from PySide6.QtWidgets import QApplication
    from sqlalchemy.orm import sessionmaker

    from app.notify import Level, Notifier
    from printers import schema
    from printers.farm.queue import FarmQueue, ItemState, Requirements
    from ui.bridges import NotifierBridge
    from ui.farm.area import FarmArea
    from ui.farm.bridge import FarmBridge, JobEnd
    from ui.farm.tray import TrayNotifier
    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    work = Path(tempfile.mkdtemp(prefix="layerline-farm-screens-"))
    engine = sa.create_engine(f"sqlite:///{work / 'farm.db'}")
    schema.metadata.create_all(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    queue = FarmQueue(sessions)
    for name, copies, req, start in (
            ("benchy.gcode", 6, Requirements(nozzle=0.4), True),
            ("bracket_v3.gcode", 4, Requirements(material="PETG", min_volume=(200, 200, 150)),
             True),
            ("enclosure_lid.gcode", 1, Requirements(tag="big", printer="octo-03"), True),
            ("gear_32t.gcode", 2, Requirements(nozzle=0.6, material="PLA"), False)):
        path = work / name
        path.write_text("G28\n")
        queue.add(path, copies=copies, requirements=req, start=start)
    items = queue.items()
    q = schema.farm_queue
    with sessions.begin() as s:  # the first two are running, as the dispatcher would have
        for item, printer in zip(items[:2], ("mk3-002", "octo-01"), strict=True):
            s.execute(q.update().where(q.c.id == item.id).values(
                state=ItemState.PRINTING.value, assigned=printer))

    notifier = Notifier()
    notifier_bridge = NotifierBridge(notifier)
    window = MainWindow(notifier_bridge=notifier_bridge, geometry_file=work / "w.ini",
                        open_settings=lambda: None, open_log=lambda: None,
                        show_about=lambda: None)
    supervisor = Supervisor()
    bridge = FarmBridge(supervisor)
    tray = TrayNotifier(lambda text, level: notifier.post(text, Level(level), source="farm"))
    frames = {s.name: camera_frame(i) for i, s in enumerate(farm_statuses(args.printers))}
    area = FarmArea(bridge, queue, farm=None, snapshot=frames.get, on_job_end=tray.notify)
    area.dashboard.snapshots.interval = 0.1  # type: ignore[union-attr]
    window.set_area_page("printers", area)
    window.show_area("printers")
    window.resize(1600, 1000)
    window.show()

    statuses = farm_statuses(args.printers)
    threading.Thread(target=lambda: [supervisor.report(s) for s in statuses]).start()

    def wait(seconds: float, until: Callable[[], bool] = lambda: False) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not until():
            app.processEvents()
            time.sleep(0.01)

    wait(20, lambda: area.dashboard.model.rowCount() == args.printers)
    area.dashboard.fetch_snapshots()
    wait(3)
    bridge.job_ended.emit(JobEnd("mk3-004", "bracket_v3.gcode", "failed",
                                 "thermal runaway on the hotend"))
    wait(1)
    args.outdir.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(str(args.outdir / "farm-dashboard.png"))
    area.tabs.setCurrentWidget(area.queue_view)
    wait(2, lambda: area.queue_view is not None and area.queue_view.model.rowCount() > 0)
    area.queue_view.table.selectRow(3)  # type: ignore[union-attr]
    wait(0.5)
    ok = window.grab().save(str(args.outdir / "farm-queue.png")) and ok
    print(f"tray available: {tray.tray is not None}; notifier: "
          f"{[m.text for m in notifier.history()]}")
    area.shutdown()
    bridge.close()
    engine.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
