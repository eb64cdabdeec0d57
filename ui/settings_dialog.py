"""The settings dialog, built from the typed settings schema.

Every section of the settings model becomes a tab and every field a control
of the matching kind, so a new setting appears here without UI code.  Values
are validated by the model itself; an invalid value is reported in the dialog
and nothing is saved.
"""

from __future__ import annotations

import copy
import dataclasses
import typing
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)


class SettingsStoreLike(Protocol):
    """What the dialog needs of the settings store: ``settings`` (a dataclass
    of section dataclasses), ``update(new)`` which validates and saves (raising
    on an invalid value), and ``section_fields(cls)`` giving each field with its
    resolved type."""

    settings: Any

    def update(self, new: Any) -> None: ...


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


class SettingsDialog(QDialog):
    def __init__(
        self,
        store: SettingsStoreLike,
        secrets_description: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settings-dialog")
        self._store = store
        self._getters: dict[tuple[str, str], Callable[[], Any]] = {}
        self.tabs = QTabWidget()
        current = store.settings
        for f in dataclasses.fields(current):
            value = getattr(current, f.name)
            if dataclasses.is_dataclass(value):
                self.tabs.addTab(self._section_page(f.name, value), _label(f.name))
        self.error_label = QLabel()
        self.error_label.setObjectName("settings-error")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        secrets = QLabel(
            f"Secrets are kept in: {secrets_description}" if secrets_description else ""
        )
        secrets.setObjectName("secrets-store")
        secrets.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(secrets)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

    def _section_page(self, section: str, model: Any) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        hints = typing.get_type_hints(type(model))
        for f in dataclasses.fields(model):
            widget, getter = self._editor(hints[f.name], f.metadata, getattr(model, f.name))
            widget.setObjectName(f"{section}.{f.name}")
            widget.setAccessibleName(_label(f.name))
            if f.metadata.get("description"):
                widget.setToolTip(f.metadata["description"])
            form.addRow(_label(f.name), widget)
            self._getters[(section, f.name)] = getter
        return page

    def _editor(
        self, ann: Any, meta: Any, value: Any
    ) -> tuple[QWidget, Callable[[], Any]]:
        origin = typing.get_origin(ann)
        if ann is bool:
            box = QCheckBox()
            box.setChecked(bool(value))
            return box, box.isChecked
        if ann is int:
            spin = QSpinBox()
            lo = meta.get("ge")
            hi = meta.get("le")
            spin.setRange(0 if lo is None else lo, 1_000_000 if hi is None else hi)
            spin.setValue(int(value))
            return spin, spin.value
        if origin is typing.Literal:
            combo = QComboBox()
            for choice in typing.get_args(ann):
                combo.addItem(str(choice), choice)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            return combo, combo.currentData
        if origin is list:
            edit = QPlainTextEdit("\n".join(str(v) for v in value))
            edit.setPlaceholderText("one per line")
            edit.setMaximumHeight(90)
            return edit, lambda: [s.strip() for s in edit.toPlainText().splitlines() if s.strip()]
        line = QLineEdit(str(value))
        return line, line.text

    def values(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for (section, name), getter in self._getters.items():
            out.setdefault(section, {})[name] = getter()
        return out

    def accept(self) -> None:
        new = copy.deepcopy(self._store.settings)
        for (section, name), getter in self._getters.items():
            setattr(getattr(new, section), name, getter())
        try:
            self._store.update(new)  # validates; raises on an invalid value
        except Exception as exc:  # the store's own error type: shown, nothing saved
            self.error_label.setText(f"Not saved: {exc}")
            self.error_label.show()
            return
        super().accept()
