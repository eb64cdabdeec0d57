"""Screenshots of the Library area under a real X server (Xvfb):
``xvfb-run -a python -m tests.ui.library.shots OUTDIR``.  Writes grid.png,
table.png and detail.png (the detail panel with its OpenGL 3D preview) and
prints JSON facts about the preview's pixels."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main(out: Path) -> int:
    from PySide6.QtWidgets import QApplication

    from app import db
    from library.importer import import_paths
    from library.service import LibraryService
    from resources import samples_dir
    from ui.library.bridge import LibraryBridge
    from ui.library.page import LibraryPage

    app = QApplication.instance() or QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="layerline-shots-"))
    engine, _ = db.open_database(tmp / "layerline.db")
    svc = LibraryService(engine, tmp / "store")
    shutil.copytree(samples_dir(), tmp / "samples")
    import_paths(svc.importer, [tmp / "samples"])
    bridge = LibraryBridge(svc)
    page = LibraryPage(bridge)
    page.resize(1400, 820)
    page.show()

    def settle(cond: object, timeout: float = 15.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            app.processEvents()
            if cond():  # type: ignore[operator]
                for _ in range(20):
                    app.processEvents()
                    time.sleep(0.02)
                return
            time.sleep(0.02)
        raise SystemExit(f"timed out: rows={page.model.rowCount()} "
                         f"loading={page.model.is_loading()} thumbs={len(page.model._thumbs)}")

    m = page.model
    settle(lambda: m.rowCount() >= 4 and not m.is_loading())
    titles = [m.data(m.index(r, 0)) for r in range(m.rowCount())]
    settle(lambda: len(m._thumbs) >= 4)
    out.mkdir(parents=True, exist_ok=True)
    page.grab().save(str(out / "grid.png"))
    page.select_row(titles.index("Round Tower"))
    settle(lambda: page.detail.preview._item is not None)
    page.grab().save(str(out / "detail.png"))
    view = page.detail.preview.view
    frame = view.grabFramebuffer() if view is not None else None
    page.view_toggle.setChecked(True)
    settle(lambda: page.views.currentWidget() is page.table)
    page.grab().save(str(out / "table.png"))
    facts = {"gl": view is not None, "titles": titles}
    if frame is not None:
        colours = {frame.pixelColor(x, y).name() for x in range(0, frame.width(), 7)
                   for y in range(0, frame.height(), 7)}
        facts["preview_colours"] = len(colours)
        frame.save(str(out / "preview.png"))
    print(json.dumps(facts))
    bridge.close()
    svc.close()
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
