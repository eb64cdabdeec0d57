"""The first-run set-up guide: a printer, library folders, the marketplace.

Shown once on the first start (skippable), and again from Help \u25b8 Set-up
Guide.  The wizard does no I/O itself: what may block (finding serial ports,
talking to OctoPrint or the marketplace, the database) is given to it as
:class:`SetupActions` callables, run on the wizard's worker thread; results
come back to the GUI thread through a queued signal.  While one runs, the
page shows a busy bar and the user may go back or skip: a late answer is
then ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

log = logging.getLogger(__name__)

BAUD_RATES = (250000, 115200, 57600, 38400, 19200, 9600)


@dataclass
class SetupActions:
    """What the wizard may do.  The blocking ones run on its worker thread;
    ``import_folders`` and ``finished`` are called on the GUI thread and must
    not block (they hand over to a service)."""

    serial_ports: Callable[[], list[Any]]            # items with .device and .label
    add_serial_printer: Callable[[str, str, int], str]
    add_octoprint_printer: Callable[[str, str, str, str], str]  # name, url, user, password
    start_demo_printer: Callable[[], str]
    marketplace_sign_in: Callable[[str, str, str], str]         # url, user, password
    import_folders: Callable[[list[Path]], None]
    finished: Callable[[SetupResult], None]
    marketplace_url: str = "http://127.0.0.1:8765"
    library_folders: list[str] = field(default_factory=list)


@dataclass
class SetupResult:
    """What the guide did; given to ``SetupActions.finished`` when it closes
    (also when skipped: ``completed`` is then False)."""

    completed: bool = False
    printer: str | None = None
    folders: list[str] = field(default_factory=list)
    marketplace_user: str | None = None


class _Worker(QObject):
    """One background thread; ``run(fn, ok, err)`` calls ``ok(result)`` or
    ``err(message)`` on the GUI thread unless the request was superseded."""

    _done = Signal(object, object, object, int)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="setup-wizard")
        self._generation = 0
        self._done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def run(self, fn: Callable[[], Any], ok: Callable[[Any], None],
            err: Callable[[str], None]) -> None:
        self._generation += 1
        gen = self._generation

        def call() -> None:
            try:
                result = fn()
            except Exception as exc:
                log.info("set-up step failed: %s", exc)
                self._done.emit(err, str(exc) or type(exc).__name__, None, gen)
                return
            self._done.emit(ok, result, None, gen)

        self._pool.submit(call)

    def forget(self) -> None:
        """Ignore the answer of whatever is running (the user moved on)."""
        self._generation += 1

    @Slot(object, object, object, int)
    def _deliver(self, callback: Callable[[Any], None], value: Any, _unused: Any,
                 gen: int) -> None:
        if gen == self._generation:
            callback(value)

    def close(self) -> None:
        self.forget()
        self._pool.shutdown(wait=False, cancel_futures=True)


class _BusyPage(QWizardPage):
    """A page whose Next may first run a step in the background."""

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self._done = False
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setAccessibleName(self.tr("Working"))
        self.busy.hide()
        self.error = QLabel()
        self.error.setObjectName("setup-error")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()

    def step(self) -> Callable[[], Any] | None:
        """The background step to run on Next (None: nothing to do)."""
        return None

    def step_done(self, result: Any) -> None:
        """Called with the step's result on the GUI thread."""

    def validatePage(self) -> bool:
        if self._done:
            return True
        fn = self.step()
        if fn is None:
            return True
        self._set_busy(True)
        self._wizard.worker.run(fn, self._ok, self._failed)
        return False

    def initializePage(self) -> None:
        self._done = False
        self.error.hide()

    def cleanupPage(self) -> None:  # going Back while a step runs: forget it
        self._wizard.worker.forget()
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        if busy:
            self.error.hide()
        for child in self.findChildren(QWidget):
            if child is not self.busy and not isinstance(child, QLabel):
                child.setEnabled(not busy)
        self._wizard.button(QWizard.WizardButton.NextButton).setEnabled(not busy)
        self._wizard.button(QWizard.WizardButton.FinishButton).setEnabled(not busy)

    def _ok(self, result: Any) -> None:
        self._set_busy(False)
        self.step_done(result)
        self._done = True
        if self._wizard.currentPage() is self:
            if self.isFinalPage():
                self._wizard.accept()
            else:
                self._wizard.next()

    def _failed(self, message: str) -> None:
        self._set_busy(False)
        self.error.setText("\u2716 " + message)
        self.error.show()


class WelcomePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(self.tr("Welcome to Layerline"))
        self.setSubTitle(self.tr("Three short steps, each of them optional."))
        text = QLabel(self.tr(
            "Layerline keeps your model files, drives your printers and shares what "
            "printed well.<br><br>This guide helps you to:<ul>"
            "<li>add a printer (USB, OctoPrint, or the demo printer),</li>"
            "<li>add the folders where your models are,</li>"
            "<li>sign in to the model marketplace.</li></ul>"
            "You can skip it now and open it again from <b>Help \u25b8 Set-up Guide</b>."))
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addStretch(1)


class AddPrinterPage(_BusyPage):
    """A USB serial printer, an OctoPrint server, the demo printer, or none."""

    KINDS = ("serial", "octoprint", "demo", "none")

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self.setTitle(self.tr("Add a printer"))
        self.setSubTitle(self.tr("How is your printer connected?"))
        self.kind_group = QButtonGroup(self)
        labels = {
            "serial": self.tr("&USB cable (serial port)"),
            "octoprint": self.tr("&OctoPrint server"),
            "demo": self.tr("No printer at hand: start the &demo printer"),
            "none": self.tr("&Not now"),
        }
        self.kind_buttons: dict[str, QRadioButton] = {}
        radios = QVBoxLayout()
        for i, kind in enumerate(self.KINDS):
            btn = QRadioButton(labels[kind])
            btn.setObjectName(f"printer-kind-{kind}")
            self.kind_group.addButton(btn, i)
            self.kind_buttons[kind] = btn
            radios.addWidget(btn)
        self.forms = QStackedWidget()
        self.forms.addWidget(self._serial_form())
        self.forms.addWidget(self._octoprint_form())
        demo = QLabel(self.tr(
            "A simulated Marlin printer runs inside Layerline: it heats, prints and "
            "reports like a real one. Nothing is sent to any hardware."))
        demo.setWordWrap(True)
        self.forms.addWidget(demo)
        self.forms.addWidget(QLabel(self.tr("You can add printers later in the Printers area.")))
        self.kind_group.idToggled.connect(self._kind_toggled)
        layout = QVBoxLayout(self)
        layout.addLayout(radios)
        layout.addWidget(self.forms)
        layout.addStretch(1)
        layout.addWidget(self.busy)
        layout.addWidget(self.error)
        self.kind_buttons["serial"].setChecked(True)

    # -- forms -----------------------------------------------------------
    def _serial_form(self) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        self.serial_name = QLineEdit(self.tr("My printer"))
        self.serial_name.setAccessibleName(self.tr("Printer name"))
        self.serial_port = QComboBox()
        self.serial_port.setEditable(True)
        self.serial_port.setAccessibleName(self.tr("Serial port"))
        self.serial_port.setToolTip(self.tr(
            "The ports found on this computer; you may also type a device path."))
        self.serial_port.lineEdit().setPlaceholderText(self.tr("Searching for ports\u2026"))
        self.rescan = QPushButton(self.tr("&Rescan"))
        self.rescan.setToolTip(self.tr("Look for serial ports again (plug the printer in first)"))
        self.rescan.clicked.connect(self.scan_ports)
        port_row = QHBoxLayout()
        port_row.addWidget(self.serial_port, 1)
        port_row.addWidget(self.rescan)
        self.serial_baud = QComboBox()
        self.serial_baud.setAccessibleName(self.tr("Baud rate"))
        for b in BAUD_RATES:
            self.serial_baud.addItem(str(b), b)
        self.serial_baud.setCurrentIndex(BAUD_RATES.index(115200))
        self.serial_baud.setToolTip(self.tr("Marlin printers use 115200 or 250000"))
        port_label = QLabel(self.tr("&Port:"))
        port_label.setBuddy(self.serial_port)
        form.addRow(self.tr("&Name:"), self.serial_name)
        form.addRow(port_label, port_row)
        form.addRow(self.tr("&Speed:"), self.serial_baud)
        return w

    def _octoprint_form(self) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        self.op_name = QLineEdit(self.tr("OctoPrint"))
        self.op_name.setAccessibleName(self.tr("Printer name"))
        self.op_url = QLineEdit()
        self.op_url.setPlaceholderText("http://octopi.local")
        self.op_url.setAccessibleName(self.tr("OctoPrint address"))
        self.op_user = QLineEdit()
        self.op_user.setAccessibleName(self.tr("OctoPrint user name"))
        self.op_password = QLineEdit()
        self.op_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.op_password.setAccessibleName(self.tr("OctoPrint password"))
        note = QLabel(self.tr(
            "Layerline logs in once to get its own API key, kept in your system's "
            "keyring. Your password is not stored."))
        note.setWordWrap(True)
        form.addRow(self.tr("&Name:"), self.op_name)
        form.addRow(self.tr("&Address:"), self.op_url)
        form.addRow(self.tr("&User:"), self.op_user)
        form.addRow(self.tr("Pass&word:"), self.op_password)
        form.addRow(note)
        return w

    # -- behaviour -------------------------------------------------------
    def kind(self) -> str:
        return self.KINDS[max(self.kind_group.checkedId(), 0)]

    def _kind_toggled(self, index: int, checked: bool) -> None:
        if checked:
            self.forms.setCurrentIndex(index)
            self.error.hide()

    def initializePage(self) -> None:
        super().initializePage()
        self.scan_ports()

    def scan_ports(self) -> None:
        self.rescan.setEnabled(False)
        self._wizard.ports_worker.run(self._wizard.actions.serial_ports, self._ports_found,
                                      self._ports_failed)

    def _ports_found(self, ports: list[Any]) -> None:
        self.rescan.setEnabled(True)
        typed = self.serial_port.currentText() if self.serial_port.count() == 0 else ""
        self.serial_port.clear()
        for p in ports:
            self.serial_port.addItem(p.label, p.device)
        if typed:
            self.serial_port.setEditText(typed)
        elif ports and not getattr(ports[0], "likely", True):
            # Only legacy ports (no USB printer plugged in): choose none.
            self.serial_port.setCurrentIndex(-1)
            self.serial_port.setEditText("")
        self.serial_port.lineEdit().setPlaceholderText(
            self.tr("No USB printer found: plug it in and rescan, or type a path")
            if not any(getattr(p, "likely", True) for p in ports) else "")

    def _ports_failed(self, message: str) -> None:
        self.rescan.setEnabled(True)
        self.serial_port.lineEdit().setPlaceholderText(message)

    def port(self) -> str:
        i = self.serial_port.currentIndex()
        text = self.serial_port.currentText()
        if i >= 0 and text == self.serial_port.itemText(i):
            return str(self.serial_port.itemData(i))
        return text.strip()

    def step(self) -> Callable[[], Any] | None:
        a = self._wizard.actions
        kind = self.kind()
        if kind == "serial":
            name, port, baud = self.serial_name.text(), self.port(), int(
                self.serial_baud.currentData())
            return lambda: a.add_serial_printer(name, port, baud)
        if kind == "octoprint":
            name, url = self.op_name.text(), self.op_url.text()
            user, password = self.op_user.text(), self.op_password.text()
            return lambda: a.add_octoprint_printer(name, url, user, password)
        if kind == "demo":
            return a.start_demo_printer
        return None

    def step_done(self, result: Any) -> None:
        self._wizard.result.printer = str(result)
        self.op_password.clear()


class FoldersPage(QWizardPage):
    """The folders where the user keeps models; imported in the background."""

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(self.tr("Add your model folders"))
        self.setSubTitle(self.tr(
            "Layerline imports the STL, 3MF, OBJ and G-code files in them, in the background."))
        self.folders = QListWidget()
        self.folders.setAccessibleName(self.tr("Library folders"))
        self.folders.addItems(wizard.actions.library_folders)
        self.add_button = QPushButton(self.tr("&Add Folder\u2026"))
        self.add_button.setToolTip(self.tr("Choose a folder of models to import"))
        self.add_button.clicked.connect(self._ask_folder)
        self.remove_button = QPushButton(self.tr("&Remove"))
        self.remove_button.setToolTip(self.tr("Forget the selected folder (its files stay)"))
        self.remove_button.clicked.connect(self._remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.folders)
        layout.addLayout(buttons)

    def _ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a folder of models"))
        if folder:
            self.add_folder(folder)

    def add_folder(self, folder: str) -> None:
        if folder not in self.chosen():
            self.folders.addItem(folder)

    def _remove_selected(self) -> None:
        for item in self.folders.selectedItems():
            self.folders.takeItem(self.folders.row(item))

    def chosen(self) -> list[str]:
        return [self.folders.item(i).text() for i in range(self.folders.count())]

    def validatePage(self) -> bool:
        known = set(self._wizard.actions.library_folders)
        new = [f for f in self.chosen() if f not in known]
        self._wizard.result.folders = self.chosen()
        if new:
            self._wizard.actions.import_folders([Path(f) for f in new])
        return True


class SignInPage(_BusyPage):
    """Optional: sign in to the marketplace (leave empty to skip)."""

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self.setTitle(self.tr("Sign in to the marketplace"))
        self.setSubTitle(self.tr(
            "Optional: share reviews and print profiles, and earn points. "
            "Leave it empty to skip."))
        self.url = QLineEdit(wizard.actions.marketplace_url)
        self.url.setAccessibleName(self.tr("Marketplace address"))
        self.user = QLineEdit()
        self.user.setAccessibleName(self.tr("Marketplace user name"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(self.tr("Marketplace password"))
        form = QFormLayout()
        form.addRow(self.tr("&Address:"), self.url)
        form.addRow(self.tr("&User:"), self.user)
        form.addRow(self.tr("Pass&word:"), self.password)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.busy)
        layout.addWidget(self.error)

    def step(self) -> Callable[[], Any] | None:
        if not self.user.text().strip():
            return None
        url, user, password = self.url.text(), self.user.text().strip(), self.password.text()
        return lambda: self._wizard.actions.marketplace_sign_in(url, user, password)

    def step_done(self, result: Any) -> None:
        self._wizard.result.marketplace_user = str(result)
        self.password.clear()


class SummaryPage(QWizardPage):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(self.tr("All set"))
        self.summary = QLabel()
        self.summary.setObjectName("setup-summary")
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addStretch(1)

    def initializePage(self) -> None:
        r = self._wizard.result
        lines = [
            self.tr("Printer: %s") % r.printer if r.printer else self.tr("No printer added."),
            self.tr("Library folders: %d (importing in the background)") % len(r.folders)
            if r.folders else self.tr("No library folders."),
            self.tr("Marketplace: signed in as %s") % r.marketplace_user
            if r.marketplace_user else self.tr("Marketplace: not signed in."),
            "",
            self.tr("Open this guide again any time from Help \u25b8 Set-up Guide."),
        ]
        self.summary.setText("\n".join(lines))


class SetupWizard(QWizard):
    """See the module docstring.  ``closed`` is emitted once, with the
    :class:`SetupResult`, after ``actions.finished`` was called."""

    closed = Signal(object)

    def __init__(self, actions: SetupActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("setup-wizard")
        self.setWindowTitle(self.tr("Set Up Layerline"))
        self.setAccessibleName(self.tr("Set-up guide"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.WizardButton.CancelButton, self.tr("&Skip"))
        self.button(QWizard.WizardButton.CancelButton).setToolTip(
            self.tr("Close the guide; open it again from Help \u25b8 Set-up Guide"))
        self.actions = actions
        self.result = SetupResult(folders=list(actions.library_folders))
        self.worker = _Worker(self)
        self.ports_worker = _Worker(self)
        self.intro_page = WelcomePage()
        self.printer_page = AddPrinterPage(self)
        self.folders_page = FoldersPage(self)
        self.marketplace_page = SignInPage(self)
        self.done_page = SummaryPage(self)
        for page in (self.intro_page, self.printer_page, self.folders_page,
                     self.marketplace_page, self.done_page):
            self.addPage(page)
        self.resize(640, 520)
        self.finished.connect(self._on_finished)

    def show_page(self, key: str) -> None:
        """Go to a page: "welcome", "printer", "folders" or "marketplace"
        (through the pages before it, which are all optional)."""
        pages = {"welcome": self.intro_page, "printer": self.printer_page,
                 "folders": self.folders_page, "marketplace": self.marketplace_page}
        target = pages[key]
        while self.currentPage() is not target and self.currentPage() is not self.done_page:
            before = self.currentPage()
            if before is self.printer_page:
                before.kind_buttons["none"].setChecked(True)
            self.next()
            if self.currentPage() is before:
                break

    def _on_finished(self, code: int) -> None:
        self.worker.close()
        self.ports_worker.close()
        self.result.completed = code == QWizard.DialogCode.Accepted.value
        self.actions.finished(self.result)
        self.closed.emit(self.result)
