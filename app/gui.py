"""The window's path through start-up: Qt application, single instance,
services, bridges, main window, screenshot, event loop, ordered shutdown."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from app import logs, notify
from app import paths as paths_mod
from app import services as services_mod

log = logging.getLogger(__name__)

_T0 = time.monotonic()


def run(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QCoreApplication, Qt, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QWidget

    paths = paths_mod.resolve(args.basedir, temp_basedir=args.temp_basedir, demo=args.demo)
    ring = logs.setup(
        level=logging.DEBUG if args.debug else logging.INFO,
        json_logging=args.json_logging,
        log_dir=paths.logs,
    )
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    QCoreApplication.setOrganizationName("Layerline")
    QCoreApplication.setApplicationName("Layerline")
    QGuiApplication.setDesktopFileName(paths_mod.APP_ID)
    qapp = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(qapp, QApplication)
    _set_window_icon(qapp)
    _install_translators(qapp)

    from app import single_instance

    if args.files and not args.screenshot and single_instance.hand_over(paths.runtime, args.files):
        log.info("handed %d file(s) to the running instance", len(args.files))
        print(f"layerline: handed {len(args.files)} file(s) to the running Layerline")
        return 0

    services = services_mod.build(paths, ring, defer_database=True)
    window = build_window(qapp, services, no_error_dialogs=args.no_error_dialogs)
    server = single_instance.InstanceServer(paths.runtime)
    server.files_received.connect(window.open_files)
    server.files_received.connect(lambda _f: (window.raise_(), window.activateWindow()))
    services.register_cleanup("instance server", server.close)

    exit_code = 0
    if args.screenshot:
        target: Path = args.screenshot

        def take(widget: Any = None) -> None:
            nonlocal exit_code
            # Let queued layout and paint events settle, then render (the
            # set-up guide, when it is open, rather than the window).
            qapp.processEvents()
            shown = window.findChild(QWidget, "setup-wizard")
            if widget is None and shown is not None and shown.isVisible():
                widget = shown
            image = (widget or window).grab()
            target.parent.mkdir(parents=True, exist_ok=True)
            if not image.save(str(target), "PNG"):
                log.error("could not write the screenshot to %s", target)
                exit_code = 1
            else:
                log.info("screenshot saved to %s (%dx%d)", target, image.width(), image.height(),
                         extra={"event": "screenshot-saved"})
            if not args.keep_running:
                qapp.quit()

        view = getattr(args, "screenshot_view", None)
        if view:  # one area tab or dialog of the reviews screens (app/reviews_gui.py)
            gui = window.reviews_gui  # type: ignore[attr-defined]
            window.library_ready.connect(lambda: gui.when_ready(
                lambda: gui.screenshot(view, take)))
        else:
            # Once the window has painted and its areas are all in place.
            delay_ms = max(0, int(args.screenshot_delay * 1000))
            window.library_ready.connect(lambda: QTimer.singleShot(delay_ms, take))

    # The database opens once the window is on screen (see Database).
    window.painted.connect(services.database.start)
    window.painted.connect(
        lambda: log.info("first paint %.3f s after start", time.monotonic() - _T0,
                         extra={"event": "first-paint"})
    )
    # SIGTERM/SIGINT end the event loop, so that shutdown runs in order (the
    # demo's child processes stopped, jobs saved); a timer lets Python run
    # its signal handlers while Qt's loop waits.
    import signal

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: qapp.quit())
    wake = QTimer(window)
    wake.timeout.connect(lambda: None)
    wake.start(250)

    if args.area:
        window.show_area(args.area)
    # The set-up guide: on the first start (not for screenshots or the demo,
    # which has its printer), or when asked for.
    if args.setup_guide or not (args.screenshot or paths.demo or setup_done(services)):
        page = args.setup_guide or "welcome"
        window.painted.connect(lambda: window.open_setup_guide().show_page(page))
    window.show()
    if args.files:
        QTimer.singleShot(0, lambda: window.open_files(args.files))
    try:
        code = qapp.exec()
    finally:
        window.save_geometry()
        services.shutdown()
    return exit_code or code


def _set_window_icon(qapp: Any) -> None:
    """The application icon: the desktop theme's when installed, else ours."""
    from PySide6.QtGui import QIcon

    from resources import app_icon_files

    fallback = QIcon()
    for f in app_icon_files():
        fallback.addFile(str(f))
    qapp.setWindowIcon(QIcon.fromTheme(paths_mod.APP_ID, fallback))


def _install_translators(qapp: Any) -> None:
    """Qt's own strings and ours (``resources/translations/layerline_<lang>.qm``,
    made by scripts/translations.sh --release) in the system's language;
    English, the source language, needs none."""
    from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator

    from resources import translations_dir

    locale = QLocale()
    for name, directory in (
        ("qtbase", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
        ("layerline", str(translations_dir())),
    ):
        translator = QTranslator(qapp)
        if translator.load(locale, name, "_", directory):
            qapp.installTranslator(translator)
            log.debug("translations loaded: %s for %s", name, locale.name())


def build_window(
    qapp: object, services: services_mod.Services, *, no_error_dialogs: bool
) -> object:
    """Wire the window to the services (the UI half of the composition root)."""
    from importlib.metadata import version

    from ui import dialogs, theme
    from ui.bridges import GuiCaller, LogBridge, NotifierBridge
    from ui.main_window import MainWindow
    from ui.settings_dialog import SettingsDialog

    theme.apply(qapp, services.settings.settings.general.theme)  # type: ignore[arg-type]
    services.settings.subscribe(lambda s: theme.apply(qapp, s.general.theme))  # type: ignore[arg-type]
    notifier_bridge = NotifierBridge(services.notifier)
    log_bridge = LogBridge(services.ring)
    services.register_cleanup("log bridge", log_bridge.close)

    holder: dict[str, object] = {}

    def open_settings() -> None:
        dlg = SettingsDialog(services.settings, services.secrets.description, holder["w"])  # type: ignore[arg-type]
        dlg.open()

    def open_log() -> None:
        viewer = holder.get("log")
        if viewer is None:
            viewer = dialogs.LogViewer(services.ring.lines(), log_bridge, holder["w"])  # type: ignore[arg-type]
            holder["log"] = viewer
        viewer.show()  # type: ignore[attr-defined]
        viewer.raise_()  # type: ignore[attr-defined]

    window = MainWindow(
        open_setup=lambda: open_setup_guide(services, holder),
        notifier_bridge=notifier_bridge,
        geometry_file=services.paths.config / "window.ini",
        open_settings=open_settings,
        open_log=open_log,
        show_about=lambda: dialogs.show_about(
            window, version("layerline"), str(services.paths.data)
        ),
    )
    holder["w"] = window
    notifier_bridge.setParent(window)
    log_bridge.setParent(window)

    # The Library area needs the database and numpy: its service is built on
    # the database thread once the database is open (after the first paint),
    # then its page is installed on the GUI thread.  Files opened before that
    # wait for it.
    caller = GuiCaller(window)
    library: dict[str, Any] = {"page": None, "pending": []}

    def install_library() -> None:
        if services.is_closed:  # shut down before the database was ready
            return
        page = build_library(services, window)
        library["page"] = page
        window.library_ready.emit()  # type: ignore[attr-defined]
        if library["pending"]:
            page.import_paths(library["pending"])  # type: ignore[attr-defined]
            library["pending"] = []

    def library_service_ready() -> None:  # on the database thread
        try:
            _ = services.library  # builds it (imports numpy, the parsers) off the GUI thread
        except services_mod.ServicesClosedError:
            return  # shut down before the database was ready
        caller.call(install_library)

    services.database.on_ready(library_service_ready)
    services.database.on_ready(lambda: _start_outbox(services))
    _add_history_area(window, services, caller)

    def files_opened(files: list[Path]) -> None:
        # Files opened or dropped go to the library (G-code joins it too).
        names = ", ".join(f.name for f in files[:3]) + ("\u2026" if len(files) > 3 else "")
        services.notifier.post(f"Importing {len(files)} item(s): {names}")
        window.show_area("library")
        if library["page"] is None:
            library["pending"].extend(files)
        else:
            library["page"].import_paths(files)

    window.files_opened.connect(files_opened)
    holder["import"] = window.open_files
    printers_bridge = _add_printers_area(window, services)
    # The Marketplace area, the end-of-print dialog and the review screens
    # (app/reviews_gui.py): the reviews service is built once the database is open.
    from app.reviews_gui import ReviewsGui

    reviews_gui = ReviewsGui(window, services, printers_bridge, caller.call)
    window.reviews_gui = reviews_gui  # type: ignore[attr-defined]
    services.database.on_ready(reviews_gui.database_ready)
    if services.paths.demo:
        _start_demo_marketplace(services, on_up=reviews_gui.demo_sign_in)
    install_excepthook(services, window, no_error_dialogs=no_error_dialogs)
    return window


def setup_done(services: services_mod.Services) -> bool:
    """Whether the set-up guide was shown once (finished or skipped)."""
    from PySide6.QtCore import QSettings

    state = QSettings(str(services.paths.config / "state.ini"), QSettings.Format.IniFormat)
    return str(state.value("setup/done", "false")).lower() == "true"


def open_setup_guide(services: services_mod.Services, holder: dict[str, Any]) -> object:
    """Open the first-run set-up guide (one at a time); its blocking steps run
    on its worker thread through :mod:`app.first_run`."""
    from PySide6.QtCore import QSettings, Qt

    from app import first_run
    from ui.setup_wizard import SetupActions, SetupResult, SetupWizard

    window: Any = holder["w"]
    existing = holder.get("setup")
    if existing is not None and existing.isVisible():
        existing.raise_()
        existing.activateWindow()
        return existing
    settings = services.settings

    def finished(result: SetupResult) -> None:
        state = QSettings(str(services.paths.config / "state.ini"), QSettings.Format.IniFormat)
        state.setValue("setup/done", "true")
        state.sync()
        if result.folders != settings.settings.library.folders:
            new = settings.settings.copy()
            new.library.folders = list(result.folders)
            settings.update(new)
        if result.printer:
            window.show_area("printers")
        holder["setup"] = None

    actions = SetupActions(
        serial_ports=first_run.serial_ports,
        add_serial_printer=lambda n, p, b: first_run.add_serial_printer(services, n, p, b),
        add_octoprint_printer=lambda n, u, user, pw: first_run.add_octoprint_printer(
            services, n, u, user, pw),
        start_demo_printer=lambda: first_run.start_demo_printer(services),
        marketplace_sign_in=lambda u, user, pw: first_run.marketplace_sign_in(
            services, u, user, pw),
        import_folders=holder["import"],
        finished=finished,
        marketplace_url=settings.settings.marketplace.url,
        library_folders=list(settings.settings.library.folders),
    )
    wizard = SetupWizard(actions, window)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    holder["setup"] = wizard
    wizard.open()
    return wizard


def _add_history_area(window: object, services: services_mod.Services, caller: Any) -> None:
    """The Queue & History area: its service is built on the database thread
    once the database is open (its first sync, the backfill, then runs on
    its own work thread); the page is installed on the GUI thread."""

    def install(history: Any) -> None:
        if services.is_closed:
            return
        from ui.history.bridge import HistoryBridge
        from ui.history.page import HistoryArea

        bridge = HistoryBridge(history)
        services.register_cleanup("history bridge", bridge.close)
        area = HistoryArea(bridge)
        bridge.setParent(area)
        bridge.failed.connect(lambda exc: services.notifier.post(
            str(exc), notify.Level.ERROR))
        area.history.exported.connect(
            lambda text: services.notifier.post(text, notify.Level.SUCCESS))
        window.set_area_page("history", area)  # type: ignore[attr-defined]

    def ready() -> None:  # on the database thread
        try:
            history = services.history
        except services_mod.ServicesClosedError:
            return
        caller.call(lambda: install(history))

    services.database.on_ready(ready)


def _add_printers_area(window: object, services: services_mod.Services) -> Any:
    """The Printers area; in the demo, a virtual printer started on the
    bridge's worker thread (stopped at shutdown)."""
    from ui.printers.area import PrintersArea
    from ui.printers.bridge import PrintersBridge

    bridge = PrintersBridge(services.printers)
    services.register_cleanup("printers bridge", bridge.close)
    area = PrintersArea(bridge)
    bridge.setParent(area)
    bridge.failed.connect(lambda text: services.notifier.post(text, notify.Level.ERROR))
    # The farm's dashboard and queue wrap the printers' pages; built (and
    # their modules imported) just after the first paint, off its path.
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    page = QWidget()
    page.setObjectName("printers-page")
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(area)
    window.set_area_page("printers", page)  # type: ignore[attr-defined]
    window.painted.connect(  # type: ignore[attr-defined]
        lambda: None if services.is_closed else layout.addWidget(_farm_area(services, area)))
    if services.paths.demo:
        def start_demo() -> None:
            conn = services.printers.start_virtual()
            if conn.wait_for(lambda s: s.link.value == "operational", 10):
                conn.send("M104 S200")
                conn.send("M140 S60")

        bridge.run(start_demo)  # off the GUI thread, in parallel with the first paint
    return bridge


def _start_outbox(services: services_mod.Services) -> None:
    """The outbox sender and the catch-up of receipts, once the database is
    open (on a short-lived thread: the secret store may take a moment)."""
    def run() -> None:
        from app import reviews_glue

        try:
            if services.settings.settings.marketplace.sync_automatically:
                services.start_outbox_sender()
            reviews_glue.record_ended_jobs(services)
        except services_mod.ServicesClosedError:
            return
        except Exception:
            log.exception("the outbox could not be started")

    threading.Thread(target=run, name="outbox-start", daemon=True).start()


def _farm_area(services: services_mod.Services, details: Any) -> Any:
    """The farm dashboard and queue, with the serial printers' pages as its
    Details tab.  The farm service (SQLAlchemy, the OctoPrint client) is built
    and started on the database thread once the database is open, never on
    the GUI thread nor before the first paint; the dashboard then follows it."""
    from ui.bridges import GuiCaller
    from ui.farm.area import FarmArea
    from ui.farm.bridge import FarmBridge
    from ui.farm.tray import TrayNotifier

    bridge = FarmBridge(None)
    bridge.failed.connect(lambda text: services.notifier.post(text, notify.Level.ERROR))
    tray = TrayNotifier(lambda text, level: services.notifier.post(
        text, notify.Level(level), source="farm"))
    holder: dict[str, Any] = {}

    def show_details(name: str) -> None:
        names = details.model.names()
        if name in names:
            details.list.setCurrentIndex(details.model.index(names.index(name)))

    def snapshot(name: str) -> bytes | None:  # on the dashboard's camera workers
        farm = holder.get("farm")
        data: bytes | None = None if farm is None else farm.supervisor.printer(name).snapshot()
        return data

    area = FarmArea(bridge, None, details=details, show_details=show_details,
                    snapshot=snapshot, on_job_end=tray.notify)
    bridge.setParent(area)
    tray.setParent(area)
    caller = GuiCaller(area)

    def start() -> None:  # on the database thread
        try:
            farm = services.farm
        except services_mod.ServicesClosedError:
            return
        holder["farm"] = farm
        farm.start()
        bridge.attach(farm.supervisor)
        caller.call(lambda: area.set_queue(farm.queue, farm.supervisor))

    services.database.on_ready(start)
    services.register_cleanup("farm dashboard", lambda: (area.shutdown(), bridge.close(),
                                                         tray.close()))
    return area


def _start_demo_marketplace(services: services_mod.Services,
                            on_up: Any = None) -> None:
    """The demo's marketplace service on loopback (started off the GUI thread)."""
    from app.demo_marketplace import DemoMarketplace

    market = DemoMarketplace(services.paths.data / "marketplace", services.paths.logs)

    def ready(url: str | None, error: str | None) -> None:
        if url:
            services.marketplace_url_override = url  # it may not be on the usual port
            services.notifier.post(f"Demo marketplace running at {url} (user 'demo')",
                                   notify.Level.SUCCESS)
            if on_up is not None:
                on_up()  # on the demo's worker thread
        else:
            services.notifier.post(error or "the demo marketplace did not start",
                                   notify.Level.WARNING)

    market.start(ready)
    services.register_cleanup("demo marketplace", market.stop)


def build_library(services: services_mod.Services, window: object) -> object:
    """The Library area: its bridge and page; interrupted imports resume in
    the background, and the demo's empty library gets the sample models."""
    from ui.library.bridge import LibraryBridge
    from ui.library.page import LibraryPage

    lib = services.library
    bridge = LibraryBridge(lib, window)  # type: ignore[arg-type]
    services.register_cleanup("library bridge", bridge.close)
    page = LibraryPage(bridge)
    window.set_area_page("library", page)  # type: ignore[attr-defined]
    lib.resume_unfinished()
    if services.paths.demo:
        from resources import samples_dir

        def seed() -> None:
            from library import search

            if search.count_models(lib.engine) == 0:
                lib.import_paths([samples_dir()])

        lib.submit(seed)
    return page


def install_excepthook(
    services: services_mod.Services, window: object, *, no_error_dialogs: bool
) -> None:
    """Known errors become a message; anything else is a bug: crash report,
    log, and (unless ``--no-error-dialogs``) the crash dialog."""
    from PySide6.QtCore import QObject, Qt, Signal

    class _Marshal(QObject):
        bug = Signal(object, object)

    marshal = _Marshal(window)  # type: ignore[arg-type]

    def on_bug(exc: BaseException, report: Path) -> None:
        from ui.dialogs import CrashDialog

        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        dlg = CrashDialog(f"{type(exc).__name__}: {exc}", details + "\n" + services.ring.tail(),
                          str(report), window)  # type: ignore[arg-type]
        dlg.open()

    marshal.bug.connect(on_bug, Qt.ConnectionType.QueuedConnection)

    def handle(exc: BaseException) -> None:
        if services.errors.is_known(exc):
            services.notifier.post(str(exc), notify.Level.ERROR)
            return
        # Logged and reported at once, on the failing thread, so that nothing
        # is ever silent; only the dialog waits for the GUI thread.
        report = services.errors.write_crash_report(exc, services.ring.tail())
        log.critical("unexpected error; crash report at %s", report, exc_info=exc)
        if not no_error_dialogs:
            marshal.bug.emit(exc, report)

    def excepthook(
        etype: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(etype, KeyboardInterrupt):
            sys.__excepthook__(etype, value, tb)
            return
        handle(value.with_traceback(tb))

    def thread_hook(hook_args: threading.ExceptHookArgs) -> None:
        if hook_args.exc_value is not None:
            handle(hook_args.exc_value)

    sys.excepthook = excepthook
    threading.excepthook = thread_hook
