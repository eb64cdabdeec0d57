"""Small dialogs: the log viewer, the crash dialog, the About box."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.bridges import LogBridge


class LogViewer(QDialog):
    """The log ring buffer, live, with a filter."""

    def __init__(self, lines: list[str], bridge: LogBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Log")
        self.setObjectName("log-viewer")
        self.resize(900, 500)
        self._all = list(lines)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter (text or logger name)")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Log filter")
        self.view = QPlainTextEdit()
        self.view.setReadOnly(True)
        self.view.setMaximumBlockCount(5000)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.view.setAccessibleName("Log lines")
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.view)
        self.filter.textChanged.connect(self._refilter)
        bridge.line.connect(self._append)
        self._refilter("")

    def _matches(self, line: str) -> bool:
        needle = self.filter.text().strip().lower()
        return not needle or needle in line.lower()

    def _refilter(self, _text: str) -> None:
        self.view.setPlainText("\n".join(x for x in self._all[-5000:] if self._matches(x)))

    def _append(self, line: str) -> None:
        self._all.append(line)
        del self._all[:-5000]
        if self._matches(line):
            self.view.appendPlainText(line)


class CrashDialog(QDialog):
    """Shown for a bug (not a known error): what happened, where the report is."""

    def __init__(self, summary: str, details: str, report_path: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Layerline ran into a bug")
        self.setObjectName("crash-dialog")
        self.resize(760, 460)
        text = QLabel(
            f"<b>Something went wrong that should not have.</b><br>{summary}<br><br>"
            f"A crash report was written to <tt>{report_path}</tt>. "
            "Your data is safe; you can keep working, or quit and start again."
        )
        text.setWordWrap(True)
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        copy = QPushButton("Copy details")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(details))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(copy)
        row.addStretch(1)
        row.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.details)
        layout.addLayout(row)


def show_about(parent: QWidget, version: str, data_dir: str) -> None:
    QMessageBox.about(
        parent,
        "About Layerline",
        f"<h3>Layerline {version}</h3>"
        "<p>The 3D print station and print farm companion: your model library, "
        "your printers and the marketplace, tied together by what really printed.</p>"
        f"<p>Data: <tt>{data_dir}</tt></p>"
        "<p>Licensed under the GNU GPL v3 or later.</p>",
    )
