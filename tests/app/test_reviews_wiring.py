"""The reviews package's errors are known errors in the app."""

from __future__ import annotations

from pathlib import Path

from app import logs, paths, services
from reviews.errors import OutboxError, PhotoError, ReceiptError


def test_reviews_errors_are_known_errors(tmp_path: Path) -> None:
    svc = services.build(paths.from_basedir(tmp_path), logs.RingBuffer(), defer_database=True)
    try:
        for exc in (PhotoError("x", code="truncated"), ReceiptError("x"), OutboxError("x")):
            assert svc.errors.is_known(exc)
        assert not svc.errors.is_known(KeyError("a bug"))
    finally:
        svc.shutdown()
