"""The library's typed errors.  Every one carries a message a person can act
on; the import report shows it next to the file it concerns."""

from __future__ import annotations


class LibraryError(Exception):
    """Base class of every error the library raises on purpose."""


class FileFormatError(LibraryError):
    """A file is not what its name says, or is damaged (truncated, lying
    header, garbage, non-finite coordinates, ...)."""


class UnsafeFileError(LibraryError):
    """A file or archive was refused for safety: zip bomb, path traversal,
    links, XML entity expansion, too large."""


class ResourceLimitError(LibraryError):
    """A file needs more time or memory than the import allows."""


class ImportCancelledError(LibraryError):
    """The import was cancelled; what was done is kept and resumes later."""


class SlicerError(LibraryError):
    """The slicer is missing or failed."""
