"""The webcam snapshot through a real OctoPrint: its classic-webcam plugin is
pointed at a small JPEG server on 127.0.0.1, and OctoPrint relays the still."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from printers.octoprint import NoCameraError, OctoPrintClient

pytestmark = [pytest.mark.peer, pytest.mark.slow, pytest.mark.timeout(120)]


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 80, 20)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def camera() -> Iterator[str]:
    image = jpeg()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(image)))
            self.end_headers()
            self.wfile.write(image)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/snapshot.jpg"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_snapshot_from_the_configured_webcam(octoprint: OctoPrintClient, camera: str) -> None:
    octoprint.post_json("/api/settings", {"webcam": {"webcamEnabled": True},
                                          "plugins": {"classicwebcam": {"snapshot": camera}}})
    try:
        shot = octoprint.snapshot()
    finally:
        octoprint.post_json("/api/settings", {"webcam": {"webcamEnabled": False},
                                              "plugins": {"classicwebcam": {"snapshot": ""}}})
    assert shot.content_type == "image/jpeg"
    assert Image.open(io.BytesIO(shot.data)).size == (32, 24)
    with pytest.raises(NoCameraError):
        octoprint.snapshot()  # and gone again
