"""Getting an API key for the user, through OctoPrint's application-keys plugin.

Two ways, both tested against a real OctoPrint 1.11:

- :func:`key_from_password` — log in with the user name and password
  (``POST /api/login``, a cookie session with OctoPrint's double-cookie CSRF
  token), then ``POST /api/plugin/appkeys {"command": "generate"}``.  Works
  without anyone at the browser; this is what ``layerline printers add``
  uses when it is given credentials.  The password is used once and kept
  nowhere.
- :class:`KeyRequest` — the approval workflow: ``POST /plugin/appkeys/request``
  returns a token; the user clicks *Allow* in OctoPrint's web interface; the
  client polls ``GET /plugin/appkeys/request/<token>`` (202 pending, 200 with
  the key, 404 denied or expired).  OctoPrint rate-limits requests (3 a
  minute).

Neither keeps a session afterwards; the key is returned to the caller, who
stores it in the secret store (never the database or the logs).
"""

from __future__ import annotations

import logging
import threading
import time

import httpx

from printers.octoprint.client import Timeouts
from printers.octoprint.errors import (
    AppKeyDeniedError,
    OctoPrintAuthError,
    OctoPrintError,
    OctoPrintNotFoundError,
    OctoPrintProtocolError,
    OctoPrintServerError,
    OctoPrintTimeoutError,
    OctoPrintUnreachableError,
    OctoPrintUnsupportedError,
)

log = logging.getLogger(__name__)


def _call(http: httpx.Client, method: str, url: str, **kw: object) -> httpx.Response:
    try:
        return http.request(method, url, **kw)  # type: ignore[arg-type]
    except httpx.TimeoutException as exc:
        raise OctoPrintTimeoutError(f"{method} {url}: no answer in time", url=url) from exc
    except (httpx.TransportError, OSError) as exc:
        raise OctoPrintUnreachableError(f"{method} {url}: {type(exc).__name__}: {exc}",
                                   url=url) from exc
    except httpx.HTTPError as exc:
        raise OctoPrintError(f"{method} {url}: {exc}", url=url) from exc


def _json_field(resp: httpx.Response, key: str) -> str:
    try:
        data = resp.json()
    except ValueError as exc:
        raise OctoPrintProtocolError(f"{resp.request.url}: answer is not JSON",
                                     url=str(resp.request.url)) from exc
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value:
        raise OctoPrintProtocolError(f"{resp.request.url}: no {key!r} in the answer",
                                     url=str(resp.request.url))
    return value


def _check(resp: httpx.Response, what: str) -> None:
    if resp.status_code < 400:
        return
    url = str(resp.request.url)
    msg = f"{what}: HTTP {resp.status_code}"
    if resp.status_code in (401, 403):
        raise OctoPrintAuthError(msg, url=url, status=resp.status_code)
    if resp.status_code == 404:
        raise OctoPrintNotFoundError(msg, url=url, status=resp.status_code)
    if resp.status_code == 429:
        raise OctoPrintServerError(msg + " (too many attempts: wait a minute)", url=url,
                                   status=resp.status_code)
    raise OctoPrintServerError(msg, url=url, status=resp.status_code)


def key_from_password(
    base_url: str, username: str, password: str, app: str = "Layerline",
    *, timeouts: Timeouts | None = None,
) -> str:
    """Log in and generate an application key for ``app``; return the key.

    Raises :class:`OctoPrintAuthError` for wrong credentials (or a user
    without the app-keys permission), :class:`OctoPrintUnsupportedError` when the
    server has no application-keys plugin."""
    t = timeouts or Timeouts()
    base = base_url.rstrip("/")
    with httpx.Client(timeout=httpx.Timeout(t.call, connect=t.connect),
                      headers={"User-Agent": "Layerline"}) as http:
        # The login page sets OctoPrint's CSRF cookie (csrf_token_P<port>), as
        # for a browser; the API's own answers do not.
        _check(_call(http, "GET", f"{base}/login"), "the login page")
        csrf = next((v for k, v in http.cookies.items() if k.startswith("csrf_token")), None)
        if csrf is None:
            raise OctoPrintProtocolError("the server set no CSRF cookie: not OctoPrint 1.8+?",
                                         url=base)
        resp = _call(http, "POST", f"{base}/api/login",
                     json={"user": username, "pass": password, "remember": False},
                     headers={"X-CSRF-Token": csrf})
        if resp.status_code in (401, 403):
            raise OctoPrintAuthError(f"OctoPrint refused the login for {username!r}",
                                     url=base, status=resp.status_code)
        _check(resp, "login")
        csrf = next((v for k, v in http.cookies.items() if k.startswith("csrf_token")), csrf)
        resp = _call(http, "POST", f"{base}/api/plugin/appkeys",
                     json={"command": "generate", "app": app},
                     headers={"X-CSRF-Token": csrf})
        if resp.status_code == 404:
            raise OctoPrintUnsupportedError("the application-keys plugin is not enabled", url=base,
                                       status=404)
        _check(resp, "generate an application key")
        key = _json_field(resp, "api_key")
        try:
            _call(http, "POST", f"{base}/api/logout", headers={"X-CSRF-Token": csrf})
        except OctoPrintError:
            log.debug("logout after generating a key failed", exc_info=True)
        log.info("obtained an application key for %r from %s", app, base)
        return key


class KeyRequest:
    """The approval workflow.  ``KeyRequest(url, app, user).submit()`` asks;
    show the user :attr:`auth_dialog`; then :meth:`wait` polls for the
    decision (or call :meth:`poll` yourself)."""

    def __init__(self, base_url: str, app: str = "Layerline", user: str | None = None,
                 *, timeouts: Timeouts | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.app = app
        self.user = user
        t = timeouts or Timeouts()
        self._http = httpx.Client(timeout=httpx.Timeout(t.call, connect=t.connect),
                                  headers={"User-Agent": "Layerline"})
        self.app_token: str | None = None
        self.auth_dialog: str | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> KeyRequest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(self) -> str:
        """Ask for a key; return the app token (also in :attr:`app_token`)."""
        probe = _call(self._http, "GET", f"{self.base_url}/plugin/appkeys/probe")
        if probe.status_code == 404:
            raise OctoPrintUnsupportedError("the application-keys plugin is not enabled",
                                       url=self.base_url, status=404)
        body: dict[str, str] = {"app": self.app}
        if self.user:
            body["user"] = self.user
        resp = _call(self._http, "POST", f"{self.base_url}/plugin/appkeys/request", json=body)
        _check(resp, "request an application key")
        self.app_token = _json_field(resp, "app_token")
        try:
            data = resp.json()
            dialog = data.get("auth_dialog") if isinstance(data, dict) else None
            self.auth_dialog = dialog if isinstance(dialog, str) else None
        except ValueError:
            self.auth_dialog = None
        return self.app_token

    def poll(self) -> str | None:
        """The key once granted, None while pending; :class:`AppKeyDeniedError`
        when denied or expired."""
        if self.app_token is None:
            raise OctoPrintError("submit() the request first", url=self.base_url)
        resp = _call(self._http, "GET",
                     f"{self.base_url}/plugin/appkeys/request/{self.app_token}")
        if resp.status_code == 202:
            return None
        if resp.status_code == 404:
            raise AppKeyDeniedError("the key request was denied or has expired", url=self.base_url,
                               status=404)
        _check(resp, "poll the key request")
        return _json_field(resp, "api_key")

    def wait(self, timeout: float, interval: float = 1.0,
             stop: threading.Event | None = None) -> str:
        """Poll until decided; :class:`OctoPrintTimeoutError` after ``timeout`` s
        (OctoPrint itself drops a request nobody polls for 5 s)."""
        end = time.monotonic() + timeout
        while True:
            key = self.poll()
            if key is not None:
                return key
            if time.monotonic() >= end or (stop is not None and stop.is_set()):
                raise OctoPrintTimeoutError("no decision on the key request in time",
                                       url=self.base_url)
            time.sleep(interval) if stop is None else stop.wait(interval)
