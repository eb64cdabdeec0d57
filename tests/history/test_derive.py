from __future__ import annotations

import pytest

from history import derive
from history.errors import FilterError
from history.recorder import DurationRecorder
from history.records import HistoryFilter, parse_date
from printers.jobs import JobSnapshot, JobState


@pytest.mark.parametrize(("outcome", "reason", "verdict", "why", "key"), [
    ("completed", None, None, None, ""),
    ("completed", None, "good", None, ""),
    ("completed", None, "bad", "  Warping ", "bad print: warping"),
    ("failed", "thermal-runaway: Printer halted. kill() called!", None, None,
     "thermal runaway"),
    ("failed", "the printer reset itself during the print", None, None, "printer reset"),
    ("failed", "Spindle exploded: badly", None, None, "spindle exploded"),
    ("failed", None, None, None, "failed (no reason given)"),
    ("cancelled", "cancelled by the user", None, None, "cancelled by the user"),
    ("cancelled", "emergency stop", None, None, "emergency stop"),
    ("interrupted", "the printer was disconnected: [Errno 5]", None, None,
     "printer disconnected"),
    ("interrupted", "Layerline stopped while printing (crash or power cut)", None, None,
     "Layerline stopped"),
    ("failed", "thermal-runaway: x", "bad", "blob of plastic", "bad print: blob of plastic"),
])
def test_reason_keys(outcome: str, reason: str | None, verdict: str | None, why: str | None,
                     key: str) -> None:
    assert derive.reason_key(outcome, reason, verdict, why) == key


def test_profile_material_filament_and_weeks() -> None:
    assert derive.profile_label({"print_preset": "0.20mm QUALITY"}) == "0.20mm QUALITY"
    assert derive.profile_label({"layer_height": 0.2, "nozzle_diameter": 0.4,
                                 "infill_density": 15.0}) == "0.20 mm, 0.4 nozzle, 15% infill"
    assert derive.profile_label(None) == "" and derive.material_of({}) == ""
    assert derive.material_of({"material": None, "material_preset": "Generic PLA"}) \
        == "Generic PLA"
    assert derive.filament_used(1000.0, "completed", 10, 100) == 1000.0
    assert derive.filament_used(1000.0, "failed", 25, 100) == 250.0
    assert derive.filament_used(None, "failed", 25, 100) is None
    assert derive.week_of(derive.day_of(parse_date("2026-11-26"))) == derive.day_of(
        parse_date("2026-11-23"))  # a Thursday's week begins on Monday


def test_heating_time_from_a_temperature_trace() -> None:
    trace = [(0.0, "T0", 20.0, 200.0), (0.0, "B", 20.0, 60.0), (5.0, "T0", 150.0, 200.0),
             (5.0, "B", 59.0, 60.0), (9.0, "T0", 198.5, 200.0), (9.0, "B", 60.0, 60.0)]
    assert derive.heating_from_trace(trace) == 9.0
    assert derive.heating_from_trace(trace[:4]) is None
    assert derive.heating_from_trace([(0.0, "T0", 20.0, 0.0)]) is None


def test_filters_refuse_bad_input() -> None:
    with pytest.raises(FilterError):
        HistoryFilter(outcome="exploded")
    with pytest.raises(FilterError):
        parse_date("last tuesday")
    with pytest.raises(FilterError):
        HistoryFilter(since=10.0, until=5.0)
    assert parse_date("2026-01-02") == 1767312000.0


def _snap(state: JobState, job_id: int = 7) -> JobSnapshot:
    return JobSnapshot(id=job_id, printer="p", file="f", state=state, reason=None,
                       lines_total=1, lines_confirmed=0, bytes_total=1, bytes_confirmed=0,
                       layer=None, layers_total=None, started_at=0.0, ended_at=None,
                       elapsed=0.0, eta=None, slicer_estimate=None)


def test_recorder_adds_up_the_time_in_each_state() -> None:
    now = [100.0]
    rec = DurationRecorder(clock=lambda: now[0])
    got = []
    for t, state in ((100, JobState.HEATING), (130, JobState.PRINTING), (130, JobState.PRINTING),
                     (400, JobState.PAUSED), (460, JobState.PRINTING),
                     (500, JobState.CANCELLING), (510, JobState.CANCELLED)):
        now[0] = float(t)
        rec.observe(_snap(state))
    # Ended before a sink was set: kept, then handed over.
    kept = rec.set_sink(got.append)
    assert [(d.heating_s, d.printing_s, d.paused_s) for d in kept] == [(30.0, 320.0, 60.0)]
    rec.observe(_snap(JobState.PRINTING, 8))
    now[0] = 520.0
    rec.observe(_snap(JobState.COMPLETED, 8))
    assert [(d.job_id, d.printing_s) for d in got] == [(8, 10.0)]
    rec.observe(_snap(JobState.COMPLETED, 9))  # never seen running: nothing to say
    assert len(got) == 1
