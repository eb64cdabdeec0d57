"""The client against servers that hang, fail, or answer garbage: every call
ends within its deadline with a typed error; nothing hangs or crashes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from printers.octoprint import (
    OctoPrintClient,
    OctoPrintError,
    OctoPrintProtocolError,
    OctoPrintServerError,
    OctoPrintTimeoutError,
    OctoPrintUnreachableError,
    OctoPrintWatcher,
    Timeouts,
)
from printers.octoprint.events import PushSocket
from tests.helpers.hostile_http import HostileServer
from tests.helpers.octoprint_server import free_port

pytestmark = pytest.mark.timeout(60)

FAST = Timeouts(connect=1.0, call=1.5, upload=1.5)  # for servers that never answer
# For servers that answer at once (badly): a timeout there would be the load
# of the test machine, not the behaviour under test.
PATIENT = Timeouts(connect=10.0, call=15.0, upload=15.0)


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Iterator[HostileServer]:
    with HostileServer(request.param) as server:
        yield server


def calls(client: OctoPrintClient, tmp: Path) -> dict[str, Callable[[], Any]]:
    gcode = tmp / "cube.gcode"
    gcode.write_text("G28\nG1 X10 F3000\n")
    return {
        "version": client.version,
        "connection": client.connection,
        "printer": client.printer,
        "job": client.job,
        "file_info": lambda: client.file_info("cube.gcode"),
        "session_login": client.session_login,
        "connect": lambda: client.connect("VIRTUAL"),
        "upload": lambda: client.upload(gcode, start=True),
        "start": client.start,
        "cancel": client.cancel,
        "snapshot": client.snapshot,
    }


def _run_all(fns: dict[str, Callable[[], Any]]) -> dict[str, OctoPrintError]:
    """Run every call at once, each on its own thread (the client is shared
    between threads, as the farm will share it), so that a hang fails the test
    instead of freezing it; return the typed error each raised."""
    box: dict[str, BaseException | object] = {}

    def target(name: str, fn: Callable[[], Any]) -> None:
        try:
            box[name] = fn()
        except BaseException as exc:
            box[name] = exc

    threads = [threading.Thread(target=target, args=item, daemon=True) for item in fns.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)  # far above every deadline: only a real hang reaches it
        assert not t.is_alive(), "a call hung"
    out: dict[str, OctoPrintError] = {}
    for name in fns:
        result = box.get(name)
        assert isinstance(result, OctoPrintError), f"{name}: expected a typed error, got {result!r}"
        out[name] = result
    return out


def _run(fn: Callable[[], Any]) -> OctoPrintError:
    return _run_all({"call": fn})["call"]


@pytest.mark.parametrize("hostile", ["hang"], indirect=True)
def test_a_silent_server_times_out_with_a_typed_error(hostile: HostileServer,
                                                        tmp_path: Path) -> None:
    with OctoPrintClient(hostile.url, "KEY", timeouts=FAST) as client:
        for name, err in _run_all(calls(client, tmp_path)).items():
            assert isinstance(err, OctoPrintTimeoutError), (name, err)
            assert err.transient
    assert hostile.requests, "the client never reached the server"


@pytest.mark.parametrize("hostile", ["trickle"], indirect=True)
def test_a_server_that_trickles_bytes_hits_the_overall_deadline(hostile: HostileServer) -> None:
    # Each byte arrives well within the read timeout; only the overall
    # deadline of the call stops it.
    with OctoPrintClient(hostile.url, "KEY", timeouts=FAST) as client:
        err = _run(client.job)
    assert isinstance(err, OctoPrintTimeoutError)


@pytest.mark.parametrize("hostile", ["status500"], indirect=True)
def test_http_500_is_a_transient_server_error(hostile: HostileServer, tmp_path: Path) -> None:
    with OctoPrintClient(hostile.url, "KEY", timeouts=PATIENT) as client:
        for name, err in _run_all(calls(client, tmp_path)).items():
            assert isinstance(err, OctoPrintServerError), (name, err)
            assert err.status == 500
            assert err.transient
            assert "HTTP 500" in str(err)


@pytest.mark.parametrize("hostile", ["malformed", "html"], indirect=True)
def test_a_body_that_is_not_json_is_a_protocol_error(hostile: HostileServer,
                                                      tmp_path: Path) -> None:
    with OctoPrintClient(hostile.url, "KEY", timeouts=PATIENT) as client:
        for name, fn in calls(client, tmp_path).items():
            if name in ("connect", "start", "cancel"):
                continue  # commands whose answer OctoPrint leaves empty: see below
            err = _run(fn)
            assert isinstance(err, OctoPrintProtocolError), (name, err)
            assert not err.transient


@pytest.mark.parametrize("hostile", ["wrong_shape", "huge_number"], indirect=True)
def test_json_of_the_wrong_shape_is_a_protocol_error_naming_the_field(
    hostile: HostileServer, tmp_path: Path
) -> None:
    with OctoPrintClient(hostile.url, "KEY", timeouts=PATIENT) as client:
        for name in ("version", "connection", "printer", "job", "file_info", "session_login",
                     "upload", "snapshot"):
            err = _run(calls(client, tmp_path)[name])
            assert isinstance(err, OctoPrintProtocolError), (name, err)
            assert "expected" in str(err) or "missing" in str(err), str(err)


@pytest.mark.parametrize("hostile", ["close"], indirect=True)
def test_a_server_that_closes_the_connection_is_unreachable(hostile: HostileServer,
                                                             tmp_path: Path) -> None:
    with OctoPrintClient(hostile.url, "KEY", timeouts=PATIENT) as client:
        for name, err in _run_all(calls(client, tmp_path)).items():
            assert isinstance(err, OctoPrintUnreachableError), (name, err)
            assert err.transient


def test_nothing_listening_is_unreachable() -> None:
    port = free_port()  # nobody listens here once the probe socket is closed
    with OctoPrintClient(f"http://127.0.0.1:{port}", "KEY", timeouts=PATIENT) as client:
        err = _run(client.version)
    assert isinstance(err, OctoPrintUnreachableError)
    assert f"127.0.0.1:{port}" in err.url


@pytest.mark.parametrize("hostile", ["hang", "status500", "malformed", "close"], indirect=True)
def test_the_push_socket_reports_a_typed_error_and_keeps_retrying(
    hostile: HostileServer,
) -> None:
    downs: list[OctoPrintError | None] = []
    enough = threading.Event()

    def on_link(up: bool, err: OctoPrintError | None) -> None:
        assert not up
        downs.append(err)
        if len(downs) >= 2:
            enough.set()

    from printers.octoprint.backoff import Backoff

    client = OctoPrintClient(hostile.url, "KEY", timeouts=FAST)
    sock = PushSocket(client, lambda m: None, on_link, backoff=Backoff(initial=0.05))
    sock.start()
    try:
        assert enough.wait(30), "the push socket did not retry"
    finally:
        sock.stop()
        client.close()
    assert all(isinstance(e, OctoPrintError) for e in downs)
    assert not sock.connected.is_set()


@pytest.mark.parametrize("hostile", ["hang"], indirect=True)
def test_the_watcher_reports_the_server_offline_and_stops_promptly(
    hostile: HostileServer,
) -> None:
    from printers.octoprint.watch import LinkStatus

    statuses: list[LinkStatus] = []
    seen = threading.Event()

    def on_update(u: object) -> None:
        if isinstance(u, LinkStatus) and not u.online and u.error is not None:
            statuses.append(u)
            seen.set()

    client = OctoPrintClient(hostile.url, "KEY", timeouts=FAST)
    watcher = OctoPrintWatcher(client, on_update)
    watcher.start()
    try:
        assert seen.wait(30)
    finally:
        watcher.stop(timeout=10)
        client.close()
    assert isinstance(statuses[0].error, OctoPrintTimeoutError)
    assert not watcher.status.online
    assert statuses[0].last_seen is None


@pytest.mark.parametrize(("hostile", "expected"), [
    ("hang", OctoPrintTimeoutError), ("status500", OctoPrintServerError),
    ("malformed", OctoPrintProtocolError), ("close", OctoPrintUnreachableError),
], indirect=["hostile"])
def test_getting_a_key_from_a_hostile_server_fails_typed(
    hostile: HostileServer, expected: type[OctoPrintError]
) -> None:
    from printers.octoprint import KeyRequest, key_from_password

    timeouts = FAST if expected is OctoPrintTimeoutError else PATIENT

    def approval() -> str:
        with KeyRequest(hostile.url, "Layerline", "admin", timeouts=timeouts) as request:
            request.submit()
            return request.wait(timeout=5, interval=0.1)

    errors = _run_all({
        "password": lambda: key_from_password(hostile.url, "admin", "pw", timeouts=timeouts),
        "approval": approval,
    })
    for name, err in errors.items():
        assert isinstance(err, expected), (name, err)
