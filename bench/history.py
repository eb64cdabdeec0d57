"""Print history at scale: opening the history view and computing every
statistic over 100k and 1M synthetic jobs, against a floor measured in the
same run.

For each size, a fresh database is seeded (``history.synthetic``: printers,
library models, ``print_jobs`` and their ``history_jobs`` rows, the rollups
rebuilt), then, each as the median of ``--runs``:

- **open**: a new Queue & History page (bridge, table model, view) created,
  shown, and its first page of rows arrived by signal and painted
  (the page's own start-up queries, the count and the filter choices, run
  on the service's threads meanwhile);
- **stats**: ``history.stats.compute`` (every rate, the top combinations,
  failure reasons, weekly trend, prints per day per printer, time and
  filament per week) from the rollups;
- **stats (direct)**: the same from a scan of ``history_jobs`` (what a date
  range uses), shown for transparency;
- **floor**: one plain SQL aggregate over the same table,
  ``SELECT count(*), total(printing_s) FROM history_jobs``.

Targets (issue 8): open under 200 ms; all statistics within 3x the floor.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/history.py [--sizes 100000,1000000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def median_of(runs: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(n: int, runs: int, app: Any) -> tuple[Any, ...]:
    from app import db
    from history import stats, synthetic
    from history.service import HistoryService
    from ui.history.bridge import HistoryBridge
    from ui.history.page import HistoryArea

    tmp = Path(tempfile.mkdtemp(prefix="layerline-history-bench-"))
    engine, _ = db.open_database(tmp / "layerline.db")
    t0 = time.perf_counter()
    synthetic.seed(engine, n)
    seed_s = time.perf_counter() - t0
    service = HistoryService(engine)
    first_sync = service.sync()
    assert first_sync is not None
    t0 = time.perf_counter()
    first_sync.result(3600)
    sync_s = time.perf_counter() - t0

    def open_view() -> None:
        bridge = HistoryBridge(service)
        area = HistoryArea(bridge)
        bridge.setParent(area)
        area.resize(1300, 800)
        area.show()
        deadline = time.monotonic() + 60
        while area.model.rowCount() == 0:
            app.processEvents()
            if time.monotonic() > deadline:
                raise SystemExit("the first page never arrived")
            time.sleep(0.0005)
        area.repaint()  # painted with its rows
        area.close()
        area.deleteLater()
        bridge.close()

    open_view()  # warm-up (imports, pyqtgraph)
    # Let the warm-up's leftover queries (statistics, counts) finish.
    done = service.submit(lambda s: None)
    assert done is not None
    done.result(600)
    app.processEvents()
    open_s = median_of(runs, open_view)
    done = service.submit(lambda s: None)
    assert done is not None
    done.result(600)
    floor_s = median_of(runs, lambda: stats.floor(engine))
    stats_s = median_of(runs, lambda: stats.compute(engine))
    direct_s = median_of(runs, lambda: stats.compute(engine, direct=True))
    floor2_s = median_of(runs, lambda: stats.floor(engine))
    floor_s = min(floor_s, floor2_s)
    st = stats.compute(engine)
    assert st.prints == n, (st.prints, n)
    service.close()
    engine.dispose()
    for p in tmp.iterdir():
        p.unlink()
    tmp.rmdir()
    print(f"{n:>9,} jobs: seeded in {seed_s:.1f} s; the first sync (nothing to do but "
          f"check) {sync_s * 1000:.0f} ms", flush=True)
    return (n, seed_s, sync_s, open_s, floor_s, stats_s, direct_s, st.groups)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    print(f"machine: {os.cpu_count()} cores, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} (shared with other work)")
    results = [measure(int(x), args.runs, app) for x in args.sizes.split(",")]
    print()
    print(f"{'jobs':>10} {'open view':>10} {'floor':>9} {'all stats':>10} {'ratio':>6} "
          f"{'direct':>9} {'ratio':>6} {'groups':>7}  "
          "targets: open < 200 ms, stats <= 3x floor")
    for n, _seed, _sync, open_s, floor_s, stats_s, direct_s, groups in results:
        print(f"{n:>10,} {open_s * 1000:>8.1f}ms {floor_s * 1000:>7.1f}ms "
              f"{stats_s * 1000:>8.1f}ms {stats_s / floor_s:>5.2f}x "
              f"{direct_s * 1000:>7.1f}ms {direct_s / floor_s:>5.2f}x {groups:>7,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
