"""Obtaining an API key from a user name and password, on a real OctoPrint."""

from __future__ import annotations

import threading

import httpx
import pytest

from printers.octoprint import (
    AppKeyDeniedError,
    KeyRequest,
    OctoPrintAuthError,
    OctoPrintClient,
    key_from_password,
)
from tests.helpers.octoprint_server import OctoPrintServer
from tests.printers.octoprint.conftest import TIMEOUTS, wait_for

pytestmark = [pytest.mark.peer, pytest.mark.slow, pytest.mark.timeout(120)]


def test_key_from_user_name_and_password(octoprint_server: OctoPrintServer) -> None:
    key = key_from_password(octoprint_server.url, octoprint_server.username,
                            octoprint_server.password, app="Layerline key test",
                            timeouts=TIMEOUTS)
    assert key and key != octoprint_server.api_key
    with OctoPrintClient(octoprint_server.url, key, timeouts=TIMEOUTS) as client:
        assert client.version().server.startswith("1.11.")
        assert client.session_login().name == octoprint_server.username


def test_a_wrong_password_is_an_auth_error(octoprint_server: OctoPrintServer) -> None:
    with pytest.raises(OctoPrintAuthError):
        key_from_password(octoprint_server.url, octoprint_server.username, "not the password",
                          timeouts=TIMEOUTS)


class Browser:
    """The user at OctoPrint's web interface: a logged-in session that answers
    application-key requests (what clicking Allow or Deny does)."""

    def __init__(self, server: OctoPrintServer) -> None:
        self.url = server.url
        self.http = httpx.Client(timeout=15)
        self.http.get(f"{self.url}/login")  # sets the CSRF cookie
        r = self.http.post(f"{self.url}/api/login",
                           json={"user": server.username, "pass": server.password},
                           headers={"X-CSRF-Token": self._csrf()})
        r.raise_for_status()

    def _csrf(self) -> str:
        return next(v for k, v in self.http.cookies.items() if k.startswith("csrf_token"))

    def pending(self) -> dict[str, dict[str, object]]:
        r = self.http.get(f"{self.url}/api/plugin/appkeys")
        r.raise_for_status()
        pending: dict[str, dict[str, object]] = r.json()["pending"]
        return pending

    def decide(self, app: str, allow: bool) -> None:
        token = wait_for(
            lambda: next((t for t, p in self.pending().items() if p.get("app_id") == app), None),
            30, f"the request of {app!r} to show in the web interface",
        )
        r = self.http.post(f"{self.url}/plugin/appkeys/decision/{token}",
                           json={"decision": allow}, headers={"X-CSRF-Token": self._csrf()})
        r.raise_for_status()

    def close(self) -> None:
        self.http.close()


@pytest.mark.parametrize("allow", [True, False], ids=["allowed", "denied"])
def test_key_through_the_approval_workflow(octoprint_server: OctoPrintServer,
                                           allow: bool) -> None:
    app = f"Layerline approval {allow}"
    browser = Browser(octoprint_server)
    with KeyRequest(octoprint_server.url, app, octoprint_server.username,
                    timeouts=TIMEOUTS) as request:
        request.submit()
        assert request.auth_dialog and request.app_token
        assert request.poll() is None  # pending until the user decides
        clicker = threading.Thread(target=browser.decide, args=(app, allow))
        clicker.start()
        try:
            if allow:
                key = request.wait(timeout=30, interval=0.2)
            else:
                with pytest.raises(AppKeyDeniedError):
                    request.wait(timeout=30, interval=0.2)
        finally:
            clicker.join(30)
            browser.close()
    if allow:
        with OctoPrintClient(octoprint_server.url, key, timeouts=TIMEOUTS) as client:
            assert client.version().server.startswith("1.11.")
