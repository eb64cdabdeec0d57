from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox, QSpinBox

from app.settings import SettingsStore
from ui.settings_dialog import SettingsDialog


def test_editing_a_value_saves_it_typed(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = SettingsStore(tmp_path / "settings.json")
    dlg = SettingsDialog(store, "encrypted file (test)")
    qtbot.addWidget(dlg)
    spin = dlg.findChild(QSpinBox, "printers.default_receive_buffer")
    assert spin is not None and spin.minimum() == 32
    spin.setValue(512)
    theme = dlg.findChild(QComboBox, "general.theme")
    assert theme is not None
    theme.setCurrentIndex(theme.findData("dark"))
    dlg.accept()
    reloaded = SettingsStore(tmp_path / "settings.json")
    assert reloaded.settings.printers.default_receive_buffer == 512
    assert reloaded.settings.general.theme == "dark"


def test_invalid_value_is_reported_and_nothing_saved(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = SettingsStore(tmp_path / "settings.json")
    dlg = SettingsDialog(store)
    qtbot.addWidget(dlg)
    dlg.show()
    # Bypass the spin box's own bounds to feed an invalid value to the model.
    dlg._getters[("printers", "max_heating_together")] = lambda: 0
    dlg.accept()
    assert dlg.isVisible()
    assert "max_heating_together" in dlg.error_label.text()
    assert not (tmp_path / "settings.json").exists()
