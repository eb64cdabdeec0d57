"""Screenshots of the Queue & History area under a real X server (Xvfb):
``xvfb-run -a python -m tests.ui.history.shots OUTDIR [JOBS]``.  Seeds a
temporary database with synthetic jobs (one with a temperature trace), then
writes history.png (the table with a job selected), stats.png and
maintenance.png."""

from __future__ import annotations

import math
import sys
import tempfile
import time
from pathlib import Path


def main(out: Path, jobs: int = 20_000) -> int:
    from PySide6.QtWidgets import QApplication

    from app import db
    from history import maintenance, synthetic
    from history.service import HistoryService
    from printers import schema as ps
    from ui.history.bridge import HistoryBridge
    from ui.history.page import HistoryArea

    app = QApplication.instance() or QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="layerline-history-shots-"))
    engine, _ = db.open_database(tmp / "layerline.db")
    synthetic.seed(engine, jobs, days=120)
    with engine.begin() as conn:  # the newest job's temperature trace
        newest = conn.execute(ps.jobs.select().order_by(ps.jobs.c.created_at.desc())
                              .limit(1)).mappings().one()
        samples = []
        for i in range(0, 900):
            t = i * 2.0
            hot = min(215.0, 21 + t * 1.6) + (0.8 * math.sin(t / 9) if t > 120 else 0)
            bed = min(60.0, 21 + t * 0.35) + (0.3 * math.sin(t / 13) if t > 120 else 0)
            samples += [{"job_id": newest["id"], "t": t, "sensor": "T0", "actual": hot,
                         "target": 215.0},
                        {"job_id": newest["id"], "t": t, "sensor": "B", "actual": bed,
                         "target": 60.0}]
        conn.execute(ps.job_temperatures.insert(), samples)
    maintenance.add_reminder(engine, "Printer A", "print_hours", 500, "Change the nozzle")
    maintenance.add_reminder(engine, "Printer A", "filament_m", 1e6, "Lubricate the Z rods")
    maintenance.reset(engine, "Printer A", "filament_m", "rods lubricated",
                      at=time.time() - 20 * 86400)
    service = HistoryService(engine)
    bridge = HistoryBridge(service)
    area = HistoryArea(bridge)
    area.resize(1400, 820)
    area.show()

    def settle(cond: object, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            app.processEvents()
            if cond():  # type: ignore[operator]
                for _ in range(25):
                    app.processEvents()
                    time.sleep(0.02)
                return
            time.sleep(0.02)
        raise SystemExit("timed out waiting for the view")

    model = area.model
    settle(lambda: model.rowCount() > 0 and model.total is not None)
    area.history.view.selectRow(0)
    settle(lambda: area.history.detail.plot is not None
           and len(area.history.detail.plot.getPlotItem().listDataItems()) >= 4)
    out.mkdir(parents=True, exist_ok=True)
    area.grab().save(str(out / "history.png"))
    stats = area.stats
    area.tabs.setCurrentWidget(stats)
    settle(lambda: stats.stats is not None)
    area.grab().save(str(out / "stats.png"))
    area.tabs.setCurrentWidget(area.maintenance)
    settle(lambda: area.maintenance.reminders.rowCount() == 2)
    area.grab().save(str(out / "maintenance.png"))
    print(f"rows shown {model.rowCount()} of {model.total}; statistics over "
          f"{stats.stats.prints if stats.stats else 0} prints; screenshots in {out}")
    area.close()
    service.close()
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), *(int(a) for a in sys.argv[2:3])))
