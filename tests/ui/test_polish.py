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

from tests.helpers.a11y import not_keyboard_reachable, unnamed_controls
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


def test_the_set_up_guide_names_its_controls_and_takes_the_keyboard(qtbot) -> None:  # type: ignore[no-untyped-def]
    wizard = SetupWizard(_actions())
    qtbot.addWidget(wizard)
    assert unnamed_controls(wizard) == []
    assert not_keyboard_reachable(wizard) == []
    wizard.show()
    wizard.show_page("marketplace")  # (scripts/screenshots.sh, --setup-guide PAGE)
    assert wizard.currentPage() is wizard.marketplace_page
    assert wizard.result.printer is None
    # Every choice of printer has a mnemonic (Alt+letter).
    for btn in wizard.printer_page.kind_buttons.values():
        assert "&" in btn.text()


def test_the_main_window_names_its_controls(window: Any) -> None:
    assert unnamed_controls(window) == []
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
