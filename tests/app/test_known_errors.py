"""Each domain package's errors are known errors in the app (a message for the
user), anything else is a bug."""

from __future__ import annotations

from pathlib import Path

from app import logs, paths, services
from printers.octoprint.errors import OctoPrintTimeoutError, OctoPrintUnreachableError
from reviews.errors import OutboxError, PhotoError, ReceiptError


def test_domain_errors_are_known_errors(tmp_path: Path) -> None:
    svc = services.build(paths.from_basedir(tmp_path), logs.RingBuffer(), defer_database=True)
    try:
        for exc in (
            PhotoError("x", code="truncated"), ReceiptError("x"), OutboxError("x"),
            OctoPrintUnreachableError("down", url="http://127.0.0.1:1"),
            OctoPrintTimeoutError("slow", url="http://127.0.0.1:1"),
        ):
            assert svc.errors.is_known(exc), exc
        assert not svc.errors.is_known(KeyError("a bug"))
    finally:
        svc.shutdown()


def test_no_library_is_built_once_shutdown_has_begun(tmp_path: Path) -> None:
    import pytest

    svc = services.build(paths.from_basedir(tmp_path), logs.RingBuffer())
    svc.shutdown()
    with pytest.raises(services.ServicesClosedError):
        _ = svc.library
