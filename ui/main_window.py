"""The main window: navigation between the four areas, menus, status bar.

The window owns no service.  It is given what it shows (area pages, the
notifier bridge, the log bridge) and callbacks for what it cannot do itself
(open the settings, hand over files), so that it can be built in tests with
small honest stand-ins.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from ui.areas import AREAS, AreaInfo, PlaceholderArea
from ui.bridges import NotifierBridge

log = logging.getLogger(__name__)

_LEVEL_TIMEOUT_MS = {"info": 6000, "success": 6000, "warning": 12000, "error": 0}


class MainWindow(QMainWindow):
    """Layerline's main window.

    ``files_opened`` is emitted with a list of :class:`Path` when the user
    opens or drops files, or another instance hands them over.
    """

    files_opened = Signal(list)
    painted = Signal()
    #: Emitted by the composition root once the Library area (built when the
    #: database is open) is in place.
    library_ready = Signal()

    def __init__(
        self,
        *,
        notifier_bridge: NotifierBridge,
        geometry_file: Path,
        open_settings: Callable[[], None],
        open_log: Callable[[], None],
        show_about: Callable[[], None],
        pages: dict[str, QWidget] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Layerline")
        self.setObjectName("main-window")
        self.setAcceptDrops(True)
        self._geometry = QSettings(str(geometry_file), QSettings.Format.IniFormat)
        self._painted_once = False
        pages = dict(pages or {})

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName("Areas")
        self.nav.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.nav.setMaximumWidth(220)
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        for info in AREAS:
            page = pages.get(info.key) or PlaceholderArea(info)
            self._add_area(info, page)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)

        splitter = QSplitter()
        splitter.addWidget(self.nav)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)

        self._build_menus(open_settings, open_log, show_about)
        self._status_text = QLabel()
        self._status_text.setObjectName("status-message")
        self.statusBar().addWidget(self._status_text, 1)
        self._status_timer = QTimer(self)
        self._status_timer.setSingleShot(True)
        self._status_timer.timeout.connect(self._status_text.clear)
        notifier_bridge.message.connect(self.show_message)

        self.nav.setCurrentRow(0)
        self.resize(1200, 760)
        self._restore_geometry()

    # -- areas ---------------------------------------------------------
    def _add_area(self, info: AreaInfo, page: QWidget) -> None:
        style = self.style()
        item = QListWidgetItem(style.standardIcon(info.icon), info.title.replace("&&", "&"))
        item.setToolTip(info.summary)
        self.nav.addItem(item)
        self.stack.addWidget(page)
        self.pages[info.key] = page

    def set_area_page(self, key: str, page: QWidget) -> None:
        """Replace an area's page (used as each part of the app fills its area)."""
        old = self.pages[key]
        index = self.stack.indexOf(old)
        was_current = self.stack.currentWidget() is old
        self.stack.insertWidget(index, page)
        self.stack.removeWidget(old)
        if was_current:  # removing the current page would show its neighbour
            self.stack.setCurrentWidget(page)
        old.deleteLater()
        self.pages[key] = page

    def show_area(self, key: str) -> None:
        self.nav.setCurrentRow([a.key for a in AREAS].index(key))

    def current_area(self) -> str:
        return AREAS[self.stack.currentIndex()].key

    # -- menus ---------------------------------------------------------
    def _build_menus(
        self,
        open_settings: Callable[[], None],
        open_log: Callable[[], None],
        show_about: Callable[[], None],
    ) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.action_open = QAction("&Open\u2026", self)
        self.action_open.setShortcut(QKeySequence.StandardKey.Open)
        self.action_open.setStatusTip("Open model or G-code files")
        self.action_open.triggered.connect(self._ask_open_files)
        file_menu.addAction(self.action_open)
        self.action_import = QAction("&Import\u2026", self)
        self.action_import.setShortcut(QKeySequence("Ctrl+I"))
        self.action_import.setStatusTip("Import files into the library")
        self.action_import.triggered.connect(self._ask_open_files)
        file_menu.addAction(self.action_import)
        file_menu.addSeparator()
        self.action_quit = QAction("&Quit", self)
        self.action_quit.setShortcut(QKeySequence.StandardKey.Quit)
        self.action_quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.action_quit.triggered.connect(self.close)
        file_menu.addAction(self.action_quit)

        edit_menu = bar.addMenu("&Edit")
        self.action_settings = QAction("&Settings\u2026", self)
        self.action_settings.setShortcut(QKeySequence("Ctrl+,"))
        self.action_settings.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.action_settings.triggered.connect(open_settings)
        edit_menu.addAction(self.action_settings)

        view_menu = bar.addMenu("&View")
        for i, info in enumerate(AREAS):
            act = QAction(info.title, self)
            act.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            act.triggered.connect(lambda _=False, k=info.key: self.show_area(k))
            view_menu.addAction(act)
        view_menu.addSeparator()
        self.action_log = QAction("&Log", self)
        self.action_log.setShortcut(QKeySequence("Ctrl+L"))
        self.action_log.triggered.connect(open_log)
        view_menu.addAction(self.action_log)
        full = QAction("&Full Screen", self)
        full.setShortcut(QKeySequence.StandardKey.FullScreen)
        full.triggered.connect(
            lambda: self.showNormal() if self.isFullScreen() else self.showFullScreen()
        )
        view_menu.addAction(full)

        help_menu = bar.addMenu("&Help")
        about = QAction("&About Layerline", self)
        about.setMenuRole(QAction.MenuRole.AboutRole)
        about.triggered.connect(show_about)
        help_menu.addAction(about)
        about_qt = QAction("About &Qt", self)
        about_qt.setMenuRole(QAction.MenuRole.AboutQtRole)
        about_qt.triggered.connect(QApplication.aboutQt)
        help_menu.addAction(about_qt)

    # -- messages ------------------------------------------------------
    def show_message(self, msg: object) -> None:
        """Show an ``app.notify.Message`` (anything with text/level) in the status bar."""
        text = str(getattr(msg, "text", msg))
        level = getattr(getattr(msg, "level", None), "value", "info")
        prefix = {"warning": "\u26a0 ", "error": "\u2716 ", "success": "\u2714 "}.get(level, "")
        self._status_text.setText(prefix + text)
        self._status_text.setProperty("level", level)
        self._status_text.setToolTip(str(getattr(msg, "detail", "")) or text)
        timeout = _LEVEL_TIMEOUT_MS.get(level, 6000)
        if timeout:
            self._status_timer.start(timeout)
        else:
            self._status_timer.stop()

    def status_text(self) -> str:
        return self._status_text.text()

    # -- files ---------------------------------------------------------
    def _ask_open_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, "Open files", "",
            "Models and G-code (*.stl *.3mf *.obj *.gcode *.gco *.g *.bgcode *.zip);;All files (*)",
        )
        if files:
            self.open_files([Path(f) for f in files])

    def open_files(self, files: Sequence[Path]) -> None:
        files = [Path(f) for f in files]
        if files:
            log.info("opening %d file(s)", len(files))
            self.files_opened.emit(files)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        self.open_files(files)
        event.acceptProposedAction()

    # -- geometry and lifecycle ---------------------------------------
    def _restore_geometry(self) -> None:
        geom = self._geometry.value("main/geometry")
        if isinstance(geom, QByteArray) and not geom.isEmpty():
            self.restoreGeometry(geom)
        state = self._geometry.value("main/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        area = self._geometry.value("main/area")
        if isinstance(area, str) and area in self.pages:
            self.show_area(area)

    def save_geometry(self) -> None:
        self._geometry.setValue("main/geometry", self.saveGeometry())
        self._geometry.setValue("main/state", self.saveState())
        self._geometry.setValue("main/area", self.current_area())
        self._geometry.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_geometry()
        super().closeEvent(event)

    def paintEvent(self, event: object) -> None:  # type: ignore[override]
        super().paintEvent(event)  # type: ignore[arg-type]
        if not self._painted_once:
            self._painted_once = True
            QTimer.singleShot(0, self.painted.emit)
