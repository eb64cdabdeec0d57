"""Checks that make hostile files harmless.

Archives are judged from their central directory before a byte is inflated:
total and per-entry uncompressed size, compression ratio, entry count, names
that escape (``..``, absolute paths, drive letters, backslashes) and links are
refused.  Reading an entry goes through :func:`read_member`, which stops at the
declared size even if the archive lies about it.  XML goes through defusedxml
with DTDs forbidden, so entity expansion ("billion laughs") and external
entities are refused.
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from library.errors import UnsafeFileError


@dataclass(frozen=True, slots=True)
class Limits:
    """What the import accepts.  The defaults fit the largest real models."""

    max_file_bytes: int = 1 << 30            # 1 GiB for one model or G-code file
    max_entry_bytes: int = 512 << 20         # one archive entry, uncompressed
    max_total_bytes: int = 2 << 30           # a whole archive, uncompressed
    max_entries: int = 10_000
    max_ratio: float = 200.0                 # uncompressed / compressed, per entry
    max_triangles: int = 20_000_000
    max_xml_bytes: int = 512 << 20


DEFAULT_LIMITS = Limits()


def check_member_name(name: str) -> PurePosixPath:
    """A safe relative path for an archive entry, or :class:`UnsafeFileError`."""
    if "\\" in name:
        raise UnsafeFileError(f"archive entry {name!r} has a backslash in its name")
    if "\x00" in name:
        raise UnsafeFileError(f"archive entry {name!r} has a NUL in its name")
    path = PurePosixPath(name)
    if path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        raise UnsafeFileError(f"archive entry {name!r} is an absolute path")
    if any(part == ".." for part in path.parts):
        raise UnsafeFileError(f"archive entry {name!r} escapes the archive (..)")
    return path


def _is_link(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return stat.S_ISLNK(mode) if mode else False


def check_zip(zf: zipfile.ZipFile, limits: Limits = DEFAULT_LIMITS) -> list[zipfile.ZipInfo]:
    """Vet every entry of ``zf`` from its directory alone; return the file
    entries (directories left out) or raise :class:`UnsafeFileError`."""
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise UnsafeFileError(f"archive has {len(infos)} entries (limit {limits.max_entries})")
    total = 0
    files: list[zipfile.ZipInfo] = []
    for info in infos:
        check_member_name(info.filename)
        if _is_link(info):
            raise UnsafeFileError(f"archive entry {info.filename!r} is a link")
        if info.is_dir():
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > (1 << 20) and ratio > limits.max_ratio:
            raise UnsafeFileError(
                f"archive entry {info.filename!r} has a compression ratio of {ratio:.0f}:1 "
                "(a zip bomb?)")
        if info.file_size > limits.max_entry_bytes:
            raise UnsafeFileError(
                f"archive entry {info.filename!r} inflates to {info.file_size} bytes "
                f"(limit {limits.max_entry_bytes})")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise UnsafeFileError(
                f"archive inflates to more than {limits.max_total_bytes} bytes (a zip bomb?)")
        files.append(info)
    return files


def open_zip(source: str | IO[bytes], limits: Limits = DEFAULT_LIMITS
             ) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """Open and vet a zip archive."""
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        from library.errors import FileFormatError

        raise FileFormatError(f"not a readable zip archive: {exc}") from None
    try:
        return zf, check_zip(zf, limits)
    except BaseException:
        zf.close()
        raise


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int | None = None) -> bytes:
    """Read one vetted entry, never more than its declared size (or ``limit``)."""
    cap = info.file_size if limit is None else min(limit, info.file_size)
    try:
        with zf.open(info) as fh:
            data = fh.read(cap + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        from library.errors import FileFormatError

        raise FileFormatError(f"archive entry {info.filename!r} is damaged ({exc})") from None
    if len(data) > cap:
        raise UnsafeFileError(f"archive entry {info.filename!r} is larger than it declares")
    return data


def parse_xml(data: bytes, what: str) -> Any:
    """Parse untrusted XML with DTDs and entities refused."""
    from library.errors import FileFormatError

    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                  forbid_external=True)
    except DefusedXmlException as exc:
        raise UnsafeFileError(f"{what}: XML with a DTD or entities is refused ({exc})") from None
    except SafeET.ParseError as exc:
        raise FileFormatError(f"{what}: malformed XML ({exc})") from None
