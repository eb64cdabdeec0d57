"""One window per base directory: a second ``layerline FILE...`` hands its files
to the instance already running, over a local socket, and exits.

The socket lives in the base directory's runtime folder, so separate base
directories (tests, the demo) never see each other.  Messages are one JSON
object per connection: ``{"files": [absolute paths]}``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

_MAX_MESSAGE = 1_000_000


def socket_path(runtime_dir: Path) -> str:
    return str(runtime_dir / "instance.sock")


def hand_over(runtime_dir: Path, files: list[Path], timeout_ms: int = 2000) -> bool:
    """Try to give ``files`` to a running instance.  True if one took them."""
    sock = QLocalSocket()
    sock.connectToServer(socket_path(runtime_dir))
    if not sock.waitForConnected(timeout_ms):
        return False
    payload = json.dumps({"files": [str(p.resolve()) for p in files]}).encode() + b"\n"
    sock.write(payload)
    ok = sock.waitForBytesWritten(timeout_ms)
    # Wait for the server's acknowledgement so we know it was read.
    ok = ok and sock.waitForReadyRead(timeout_ms) and bytes(sock.readAll().data()).startswith(b"ok")
    sock.disconnectFromServer()
    return ok


class InstanceServer(QObject):
    """Listens for hand-overs; emits :attr:`files_received` on the GUI thread."""

    files_received = Signal(list)

    def __init__(self, runtime_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._buffers: dict[QLocalSocket, bytearray] = {}
        name = socket_path(runtime_dir)
        # A stale socket from a killed instance would block listen().
        QLocalServer.removeServer(name)
        if not self._server.listen(name):
            log.warning("cannot listen on %s: %s", name, self._server.errorString())
        self._server.newConnection.connect(self._on_new_connection)

    def close(self) -> None:
        self._server.close()

    def _on_new_connection(self) -> None:
        while (sock := self._server.nextPendingConnection()) is not None:
            self._buffers[sock] = bytearray()
            sock.readyRead.connect(lambda s=sock: self._on_ready_read(s))
            sock.disconnected.connect(lambda s=sock: self._forget(s))

    def _forget(self, sock: QLocalSocket) -> None:
        self._buffers.pop(sock, None)
        sock.deleteLater()

    def _on_ready_read(self, sock: QLocalSocket) -> None:
        buf = self._buffers.setdefault(sock, bytearray())
        buf += bytes(sock.readAll().data())
        if len(buf) > _MAX_MESSAGE:
            log.warning("hand-over message too large; dropped")
            sock.abort()
            return
        if b"\n" not in buf:
            return
        line = bytes(buf.split(b"\n", 1)[0])
        try:
            msg = json.loads(line)
            files = [Path(str(f)) for f in msg.get("files", [])]
        except (ValueError, AttributeError, TypeError):
            log.warning("malformed hand-over message ignored")
            sock.abort()
            return
        sock.write(b"ok\n")
        sock.flush()
        log.info("received %d file(s) from another instance", len(files))
        self.files_received.emit(files)
