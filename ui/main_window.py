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

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
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

USER_GUIDE_URL = "https://github.com/layerline/layerline/blob/main/docs/USER_GUIDE.md"


def _area_text(text: str) -> str:
    """An area's title or summary, translated (context "areas")."""
    return QCoreApplication.translate("areas", text)


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
        open_setup: Callable[[], object] | None = None,
        pages: dict[str, QWidget] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Layerline"))
        self._open_setup = open_setup
        self.setObjectName("main-window")
        self.setAcceptDrops(True)
        self._geometry = QSettings(str(geometry_file), QSettings.Format.IniFormat)
        self._painted_once = False
        pages = dict(pages or {})

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName(self.tr("Areas"))
        self.nav.setAccessibleDescription(
            self.tr("Choose an area with the arrow keys; Ctrl+1 to Ctrl+4 from anywhere"))
        self.nav.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.nav.setIconSize(self.nav.iconSize() * 1.5)
        self.nav.setMaximumWidth(220)
        self.stack = QStackedWidget()
        self.stack.setObjectName("area-stack")
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
        self._status_text.setAccessibleName(self.tr("Status message"))
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
        title = _area_text(info.title).replace("&&", "&")
        item = QListWidgetItem(style.standardIcon(info.icon), title)
        item.setToolTip(_area_text(info.summary))
        item.setData(Qt.ItemDataRole.AccessibleTextRole, title)
        item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, _area_text(info.summary))
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
        file_menu = bar.addMenu(self.tr("&File"))
        self.action_open = QAction(self.tr("&Open\u2026"), self)
        self.action_open.setShortcut(QKeySequence.StandardKey.Open)
        self.action_open.setStatusTip(self.tr("Open model or G-code files"))
        self.action_open.triggered.connect(self._ask_open_files)
        file_menu.addAction(self.action_open)
        self.action_import = QAction(self.tr("&Import\u2026"), self)
        self.action_import.setShortcut(QKeySequence("Ctrl+I"))
        self.action_import.setStatusTip(self.tr("Import files into the library"))
        self.action_import.triggered.connect(self._ask_open_files)
        file_menu.addAction(self.action_import)
        file_menu.addSeparator()
        self.action_quit = QAction(self.tr("&Quit"), self)
        self.action_quit.setShortcut(QKeySequence.StandardKey.Quit)
        self.action_quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.action_quit.triggered.connect(self.close)
        file_menu.addAction(self.action_quit)

        edit_menu = bar.addMenu(self.tr("&Edit"))
        self.action_settings = QAction(self.tr("&Settings\u2026"), self)
        self.action_settings.setStatusTip(self.tr("Change Layerline's settings"))
        self.action_settings.setShortcut(QKeySequence("Ctrl+,"))
        self.action_settings.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.action_settings.triggered.connect(open_settings)
        edit_menu.addAction(self.action_settings)

        view_menu = bar.addMenu(self.tr("&View"))
        self.area_actions: dict[str, QAction] = {}
        for i, info in enumerate(AREAS):
            act = QAction(_area_text(info.title), self)
            act.setStatusTip(_area_text(info.summary))
            self.area_actions[info.key] = act
            act.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            act.triggered.connect(lambda _=False, k=info.key: self.show_area(k))
            view_menu.addAction(act)
        view_menu.addSeparator()
        self.action_log = QAction(self.tr("&Log"), self)
        self.action_log.setStatusTip(self.tr("Show Layerline's log"))
        self.action_log.setShortcut(QKeySequence("Ctrl+L"))
        self.action_log.triggered.connect(open_log)
        view_menu.addAction(self.action_log)
        full = QAction(self.tr("&Full Screen"), self)
        self.action_fullscreen = full
        full.setShortcut(QKeySequence.StandardKey.FullScreen)
        full.triggered.connect(
            lambda: self.showNormal() if self.isFullScreen() else self.showFullScreen()
        )
        view_menu.addAction(full)

        help_menu = bar.addMenu(self.tr("&Help"))
        self.action_setup = QAction(self.tr("Set-up &Guide\u2026"), self)
        self.action_setup.setStatusTip(
            self.tr("Add a printer, library folders and your marketplace account"))
        self.action_setup.triggered.connect(self.open_setup_guide)
        self.action_setup.setEnabled(self._open_setup is not None)
        help_menu.addAction(self.action_setup)
        self.action_user_guide = QAction(self.tr("&User Guide"), self)
        self.action_user_guide.setShortcut(QKeySequence.StandardKey.HelpContents)
        self.action_user_guide.setStatusTip(self.tr("Open the user guide in your web browser"))
        self.action_user_guide.triggered.connect(
            lambda: QDesktopServices.openUrl(QUrl(USER_GUIDE_URL)))
        help_menu.addAction(self.action_user_guide)
        help_menu.addSeparator()
        about = QAction(self.tr("&About Layerline"), self)
        self.action_about = about
        about.setMenuRole(QAction.MenuRole.AboutRole)
        about.triggered.connect(show_about)
        help_menu.addAction(about)
        about_qt = QAction(self.tr("About &Qt"), self)
        about_qt.setMenuRole(QAction.MenuRole.AboutQtRole)
        about_qt.triggered.connect(QApplication.aboutQt)
        help_menu.addAction(about_qt)

    def open_setup_guide(self) -> object:
        """Open the first-run set-up guide (Help \u25b8 Set-up Guide); returns it."""
        return self._open_setup() if self._open_setup is not None else None

    def _install_icons(self) -> None:
        """The icon set's icons, once the window has painted (loading the
        icon fonts is kept off the first paint)."""
        from ui import icons

        for row, info in enumerate(AREAS):
            item = self.nav.item(row)
            if item is not None:
                item.setIcon(icons.icon(info.key))
        for key, action in (("open", self.action_open), ("import", self.action_import),
                            ("quit", self.action_quit), ("settings", self.action_settings),
                            ("log", self.action_log), ("fullscreen", self.action_fullscreen),
                            ("setup", self.action_setup), ("guide", self.action_user_guide),
                            ("about", self.action_about)):
            action.setIcon(icons.icon(key))
        for key, action in self.area_actions.items():
            action.setIcon(icons.icon(key))

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
            self, self.tr("Open files"), "",
            self.tr("Models and G-code (*.stl *.3mf *.obj *.gcode *.gco *.g *.bgcode *.zip)")
            + ";;" + self.tr("All files (*)"),
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
            QTimer.singleShot(0, self._install_icons)
