"""The Queue & History area over synthetic jobs: the table pages lazily,
statistics are computed off the GUI thread over 100k jobs and reach the view
by signal, filters and export, maintenance; qtmodeltester on every model."""

from __future__ import annotations

import csv
import io
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex

from history import stats as stats_mod
from history.records import HistoryFilter
from history.stats import Statistics
from tests.ui.history.conftest import make_area
from ui.history.stats_view import RateModel, ReasonModel

WAIT = 60_000


def test_100k_jobs_page_lazily_and_statistics_arrive_by_signal(  # type: ignore[no-untyped-def]
        qtbot, big_engine, monkeypatch) -> None:
    threads: list[str] = []
    real = stats_mod.compute

    def spy(*args: object, **kwargs: object) -> Statistics:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(stats_mod, "compute", spy)
    area, service = make_area(qtbot, big_engine)
    try:
        model = area.model
        with qtbot.waitSignal(model.counted, timeout=WAIT) as counted:
            area.show()
        assert counted.args == [100_000]
        qtbot.waitUntil(lambda: model.rowCount() > 0 and not model.is_loading(), timeout=WAIT)
        # Only the first page was read, newest first.
        assert model.rowCount() == model.page_size
        created = [model.row_at(r).created_at for r in range(model.rowCount())]
        assert created == sorted(created, reverse=True)
        assert model.canFetchMore(QModelIndex())
        with qtbot.waitSignal(model.loaded, timeout=WAIT):
            model.fetchMore(QModelIndex())
        assert model.rowCount() == 2 * model.page_size
        # Statistics: asked for when the tab shows, computed on the work
        # thread, delivered to the view by its signal.
        with qtbot.waitSignal(area.stats.ready, timeout=WAIT) as ready:
            area.tabs.setCurrentWidget(area.stats)
        st = ready.args[0]
        assert isinstance(st, Statistics)
        assert st.prints == 100_000
        assert threads and all(t.startswith("history-work") for t in threads)
        assert threading.current_thread() is threading.main_thread()
        assert area.stats.rates.rowCount() == len(st.by["model"])
        assert area.stats.reasons.rowCount() == len(st.reasons) > 3
        assert "100,000" in area.stats.summary.text()
    finally:
        area.close()
        service.close()


def test_qtmodeltester_on_the_history_model_as_pages_arrive(qtbot, qtmodeltester,  # type: ignore[no-untyped-def]
                                                            small_engine) -> None:
    area, service = make_area(qtbot, small_engine)
    try:
        model = area.model
        model.page_size = 100
        with qtbot.waitSignal(model.loaded, timeout=WAIT):
            model.reload()
        qtmodeltester.check(model)  # it may ask for more itself: pages land while it watches
        while True:
            qtbot.waitUntil(lambda: not model.is_loading(), timeout=WAIT)
            if not model.canFetchMore(QModelIndex()):
                break
            with qtbot.waitSignal(model.loaded, timeout=WAIT):
                model.fetchMore(QModelIndex())
        assert model.rowCount() == 450
        qtmodeltester.check(model)
        ids = [model.row_at(r).job_id for r in range(450)]
        assert len(set(ids)) == 450  # no page twice, none skipped
    finally:
        area.close()
        service.close()


def test_qtmodeltester_on_the_rate_and_reason_models(qtmodeltester, small_engine) -> None:  # type: ignore[no-untyped-def]
    st = stats_mod.compute(small_engine)
    rates = RateModel()
    rates.set_rates(st.by["printer"])
    qtmodeltester.check(rates)
    reasons = ReasonModel()
    reasons.set_reasons(st.reasons)
    qtmodeltester.check(reasons)
    assert reasons.rowCount() == len(st.reasons)


def test_filters_and_export_from_the_view(qtbot, small_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    area, service = make_area(qtbot, small_engine)
    try:
        tab, model = area.history, area.model
        area.show()
        qtbot.waitUntil(lambda: tab.printer.count() > 1 and tab.reason.count() > 1,
                        timeout=WAIT)
        with qtbot.waitSignal(model.counted, timeout=WAIT):
            tab.outcome.setCurrentIndex(tab.outcome.findData("failed"))
        qtbot.waitUntil(lambda: not model.is_loading(), timeout=WAIT)
        failed = service.store.count(HistoryFilter(outcome="failed"))
        assert model.total == failed > 0
        assert {model.row_at(r).outcome for r in range(model.rowCount())} == {"failed"}
        with qtbot.waitSignal(model.counted, timeout=WAIT):
            tab.printer.setCurrentIndex(tab.printer.findData("Printer B"))
        qtbot.waitUntil(lambda: not model.is_loading(), timeout=WAIT)
        rows = [model.row_at(r) for r in range(model.rowCount())]
        assert rows and {(r.outcome, r.printer) for r in rows} == {("failed", "Printer B")}
        out = tmp_path / "failed.csv"
        with qtbot.waitSignal(tab.exported, timeout=WAIT):
            tab.export(out, "csv")
        table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
        assert sorted(int(r["job_id"]) for r in table) == sorted(r.job_id for r in rows)
        # Selecting a row shows its details.
        tab.view.selectRow(0)
        assert f"Job {rows[0].job_id}" in tab.detail.text.text()
    finally:
        area.close()
        service.close()


def test_maintenance_counters_reset_and_reminders(qtbot, small_engine) -> None:  # type: ignore[no-untyped-def]
    area, service = make_area(qtbot, small_engine)
    try:
        view = area.maintenance
        area.show()
        area.tabs.setCurrentWidget(view)
        qtbot.waitUntil(lambda: view.printer.count() >= 4, timeout=WAIT)
        qtbot.waitUntil(lambda: view.counter_labels["jobs"].text().endswith("jobs"),
                        timeout=WAIT)
        jobs = int(view.counter_labels["jobs"].text().split()[0].replace(",", ""))
        assert jobs == service.store.count(HistoryFilter(printer=view.printer.currentText()))
        view.new_counter.setCurrentIndex(view.new_counter.findData("jobs"))
        view.new_threshold.setValue(5)
        view.new_note.setText("Change the nozzle")
        view._add()
        qtbot.waitUntil(lambda: view.reminders.rowCount() == 1, timeout=WAIT)
        qtbot.waitUntil(lambda: "DUE" in view.reminders.item(0, 4).text(), timeout=WAIT)
        view.reset_counter("jobs", "new nozzle")
        qtbot.waitUntil(lambda: "since reset" in view.counter_labels["jobs"].text(),
                        timeout=WAIT)
        qtbot.waitUntil(lambda: "DUE" not in view.reminders.item(0, 4).text(), timeout=WAIT)
        assert view.counter_labels["jobs"].text().startswith("0 jobs")
    finally:
        area.close()
        service.close()


@pytest.mark.parametrize("fmt", ["json"])
def test_export_of_everything_as_json(qtbot, small_engine, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    import json

    area, service = make_area(qtbot, small_engine)
    try:
        out = tmp_path / f"all.{fmt}"
        with qtbot.waitSignal(area.history.exported, timeout=WAIT) as sig:
            area.history.export(out, fmt)
        assert "450" in sig.args[0]
        assert len(json.loads(out.read_text())["jobs"]) == 450
    finally:
        area.close()
        service.close()
