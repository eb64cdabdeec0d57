"""OctoPrint printers: a strict, timeout-bounded client and how its jobs end.

Qt-free.  The pieces, each in its own module:

- :mod:`.client` — :class:`OctoPrintClient`, the REST API on httpx with a hard
  deadline on every call and typed errors (:mod:`.errors`);
- :mod:`.appkeys` — an API key from a user name and password, or through the
  approval workflow;
- :mod:`.events` — the authenticated push socket (``/sockjs/websocket``);
- :mod:`.outcome` — :class:`OutcomeTracker`: completed / failed / cancelled /
  interrupted, from events or from polling, with the uploaded file's SHA-256;
- :mod:`.watch` — :class:`OctoPrintWatcher`: one server supervised (push first,
  polling as fallback, reconnection with backoff), the object the farm holds.

How the farm (or ``layerline print``) drives one OctoPrint printer::

    client = OctoPrintClient(url, secrets.get(key_name), timeouts=Timeouts(call=10))
    watcher = OctoPrintWatcher(client, on_update)   # on_update: called on its threads
    watcher.start()
    client.connect("VIRTUAL")                       # or None: OctoPrint's default port
    baseline = None                     # or client.file_info(path) when re-printing
    upload = client.upload(Path("cube.gcode"), start=True)   # verified selected+started
    handle = watcher.watch(upload, baseline)
    ...                                             # watcher.cancel(), client.pause()...
    outcome = handle.wait(timeout)                  # Outcome(kind, reason, sha256, ...)
    watcher.stop(); client.close()

``Outcome.kind`` is an :class:`OutcomeKind` (``completed``, ``failed``,
``cancelled``, ``interrupted``: the values the serial printers' job records
use); ``Outcome.sha256`` is the uploaded file's.  Every failure is an
:class:`OctoPrintError`; ``OctoPrintError.transient`` says whether to retry.
"""


from printers.octoprint.appkeys import KeyRequest, key_from_password
from printers.octoprint.client import OctoPrintClient, Timeouts
from printers.octoprint.errors import (
    AppKeyDeniedError,
    NoCameraError,
    OctoPrintAuthError,
    OctoPrintConflictError,
    OctoPrintError,
    OctoPrintNotFoundError,
    OctoPrintProtocolError,
    OctoPrintServerError,
    OctoPrintTimeoutError,
    OctoPrintUnreachableError,
    OctoPrintUnsupportedError,
)
from printers.octoprint.outcome import Outcome, OutcomeKind, OutcomeTracker
from printers.octoprint.watch import JobHandle, LinkStatus, OctoPrintWatcher

__all__ = [
    "AppKeyDeniedError",
    "JobHandle",
    "KeyRequest",
    "LinkStatus",
    "NoCameraError",
    "OctoPrintAuthError",
    "OctoPrintClient",
    "OctoPrintConflictError",
    "OctoPrintError",
    "OctoPrintNotFoundError",
    "OctoPrintProtocolError",
    "OctoPrintServerError",
    "OctoPrintTimeoutError",
    "OctoPrintUnreachableError",
    "OctoPrintUnsupportedError",
    "OctoPrintWatcher",
    "Outcome",
    "OutcomeKind",
    "OutcomeTracker",
    "Timeouts",
    "key_from_password",
]
