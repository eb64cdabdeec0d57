"""The OctoPrint server going away mid-print and coming back.

The process is killed (SIGKILL: a crash or a power cut of the print server)
or stopped (SIGTERM: a clean shutdown) while the virtual printer prints, and
started again on the same port and base directory.  In both cases what the
real OctoPrint 1.11 then reports is the same: the printer
disconnected ("Closed"), no job selected, and nothing in the file's print
history (the print was never recorded as done, failed or cancelled).  So the
outcome is ``interrupted``, learnt by polling once the server answers again;
the push socket's events of the gap are lost and the socket comes back by
itself with a new session.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from printers.octoprint import (
    OctoPrintClient,
    OctoPrintUnreachableError,
    OctoPrintWatcher,
    OutcomeKind,
)
from printers.octoprint.backoff import Backoff
from printers.octoprint.watch import LinkStatus, WatchUpdate
from tests.helpers.octoprint_server import OctoPrintServer
from tests.printers.octoprint.conftest import gcode, wait_for

pytestmark = [pytest.mark.peer, pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.mark.parametrize("kill", [True, False], ids=["killed", "stopped"])
def test_server_gone_mid_print_then_back(
    octoprint: OctoPrintClient, octoprint_server: OctoPrintServer, tmp_path: Path, kill: bool
) -> None:
    statuses: list[LinkStatus] = []
    lock = threading.Lock()

    def on_update(update: WatchUpdate) -> None:
        if isinstance(update, LinkStatus):
            with lock:
                statuses.append(update)

    watcher = OctoPrintWatcher(octoprint, on_update, poll_interval=0.3,
                               backoff=Backoff(initial=0.2, maximum=2.0))
    watcher.start()
    try:
        wait_for(lambda: watcher.push_connected, 30, "the push socket")
        upload = octoprint.upload(gcode(tmp_path, "interrupted.gcode", 600), start=True)
        handle = watcher.watch(upload)
        wait_for(lambda: octoprint.job().state == "Printing", 30, "printing")

        octoprint_server.stop(kill=kill)
        # While it is gone: a typed error from every call, and the watcher
        # says so with the error and the last time it saw the server.
        with pytest.raises(OctoPrintUnreachableError):
            octoprint.job()
        down = wait_for(lambda: next((s for s in [watcher.status] if not s.online), None), 30,
                        "the watcher to notice the server is gone")
        assert isinstance(down.error, OctoPrintUnreachableError)
        assert down.last_seen is not None
        assert not watcher.push_connected
        assert handle.outcome is None  # nothing is concluded while it is gone

        octoprint_server.start()
        outcome = handle.wait(60)
        assert outcome is not None, "no outcome after the server came back"
        wait_for(lambda: watcher.push_connected, 60, "the push socket to come back by itself")
        assert watcher.status.online and watcher.status.error is None
    finally:
        watcher.stop()
    assert outcome.kind is OutcomeKind.INTERRUPTED
    assert outcome.source == "poll"
    assert outcome.sha256 == upload.sha256
    # What the real server reports after the restart.
    assert not octoprint.connection().connected
    assert octoprint.job().file_path is None
    history = octoprint.file_info(upload.path)
    assert history.successes == 0 and history.failures == 0
    with lock:
        kinds = [(s.online, s.push) for s in statuses]
    assert (False, False) in kinds and kinds[-1] == (True, True)


def test_a_frozen_server_is_noticed_and_recovered(
    octoprint_server: OctoPrintServer, octoprint: OctoPrintClient,
) -> None:
    """SIGSTOP: the server keeps its sockets open but answers nothing (the
    farm's "frozen printer").  The push socket's ping goes unanswered, the
    polls time out: typed timeouts, then everything back after SIGCONT."""
    import os
    import signal

    from printers.octoprint import OctoPrintTimeoutError, Timeouts

    fast = OctoPrintClient(octoprint_server.url, octoprint_server.api_key,
                           timeouts=Timeouts(connect=1.0, call=2.0))
    errors: list[LinkStatus] = []

    def on_update(update: WatchUpdate) -> None:
        if isinstance(update, LinkStatus) and update.error is not None:
            errors.append(update)

    watcher = OctoPrintWatcher(fast, on_update, poll_interval=0.3, silence=1.0,
                               backoff=Backoff(initial=0.2, maximum=1.0))
    watcher.start()
    pid = octoprint_server.pid
    assert pid is not None
    try:
        wait_for(lambda: watcher.push_connected, 30, "the push socket")
        os.kill(pid, signal.SIGSTOP)
        try:
            with pytest.raises(OctoPrintTimeoutError):
                fast.version()
            wait_for(lambda: not watcher.push_connected and not watcher.status.online, 30,
                     "the watcher to notice the frozen server")
            assert isinstance(watcher.status.error, OctoPrintTimeoutError)
        finally:
            os.kill(pid, signal.SIGCONT)
        wait_for(lambda: watcher.push_connected and watcher.status.online, 60,
                 "the link to come back by itself")
    finally:
        watcher.stop()
        fast.close()
    assert any(isinstance(s.error, OctoPrintTimeoutError) for s in errors)
