from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from library import samples, search
from library.importer import ImportReport
from ui.library.models import ID_ROLE, ImportReportModel, LibraryModel
from ui.library.page import ImportReportDialog, LibraryPage


def _titles(model: LibraryModel) -> list[str]:
    return [model.data(model.index(r, 0)) for r in range(model.rowCount())]


def _settled(page: LibraryPage) -> bool:
    m = page.model
    return not m.is_loading() and "\u2026" not in _titles(m)


def test_library_model_passes_the_model_tester(qtmodeltester, page: LibraryPage) -> None:  # type: ignore[no-untyped-def]
    assert sorted(_titles(page.model)) == ["Calibration Cube", "Desk Hook", "Marble",
                                           "Round Tower"]
    qtmodeltester.check(page.model)


def test_report_model_passes_the_model_tester(qtmodeltester, service) -> None:  # type: ignore[no-untyped-def]
    m = ImportReportModel()
    m.set_report(service.importer.report(1))
    assert m.rowCount() == 5
    qtmodeltester.check(m)


def test_type_ahead_search_filters_the_views(qtbot, page: LibraryPage) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(page.search, "mar")
    qtbot.waitUntil(lambda: _settled(page) and _titles(page.model) == ["Marble"], timeout=5000)
    page.search.clear()
    qtbot.keyClicks(page.search, "calib")
    qtbot.waitUntil(lambda: _settled(page) and _titles(page.model) == ["Calibration Cube"],
                    timeout=5000)
    qtbot.keyClicks(page.search, "zzz")
    qtbot.waitUntil(lambda: page.model.rowCount() == 0 and _settled(page), timeout=5000)
    assert page.views.currentWidget() is page.empty
    assert page.empty.text() == "No models match."


def test_filters_and_sort(qtbot, page: LibraryPage) -> None:  # type: ignore[no-untyped-def]
    page.format.setCurrentIndex(page.format.findData("3mf"))
    qtbot.waitUntil(lambda: _settled(page) and _titles(page.model) == ["Round Tower"],
                    timeout=5000)
    page.format.setCurrentIndex(0)
    page.licence.setCurrentIndex(page.licence.findData("CC-BY-SA-4.0"))
    qtbot.waitUntil(lambda: _settled(page) and _titles(page.model) == ["Desk Hook"], timeout=5000)
    page.licence.setCurrentIndex(0)
    page.sort.setCurrentIndex(page.sort.findData("triangles"))
    page.descending.setChecked(True)
    qtbot.waitUntil(lambda: _settled(page) and _titles(page.model)[0] == "Marble", timeout=5000)
    assert page.current_query().sort == "triangles" and page.current_query().descending


def test_table_and_grid_share_the_model_and_selection(qtbot, page: LibraryPage) -> None:  # type: ignore[no-untyped-def]
    page.view_toggle.setChecked(True)
    assert page.views.currentWidget() is page.table
    page.select_row(0)
    mid = page.model.data(page.model.index(0, 0), ID_ROLE)
    qtbot.waitUntil(lambda: page.detail.detail is not None and page.detail.detail.id == mid,
                    timeout=5000)
    assert page.table.selectionModel().isRowSelected(0)
    page.view_toggle.setChecked(False)
    assert page.views.currentWidget() is page.grid


def test_thumbnails_load_lazily(qtbot, page: LibraryPage) -> None:  # type: ignore[no-untyped-def]
    row = _titles(page.model).index("Marble")
    idx = page.model.index(row, 0)
    first = page.model.data(idx, Qt.ItemDataRole.DecorationRole)
    qtbot.waitUntil(lambda: page.model.data(idx, Qt.ItemDataRole.DecorationRole) is not first,
                    timeout=5000)
    icon = page.model.data(idx, Qt.ItemDataRole.DecorationRole)
    img = icon.pixmap(160, 160).toImage()
    centre = img.pixelColor(img.width() // 2, img.height() // 2)
    assert centre.blue() > centre.red()          # the rendered blue model, not the grey


def test_metadata_editor_saves_and_search_finds_the_new_title(qtbot, page: LibraryPage,  # type: ignore[no-untyped-def]
                                                             service) -> None:
    page.select_row(_titles(page.model).index("Marble"))
    qtbot.waitUntil(lambda: page.detail.detail is not None
                    and page.detail.detail.fields["title"] == "Marble", timeout=5000)
    ed = page.detail.editor
    assert ed.isEnabled()
    ed.edits["title"].setText("Glass Marble")
    ed.tags.setText("toy, round")
    ed.licence.setCurrentText("CC-BY-4.0")
    ed.origin.setCurrentText("original")
    ed.notes.setPlainText("prints without supports")
    qtbot.mouseClick(ed.save, Qt.MouseButton.LeftButton)
    mid = page.detail.model_id
    qtbot.waitUntil(lambda: service.detail(mid).fields["title"] == "Glass Marble", timeout=5000)
    d = service.detail(mid)
    assert (d.tags, d.fields["licence"], d.fields["origin"], d.fields["notes"]) == (
        ["round", "toy"], "CC-BY-4.0", "original", "prints without supports")
    assert service.search(search.Query("glass")) == [mid]
    qtbot.waitUntil(lambda: "Glass Marble" in _titles(page.model), timeout=5000)


def test_bad_metadata_is_refused_with_a_message_and_nothing_lost(qtbot, page: LibraryPage,  # type: ignore[no-untyped-def]
                                                                service) -> None:
    page.select_row(0)
    qtbot.waitUntil(lambda: page.detail.detail is not None, timeout=5000)
    mid = page.detail.model_id
    before = service.detail(mid).fields["title"]
    page.detail.editor.edits["title"].setText("   ")
    with qtbot.waitSignal(page.bridge.failed, timeout=5000) as sig:
        page.detail.editor.save.click()
    assert "needs a title" in str(sig.args[0])
    assert service.detail(mid).fields["title"] == before


def test_import_from_the_page_shows_progress_and_the_report(qtbot, page: LibraryPage,  # type: ignore[no-untyped-def]
                                                            tmp_path: Path) -> None:
    good = tmp_path / "new_part.stl"
    good.write_bytes(samples.stl_binary(*samples.box(7, 8, 9)))
    bad = tmp_path / "truncated.stl"
    bad.write_bytes(samples.stl_binary(*samples.box())[:300])
    with qtbot.waitSignal(page.bridge.import_finished, timeout=60000) as sig:
        page.import_paths([good, bad])
    report: ImportReport = sig.args[0]
    assert (report.count("done"), report.count("failed")) == (1, 1)
    assert "1 imported" in page.progress_label.text()
    dialogs = page.findChildren(ImportReportDialog)
    assert dialogs, "a failed file opens the report"
    m = dialogs[-1].model
    assert m.data(m.index(0, 1)) == "Failed" and "truncated" in m.data(m.index(0, 2))
    qtbot.waitUntil(lambda: "new part" in _titles(page.model), timeout=5000)


def test_selection_survives_a_reload(qtbot, page: LibraryPage) -> None:  # type: ignore[no-untyped-def]
    page.select_row(_titles(page.model).index("Desk Hook"))
    qtbot.waitUntil(lambda: page.detail.detail is not None, timeout=5000)
    mid = page.detail.model_id
    page.model.reload()
    qtbot.waitUntil(lambda: page.grid.selectionModel().hasSelection(), timeout=5000)
    row = page.grid.selectionModel().selectedIndexes()[0].row()
    assert page.model.model_id(row) == mid and page.detail.model_id == mid


def test_slice_from_the_detail_panel_adds_the_gcode(qtbot, page: LibraryPage, service,  # type: ignore[no-untyped-def]
                                                   tmp_path: Path) -> None:
    import shutil

    import pytest

    if shutil.which("prusa-slicer") is None:
        assert not page.detail.slice_button.isEnabled()
        pytest.skip("prusa-slicer is not installed")
    page.select_row(_titles(page.model).index("Desk Hook"))
    qtbot.waitUntil(lambda: page.detail.detail is not None
                    and page.detail.detail.fields["title"] == "Desk Hook", timeout=5000)
    profile = tmp_path / "draft.ini"
    profile.write_text("layer_height = 0.3\n")
    mid = page.detail.model_id
    page.detail.slice_with(profile)
    qtbot.waitUntil(lambda: any(f["format"] == "gcode" for f in service.detail(mid).files),
                    timeout=120000)
    g = next(f for f in service.detail(mid).files if f["format"] == "gcode")
    assert g["name"] == "desk_hook_draft.gcode" and g["settings"]["layer_height"] == 0.3
    qtbot.waitUntil(page.detail.slice_button.isEnabled, timeout=10000)


def test_controls_are_named_and_keyboard_reachable(page: LibraryPage) -> None:
    from tests.helpers.a11y import not_keyboard_reachable, unnamed_controls

    assert unnamed_controls(page) == []
    assert not_keyboard_reachable(page) == []
