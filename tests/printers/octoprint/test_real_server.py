"""The client against a real OctoPrint 1.11 server and its virtual printer.

Every print here is real: OctoPrint streams the uploaded G-code to its
virtual Marlin printer; the outcomes come from OctoPrint's own push events or
from polling its REST API.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from printers.octoprint import (
    NoCameraError,
    OctoPrintAuthError,
    OctoPrintClient,
    OctoPrintConflictError,
    OctoPrintWatcher,
    OutcomeKind,
)
from printers.octoprint.events import Connected, Current, Event, PushMessage, PushSocket
from printers.octoprint.watch import WatchUpdate
from tests.helpers.octoprint_server import OctoPrintServer
from tests.printers.octoprint.conftest import TIMEOUTS, gcode, wait_for

pytestmark = [pytest.mark.peer, pytest.mark.slow, pytest.mark.timeout(180)]

PRINT_WAIT = 90  # seconds a short print may take on a loaded machine


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Recorder:
    """Collects a watcher's updates (they arrive on its threads)."""

    def __init__(self) -> None:
        self.updates: list[WatchUpdate] = []
        self.lock = threading.Lock()

    def __call__(self, update: WatchUpdate) -> None:
        with self.lock:
            self.updates.append(update)

    def events(self) -> list[Event]:
        with self.lock:
            return [u for u in self.updates if isinstance(u, Event)]


def started_watcher(client: OctoPrintClient, *, push: bool = True,
                    recorder: Recorder | None = None) -> OctoPrintWatcher:
    watcher = OctoPrintWatcher(client, recorder, push=push, poll_interval=0.3)
    watcher.start()
    if push:
        wait_for(lambda: watcher.push_connected, 30, "the push socket")
    return watcher


# ------------------------------------------------------------ server, auth --
def test_version_and_server_check(octoprint: OctoPrintClient) -> None:
    version = octoprint.check(minimum=(1, 11))
    assert version.server.startswith("1.11.")
    assert version.version_tuple[:2] == (1, 11)
    assert version.api == "0.1"
    assert octoprint.server()["version"] == version.server
    assert octoprint.session_login().name == "admin"


def test_a_wrong_api_key_is_refused_with_a_typed_error(
    octoprint_server: OctoPrintServer,
) -> None:
    with (OctoPrintClient(octoprint_server.url, "WRONG" * 6, timeouts=TIMEOUTS) as client,
          pytest.raises(OctoPrintAuthError) as info):
        client.version()
    assert info.value.status == 403
    assert not info.value.transient


def test_ports_connect_and_disconnect(octoprint: OctoPrintClient) -> None:
    conn = octoprint.connection()
    assert "VIRTUAL" in conn.ports
    assert conn.connected and conn.port == "VIRTUAL"
    octoprint.disconnect()
    wait_for(lambda: not octoprint.connection().connected, 30, "the disconnection")
    # A disconnected printer is a state, not an error.
    assert octoprint.printer().flags.closed_or_error
    octoprint.connect("VIRTUAL", baudrate=250000)
    wait_for(lambda: octoprint.printer().flags.operational, 60, "the reconnection")


def test_printer_state_with_temperatures(octoprint: OctoPrintClient) -> None:
    octoprint.send_gcode("M104 S180", "M140 S55")
    try:
        state = wait_for(
            lambda: (s := octoprint.printer()).temperatures.get("tool0")
            and s.temperatures["tool0"].target == 180 and s.temperatures.get("bed")
            and s.temperatures["bed"].target == 55 and s,
            30, "the targets to show",
        )
        assert state.flags.operational and not state.flags.printing
        assert state.temperatures["tool0"].actual is not None
        assert state.text == "Operational"
    finally:
        octoprint.send_gcode("M104 S0", "M140 S0")


def test_no_camera_is_a_typed_error(octoprint: OctoPrintClient) -> None:
    with pytest.raises(NoCameraError):
        octoprint.snapshot()


# ----------------------------------------------------------------- printing --
def test_upload_and_print_to_completion_from_push_events(
    octoprint: OctoPrintClient, tmp_path: Path
) -> None:
    rec = Recorder()
    watcher = started_watcher(octoprint, recorder=rec)
    try:
        file = gcode(tmp_path, "complete-push.gcode", 12)
        upload = octoprint.upload(file, start=True)
        assert upload.selected and upload.printing
        assert upload.sha256 == sha256(file)
        outcome = watcher.watch(upload).wait(PRINT_WAIT)
    finally:
        watcher.stop()
    assert outcome is not None, "the print did not end"
    assert outcome.kind is OutcomeKind.COMPLETED
    assert outcome.source == "push"
    assert outcome.sha256 == sha256(file)
    assert outcome.file_path == "complete-push.gcode"
    types = [e.type for e in rec.events() if e.payload.get("path") == upload.path]
    assert "PrintStarted" in types and "PrintDone" in types
    info = octoprint.file_info(upload.path)
    assert info.last is not None and info.last.success


def test_print_to_completion_by_polling(octoprint: OctoPrintClient, tmp_path: Path) -> None:
    watcher = started_watcher(octoprint, push=False)
    try:
        upload = octoprint.upload(gcode(tmp_path, "complete-poll.gcode", 12), start=True)
        outcome = watcher.watch(upload).wait(PRINT_WAIT)
    finally:
        watcher.stop()
    assert outcome is not None and outcome.kind is OutcomeKind.COMPLETED
    assert outcome.source == "poll"
    assert outcome.sha256 == upload.sha256


def test_upload_and_select_really_selects_then_start(
    octoprint: OctoPrintClient, tmp_path: Path
) -> None:
    upload = octoprint.upload(gcode(tmp_path, "select-only.gcode", 8), select=True)
    assert upload.selected and not upload.printing
    job = octoprint.job()
    assert job.file_path == "select-only.gcode" and not job.active
    watcher = started_watcher(octoprint)
    try:
        baseline = octoprint.file_info(upload.path)
        handle = watcher.watch(upload, baseline)
        octoprint.start()
        outcome = handle.wait(PRINT_WAIT)
    finally:
        watcher.stop()
    assert outcome is not None and outcome.kind is OutcomeKind.COMPLETED


def test_upload_with_start_on_a_disconnected_printer_is_a_conflict(
    octoprint: OctoPrintClient, tmp_path: Path
) -> None:
    octoprint.disconnect()
    wait_for(lambda: not octoprint.connection().connected, 30, "the disconnection")
    with pytest.raises(OctoPrintConflictError, match="did not start"):
        octoprint.upload(gcode(tmp_path, "nowhere.gcode", 4), start=True)
    assert octoprint.file_info("nowhere.gcode").name == "nowhere.gcode"  # uploaded all the same


def test_pause_resume_and_cancel_from_push_events(
    octoprint: OctoPrintClient, tmp_path: Path
) -> None:
    watcher = started_watcher(octoprint)
    try:
        upload = octoprint.upload(gcode(tmp_path, "cancel-push.gcode", 400), start=True)
        handle = watcher.watch(upload)
        wait_for(lambda: octoprint.job().state == "Printing", 30, "printing")
        octoprint.pause()
        wait_for(lambda: octoprint.printer().flags.paused, 30, "the pause")
        octoprint.resume()
        wait_for(lambda: octoprint.job().state == "Printing", 30, "the resume")
        watcher.cancel()
        outcome = handle.wait(PRINT_WAIT)
    finally:
        watcher.stop()
    assert outcome is not None and outcome.kind is OutcomeKind.CANCELLED
    assert outcome.source == "push"
    assert outcome.sha256 == upload.sha256


def test_cancel_by_polling(octoprint: OctoPrintClient, tmp_path: Path) -> None:
    watcher = started_watcher(octoprint, push=False)
    try:
        upload = octoprint.upload(gcode(tmp_path, "cancel-poll.gcode", 400), start=True)
        handle = watcher.watch(upload)
        wait_for(lambda: octoprint.job().state == "Printing", 30, "printing")
        watcher.cancel()
        outcome = handle.wait(PRINT_WAIT)
    finally:
        watcher.stop()
    assert outcome is not None and outcome.kind is OutcomeKind.CANCELLED
    assert outcome.source == "poll"


@pytest.mark.parametrize("push", [True, False], ids=["push", "poll"])
def test_a_firmware_error_mid_print_fails_the_job_with_its_reason(
    octoprint: OctoPrintClient, tmp_path: Path, push: bool
) -> None:
    watcher = started_watcher(octoprint, push=push)
    try:
        upload = octoprint.upload(gcode(tmp_path, f"fail-{push}.gcode", 400), start=True)
        handle = watcher.watch(upload)
        wait_for(lambda: octoprint.job().state == "Printing", 30, "printing")
        # The virtual printer's debug command: a Marlin thermal runaway + kill().
        octoprint.send_gcode("!!DEBUG:trigger_fatal_error_marlin")
        outcome = handle.wait(PRINT_WAIT)
    finally:
        watcher.stop()
    assert outcome is not None and outcome.kind is OutcomeKind.FAILED
    assert outcome.source == ("push" if push else "poll")
    assert "Thermal Runaway" in outcome.reason
    if push:
        assert outcome.reason.startswith("error: ")  # PrintFailed's reason


@pytest.mark.parametrize("push", [True, False], ids=["push", "poll"])
def test_disconnecting_the_printer_mid_print_fails_the_job(
    octoprint: OctoPrintClient, tmp_path: Path, push: bool
) -> None:
    # What OctoPrint 1.11 does: PrintFailed with reason "error" and no error
    # text, and a failure in the file's history.
    watcher = started_watcher(octoprint, push=push)
    try:
        upload = octoprint.upload(gcode(tmp_path, f"dropped-{push}.gcode", 400), start=True)
        handle = watcher.watch(upload)
        wait_for(lambda: octoprint.job().state == "Printing", 30, "printing")
        octoprint.disconnect()
        outcome = handle.wait(PRINT_WAIT)
    finally:
        watcher.stop()
    assert outcome is not None and outcome.kind is OutcomeKind.FAILED
    assert "disconnected mid-print" in outcome.reason
    assert octoprint.file_info(upload.path).failures == 1


# ------------------------------------------------------------- push socket --
def test_push_events_arrive_through_the_authenticated_socket(
    octoprint: OctoPrintClient, tmp_path: Path
) -> None:
    got: list[PushMessage] = []
    lock = threading.Lock()
    done = threading.Event()
    temps = threading.Event()

    def on_message(msg: PushMessage) -> None:
        with lock:
            got.append(msg)
        if isinstance(msg, Event) and msg.type == "PrintDone":
            done.set()
        if isinstance(msg, Current) and "tool0" in msg.temperatures:
            temps.set()  # the virtual printer reports temperatures every 2 s or so

    sock = PushSocket(octoprint, on_message)
    sock.start()
    try:
        assert sock.connected.wait(30)
        octoprint.upload(gcode(tmp_path, "push-socket.gcode", 40), start=True)
        assert done.wait(PRINT_WAIT), "no PrintDone event"
        assert temps.wait(30), "no temperatures in the 'current' updates"
    finally:
        sock.stop()
    with lock:
        events = [m.type for m in got if isinstance(m, Event)]
        currents = [m for m in got if isinstance(m, Current)]
    assert any(isinstance(m, Connected) and m.version.startswith("1.11") for m in got)
    # Events need an authenticated socket: OctoPrint holds them back otherwise.
    assert "PrintStarted" in events and "PrintDone" in events
    assert any(c.flags.printing and c.file_path == "push-socket.gcode" for c in currents), [
        (c.state_text, c.file_path) for c in currents]


def test_without_the_session_auth_the_socket_gets_no_events(
    octoprint: OctoPrintClient, tmp_path: Path
) -> None:
    """The contrast to the test above: a bare socket, never authenticated,
    open during the same kind of print, hears the greeting and nothing else
    (OctoPrint holds events back until the socket logs in)."""
    import json

    import websocket

    from printers.octoprint.events import socket_url

    bare = websocket.create_connection(socket_url(octoprint.base_url), timeout=10)
    bare_got: list[dict[str, object]] = []
    stop = threading.Event()

    def read_bare() -> None:
        bare.settimeout(0.5)
        while not stop.is_set():
            try:
                data = bare.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except (websocket.WebSocketException, OSError):
                return
            bare_got.append(json.loads(data))

    reader = threading.Thread(target=read_bare, daemon=True)
    reader.start()
    authed: list[PushMessage] = []
    done = threading.Event()

    def on_message(msg: PushMessage) -> None:
        authed.append(msg)
        if isinstance(msg, Event) and msg.type == "PrintDone":
            done.set()

    sock = PushSocket(octoprint, on_message)
    sock.start()
    try:
        assert sock.connected.wait(30)
        octoprint.upload(gcode(tmp_path, "bare-socket.gcode", 10), start=True)
        assert done.wait(PRINT_WAIT), "no PrintDone on the authenticated socket"
    finally:
        sock.stop()
        stop.set()
        reader.join(10)
        bare.close()
    kinds = {key for message in bare_got for key in message}
    assert "connected" in kinds
    assert not kinds & {"event", "current", "history"}, kinds
