"""Polish that can regress silently: the icon names exist in the icon set,
every control of the main window and the set-up guide can be told apart by
a screen reader and reached from the keyboard, and the translation source
file holds every string the code marks with tr()."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as ET  # noqa: N817
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLabel,
    QLineEdit,
    QWidget,
)

from ui import icons
from ui.setup_wizard import SetupActions, SetupWizard

ROOT = Path(__file__).resolve().parents[2]


def test_every_icon_name_exists_in_the_icon_set(qapp) -> None:  # type: ignore[no-untyped-def]
    import qtawesome as qta

    for key, name in icons.NAMES.items():
        # qtawesome raises for a name that is not in the font.
        assert not qta.icon(name).isNull(), key
        assert not icons.icon(key).isNull(), key


def _actions() -> SetupActions:
    return SetupActions(
        serial_ports=list, add_serial_printer=lambda *a: "p",
        add_octoprint_printer=lambda *a: "p", start_demo_printer=lambda: "p",
        marketplace_sign_in=lambda *a: "u", import_folders=lambda _f: None,
        finished=lambda _r: None,
    )


def _unnamed_controls(root: QWidget) -> list[str]:
    """Interactive controls a screen reader could not name: no accessible
    name, no text of their own, and no label pointing at them (buddy)."""
    buddies = {id(lbl.buddy()) for lbl in root.findChildren(QLabel) if lbl.buddy()}
    missing = []
    for w in root.findChildren(QWidget):
        if not isinstance(w, (QAbstractButton, QLineEdit, QComboBox)):
            continue
        if isinstance(w.parent(), QComboBox):  # a combo box's own line edit
            continue
        if w.objectName().startswith("qt_"):  # Qt's own (the menu bar's overflow button)
            continue
        text = w.text() if isinstance(w, QAbstractButton) else ""
        if not (w.accessibleName() or text or id(w) in buddies):
            missing.append(f"{type(w).__name__} {w.objectName()!r}")
    return missing


def test_the_set_up_guide_names_its_controls_and_takes_the_keyboard(qtbot) -> None:  # type: ignore[no-untyped-def]
    wizard = SetupWizard(_actions())
    qtbot.addWidget(wizard)
    assert _unnamed_controls(wizard) == []
    for page in (wizard.printer_page, wizard.folders_page, wizard.marketplace_page):
        for w in page.findChildren(QWidget):
            if isinstance(w, (QAbstractButton, QLineEdit, QComboBox)):
                assert w.focusPolicy() & Qt.FocusPolicy.TabFocus, w
    # Every choice of printer has a mnemonic (Alt+letter).
    for btn in wizard.printer_page.kind_buttons.values():
        assert "&" in btn.text()


def test_the_main_window_names_its_controls(window: Any) -> None:
    assert _unnamed_controls(window) == []
    assert window.nav.accessibleName()
    # Every area has a Ctrl+N shortcut and every menu a mnemonic.
    shortcuts = {a.shortcut().toString() for a in window.area_actions.values()}
    assert shortcuts == {"Ctrl+1", "Ctrl+2", "Ctrl+3", "Ctrl+4"}
    for menu_action in window.menuBar().actions():
        assert "&" in menu_action.text()


def test_the_translation_source_is_up_to_date(tmp_path: Path) -> None:
    lupdate = Path(sys.executable).with_name("pyside6-lupdate")
    assert lupdate.exists() or shutil.which("pyside6-lupdate")
    committed = ROOT / "resources" / "translations" / "layerline_en.ts"
    fresh = tmp_path / "fresh.ts"
    sources = ["app/gui.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "ui").rglob("*.py"))]
    subprocess.run([str(lupdate), "-no-obsolete", "-source-language", "en", *sources,
                    "-ts", str(fresh)], cwd=ROOT, check=True, capture_output=True, timeout=120)

    def strings(path: Path) -> set[tuple[str, str]]:
        root = ET.parse(path).getroot()
        return {(ctx.findtext("name") or "", m.findtext("source") or "")
                for ctx in root.iter("context") for m in ctx.iter("message")}

    new = strings(fresh)
    assert ("MainWindow", "&File") in new and ("SetupWizard", "&Skip") in new
    # The main window's and the set-up guide's strings are all in the
    # committed file (other areas: run scripts/translations.sh as they grow).
    ours = {"MainWindow", "SetupWizard", "WelcomePage", "AddPrinterPage", "FoldersPage",
            "SignInPage", "SummaryPage", "_BusyPage"}
    missing = {m for m in new if m[0] in ours} - strings(committed)
    assert not missing, f"run: bash scripts/translations.sh ({sorted(missing)[:3]})"
