"""The real OctoPrint 1.11 server, once per test session, and a client whose
virtual printer is connected and idle at the start of every test.

The server is never skipped (on CI=true or anywhere else): when OctoPrint
cannot be installed or started the fixture fails with the installer's or the
server's own output.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from printers.octoprint import OctoPrintClient, OctoPrintError, Timeouts
from tests.helpers.octoprint_server import OctoPrintServer, OctoPrintSetupError

TIMEOUTS = Timeouts(connect=3.0, call=15.0, upload=60.0)  # a loaded 2-core CI machine


@pytest.fixture(scope="session")
def octoprint_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OctoPrintServer]:
    try:
        server = OctoPrintServer(tmp_path_factory.mktemp("octoprint"))
        server.start()
    except OctoPrintSetupError as exc:
        pytest.fail(f"the real OctoPrint server for the tests could not be set up:\n{exc}",
                    pytrace=False)
    try:
        yield server
    finally:
        server.stop()


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it returns something truthy (typed errors
    count as "not yet"); fail with ``what`` after ``timeout`` s."""
    end = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < end:
        try:
            last = predicate()
        except OctoPrintError as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    pytest.fail(f"timed out waiting for {what} (last: {last!r})")


def connect_virtual_printer(client: OctoPrintClient) -> None:
    """Connect the virtual printer and wait until it is operational and idle."""
    state = client.printer()
    if not state.flags.operational:
        client.connect("VIRTUAL", baudrate=250000)
    wait_for(lambda: client.printer().flags.ready, 60, "the virtual printer to be ready")


@pytest.fixture
def octoprint(octoprint_server: OctoPrintServer) -> Iterator[OctoPrintClient]:
    """A client of the session's server, virtual printer connected and idle."""
    octoprint_server.start()  # a no-op unless a test stopped it
    client = OctoPrintClient(octoprint_server.url, octoprint_server.api_key, timeouts=TIMEOUTS)
    try:
        connect_virtual_printer(client)
        yield client
        # Leave the printer idle for the next test.
        try:
            if client.job().active:
                client.cancel()
                wait_for(lambda: client.printer().flags.ready, 60, "the cancel to finish")
        except OctoPrintError:
            pass
    finally:
        client.close()


def gcode(tmp: Path, name: str, moves: int) -> Path:
    """A G-code file of ``moves`` 50 mm moves at 3000 mm/min (the virtual
    printer spends a tenth of the real time: ~0.1 s a move)."""
    lines = ["; Layerline test print", "G90", "G28", "M104 S0", "G1 Z0.3 F3000"]
    lines += [f"G1 X{10 + (i % 2) * 50} Y{10 + (i // 2) % 50} F3000" for i in range(moves)]
    lines += ["M84"]
    path = tmp / name
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path
