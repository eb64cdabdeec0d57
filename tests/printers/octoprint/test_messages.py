"""Parsing OctoPrint's REST answers and push messages strictly: typed values
or OctoPrintProtocolError, never KeyError or TypeError.  Fixtures are shaped
like what OctoPrint 1.11 sends."""

from __future__ import annotations

from typing import Any

import pytest

from printers.octoprint.backoff import Backoff
from printers.octoprint.errors import OctoPrintProtocolError
from printers.octoprint.events import (
    Connected,
    Current,
    Event,
    ReauthRequired,
    parse_message,
    socket_url,
)
from printers.octoprint.models import (
    ServerVersion,
    parse_connection,
    parse_file,
    parse_job,
    parse_login,
    parse_printer,
    parse_version,
)

PRINTER = {
    "sd": {"ready": False},
    "state": {"error": "", "flags": {"cancelling": False, "closedOrError": False,
                                     "error": False, "finishing": False, "operational": True,
                                     "paused": False, "pausing": False, "printing": True,
                                     "ready": False, "resuming": False, "sdReady": False},
              "text": "Printing"},
    "temperature": {"bed": {"actual": 21.3, "offset": 0, "target": 55.0},
                    "tool0": {"actual": 180, "offset": 0, "target": 200.0}},
}

JOB = {
    "job": {"file": {"name": "cube.gcode", "path": "dir/cube.gcode", "origin": "local",
                     "size": 5104, "date": 1700000000},
            "estimatedPrintTime": None, "user": "admin"},
    "progress": {"completion": 9.4, "filepos": 463, "printTime": 2, "printTimeLeft": None},
    "state": "Printing",
}


def test_parse_printer() -> None:
    p = parse_printer(PRINTER)
    assert p.text == "Printing" and p.flags.printing and p.flags.operational
    assert p.temperatures["tool0"].actual == 180.0
    assert p.temperatures["bed"].target == 55.0


def test_parse_job() -> None:
    j = parse_job(JOB)
    assert j.file_path == "dir/cube.gcode" and j.size == 5104 and j.completion == 9.4
    assert j.print_time == 2.0 and j.print_time_left is None and j.active


def test_parse_job_without_a_file() -> None:
    j = parse_job({"job": {"file": {"name": None, "path": None}}, "progress": {},
                   "state": "Operational"})
    assert j.file_path is None and not j.active


def test_parse_file_history() -> None:
    f = parse_file({"name": "a.gcode", "path": "a.gcode", "origin": "local", "size": 3,
                    "prints": {"success": 2, "failure": 1,
                               "last": {"date": 1.5, "success": False, "printTime": 3}}})
    assert (f.successes, f.failures) == (2, 1)
    assert f.last is not None and f.last.success is False and f.last.date == 1.5


def test_parse_connection_and_login() -> None:
    c = parse_connection({"current": {"state": "Operational", "port": "VIRTUAL",
                                      "baudrate": 250000, "printerProfile": "_default"},
                          "options": {"ports": ["VIRTUAL"], "baudrates": [250000, 115200]}})
    assert c.connected and c.ports == ("VIRTUAL",) and c.baudrate == 250000
    assert not parse_connection({"current": {"state": "Closed"}, "options": {}}).connected
    assert parse_login({"name": "admin", "session": "abc", "admin": True}).session == "abc"


@pytest.mark.parametrize(("parse", "data", "words"), [
    (parse_version, [1, 2], "expected a JSON object"),
    (parse_version, {"api": "0.1"}, "missing field 'server'"),
    (parse_version, {"api": 0.1, "server": "1.11"}, "version.api: expected str"),
    (parse_printer, {"state": {"text": "x", "flags": []}}, "printer.state.flags"),
    (parse_printer, {"state": {"text": "x", "flags": {}},
                     "temperature": {"tool0": {"actual": "hot"}}}, "expected a number"),
    (parse_printer, {"state": {"text": "x", "flags": {}},
                     "temperature": {"tool0": {"actual": True}}}, "expected a number"),
    (parse_job, {"job": "none", "state": "Printing"}, "job.job"),
    (parse_job, {"job": {}, "state": "Printing", "progress": {"completion": "9%"}},
     "job.progress.completion"),
    (parse_file, {"name": "a", "path": "a", "origin": "local",
                  "prints": {"last": {"success": "yes"}}}, "file.prints.last.success"),
    (parse_login, {"name": "admin"}, "missing field 'session'"),
])
def test_wrong_shapes_are_protocol_errors(parse: Any, data: Any, words: str) -> None:
    with pytest.raises(OctoPrintProtocolError, match=words.replace("(", r"\(")):
        parse(data)


def test_version_tuple() -> None:
    assert ServerVersion("0.1", "1.11.8", "").version_tuple == (1, 11, 8)
    assert ServerVersion("0.1", "1.11.0rc2", "").version_tuple == (1, 11, 0)
    assert ServerVersion("0.1", "1.12.0.dev5+g1234", "").version_tuple == (1, 12, 0)


def test_push_messages() -> None:
    assert parse_message({"connected": {"version": "1.11.8", "safe_mode": None}}) == [
        Connected(version="1.11.8", safe_mode=False)]
    assert parse_message({"event": {"type": "PrintDone", "payload": {"path": "a.gcode"}}}) == [
        Event("PrintDone", {"path": "a.gcode"})]
    assert parse_message({"event": {"type": "Home", "payload": None}}) == [Event("Home", {})]
    assert parse_message({"reauthRequired": {"reason": "stale"}}) == [ReauthRequired("stale")]
    assert parse_message({"plugin": {"plugin": "x", "data": {}}}) == []


def test_push_current_with_temperatures() -> None:
    msg = {"current": {"state": PRINTER["state"], "job": JOB["job"], "progress": JOB["progress"],
                       "temps": [{"time": 1, "tool0": {"actual": 20, "target": 0}},
                                 {"time": 2, "tool0": {"actual": 25.5, "target": 200},
                                  "bed": {"actual": 21, "target": None}}],
                       "logs": [], "messages": []}}
    (cur,) = parse_message(msg)
    assert isinstance(cur, Current)
    assert cur.state_text == "Printing" and cur.flags.printing
    assert cur.file_path == "dir/cube.gcode" and cur.completion == 9.4
    assert cur.temperatures["tool0"].actual == 25.5 and cur.temperatures["bed"].target is None


@pytest.mark.parametrize("raw", [
    [1], "PrintDone", {"event": "PrintDone"}, {"event": {"payload": {}}},
    {"current": []}, {"current": {"state": {}}},
])
def test_malformed_push_messages_are_protocol_errors(raw: Any) -> None:
    with pytest.raises(OctoPrintProtocolError):
        parse_message(raw)


def test_socket_url() -> None:
    assert socket_url("http://farm:5000") == "ws://farm:5000/sockjs/websocket"
    assert socket_url("https://farm/op") == "wss://farm/op/sockjs/websocket"
    with pytest.raises(OctoPrintProtocolError):
        socket_url("farm:5000")


def test_backoff_grows_to_its_maximum_and_resets() -> None:
    b = Backoff(initial=1.0, maximum=8.0, factor=2.0, jitter=0.0)
    assert [b.next_delay() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    b.reset()
    assert b.next_delay() == 1.0


def test_backoff_jitter_stays_within_its_spread() -> None:
    b = Backoff(initial=10.0, maximum=10.0, jitter=0.2)
    delays = [b.next_delay() for _ in range(200)]
    assert all(8.0 <= d <= 12.0 for d in delays)
    assert len(set(delays)) > 1
