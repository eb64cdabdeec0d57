"""The typed errors of the ``reviews`` package.

Everything that can go wrong for an environmental or input reason derives from
:class:`ReviewsError`, which the app registers as a *known* error (a friendly
message, no crash dialog).  Anything else escaping ``reviews`` is a bug.
"""

from __future__ import annotations


class ReviewsError(Exception):
    """Base class of every known error of the ``reviews`` package."""


class ReceiptError(ReviewsError):
    """A print receipt is malformed or does not verify.

    ``code`` is a short stable word a service can return to a client and a test
    can assert on: ``malformed``, ``bad_signature``, ``unknown_key``,
    ``time_order``, ``future``, ``replay``.
    """

    def __init__(self, message: str, *, code: str = "malformed") -> None:
        super().__init__(message)
        self.code = code


class DeviceKeyError(ReviewsError):
    """The installation's signing key cannot be read from the secret store."""


class PhotoError(ReviewsError):
    """A photo cannot be read or prepared for upload.

    ``code``: ``not_an_image``, ``too_large`` (a decompression bomb),
    ``truncated``, ``unsupported``.
    """

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class OutboxError(ReviewsError):
    """The outbox was asked something impossible (an unknown item, editing a
    delivered item, ...)."""
