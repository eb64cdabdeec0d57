"""The settings dialog, built from the typed settings schema.

Every section of the settings model becomes a tab and every field a control
of the matching kind, so a new setting appears here without UI code.  Values
are validated by the model itself; an invalid value is reported in the dialog
and nothing is saved.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
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
    settings: Any

    def update(self, new: Any) -> None: ...


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _bounds(info: FieldInfo) -> tuple[int, int]:
    lo, hi = 0, 1_000_000
    for m in info.metadata:
        lo = getattr(m, "ge", lo) if getattr(m, "ge", None) is not None else lo
        hi = getattr(m, "le", hi) if getattr(m, "le", None) is not None else hi
    return int(lo), int(hi)


class SettingsDialog(QDialog):
    def __init__(
        self, store: SettingsStoreLike, secrets_description: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settings-dialog")
        self._store = store
        self._getters: dict[tuple[str, str], Callable[[], Any]] = {}
        self.tabs = QTabWidget()
        current: BaseModel = store.settings
        for section_name in type(current).model_fields:
            value = getattr(current, section_name)
            if not isinstance(value, BaseModel):
                continue
            self.tabs.addTab(self._section_page(section_name, value), _label(section_name))
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

    def _section_page(self, section: str, model: BaseModel) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        for name, info in type(model).model_fields.items():
            widget, getter = self._editor(info, getattr(model, name))
            widget.setObjectName(f"{section}.{name}")
            widget.setAccessibleName(_label(name))
            if info.description:
                widget.setToolTip(info.description)
            form.addRow(_label(name), widget)
            self._getters[(section, name)] = getter
        return page

    def _editor(self, info: FieldInfo, value: Any) -> tuple[QWidget, Callable[[], Any]]:
        ann = info.annotation
        origin = typing.get_origin(ann)
        if ann is bool:
            box = QCheckBox()
            box.setChecked(bool(value))
            return box, box.isChecked
        if ann is int:
            spin = QSpinBox()
            lo, hi = _bounds(info)
            spin.setRange(lo, hi)
            spin.setValue(int(value))
            return spin, spin.value
        if origin is typing.Literal:
            combo = QComboBox()
            for choice in typing.get_args(ann):
                combo.addItem(str(choice), choice)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            return combo, combo.currentData
        if origin in (list, types.GenericAlias) or origin is list:
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
        current: BaseModel = self._store.settings
        data = current.model_dump()
        for section, fields in self.values().items():
            data[section].update(fields)
        try:
            new = type(current).model_validate(data)
        except ValidationError as exc:
            self.error_label.setText("Not saved: " + "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            ))
            self.error_label.show()
            return
        self._store.update(new)
        super().accept()
