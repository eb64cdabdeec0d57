"""Client details that need no server: headers, cookies, paths."""

from __future__ import annotations

import json

import httpx

from printers.octoprint import OctoPrintClient


def test_the_client_sends_its_key_and_keeps_no_cookies() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = {"api": "0.1", "server": "1.11.8", "text": "OctoPrint 1.11.8"}
        return httpx.Response(200, json=body,
                              headers={"Set-Cookie": "session_P80=abc; Path=/"})

    client = OctoPrintClient("http://printer.local/", "SECRET",
                             transport=httpx.MockTransport(handler))
    with client:
        client.version()
        client.version()
    assert [r.headers["X-Api-Key"] for r in seen] == ["SECRET", "SECRET"]
    # A session cookie from one call would be carried by every later call
    # from any thread: the client keeps none.
    assert "cookie" not in seen[1].headers
    assert str(seen[0].url) == "http://printer.local/api/version"
    assert "SECRET" not in repr(client)


def test_paths_are_quoted_and_commands_are_json() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with OctoPrintClient("http://p", "K", transport=httpx.MockTransport(handler)) as client:
        client.select("my prints/a b#1.gcode", start=True)
        client.pause()
    assert seen[0].url.raw_path == b"/api/files/local/my%20prints/a%20b%231.gcode"
    assert json.loads(seen[0].content) == {"command": "select", "print": True}
    assert json.loads(seen[1].content) == {"command": "pause", "action": "pause"}


def test_a_url_that_is_not_http_is_refused_at_once() -> None:
    import pytest

    from printers.octoprint import OctoPrintError

    for url in ("printer.local:5000", "ftp://printer", ""):
        with pytest.raises(OctoPrintError, match="not an http"):
            OctoPrintClient(url, "K")
    with OctoPrintClient("http://[::1", "K") as client, pytest.raises(OctoPrintError):
        client.version()  # a broken host part: a typed error, not httpx's
