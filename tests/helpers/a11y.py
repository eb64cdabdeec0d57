"""Accessibility checks shared by the UI tests."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QWidget,
)

CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox)


def unnamed_controls(root: QWidget) -> list[str]:
    """Interactive controls a screen reader could not name: no accessible
    name, no text of their own, and no label pointing at them (buddy)."""
    buddies = {id(lbl.buddy()) for lbl in root.findChildren(QLabel) if lbl.buddy()}
    missing = []
    for w in root.findChildren(QWidget):
        if not isinstance(w, CONTROLS):
            continue
        # Parts of another control (a combo box's editor, a line edit's clear
        # button) and Qt's own (the menu bar's overflow button).
        if isinstance(w.parent(), CONTROLS) or w.objectName().startswith("qt_"):
            continue
        text = w.text() if isinstance(w, QAbstractButton) else ""
        if not (w.accessibleName() or text or id(w) in buddies):
            missing.append(f"{type(w).__name__} {w.objectName()!r}")
    return missing


def not_keyboard_reachable(root: QWidget) -> list[str]:
    """Controls that Tab never reaches."""
    return [f"{type(w).__name__} {w.objectName()!r}" for w in root.findChildren(QWidget)
            if isinstance(w, CONTROLS) and not isinstance(w.parent(), CONTROLS)
            and not w.objectName().startswith("qt_")
            and not w.focusPolicy() & Qt.FocusPolicy.TabFocus]
