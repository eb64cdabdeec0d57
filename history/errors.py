"""The history package's typed errors (known errors the user can act on)."""

from __future__ import annotations


class HistoryError(Exception):
    """Base of every known history error (registered with the app's error policy)."""


class FilterError(HistoryError):
    """A history filter or statistics grouping is not valid (bad date, unknown outcome)."""
