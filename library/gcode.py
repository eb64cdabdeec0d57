"""G-code files: only their ends are read (a slicer writes its header at the
start and its statistics and settings at the start or the end), plus the
thumbnails embedded as base64 comments.  Prusa's binary G-code (``.bgcode``)
is walked block by block up to the first G-code block: its file, printer,
print and slicer metadata and its thumbnails.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from library.errors import FileFormatError

END_BYTES = 1 << 20   # how much of each end of a G-code file is read


@dataclass(slots=True)
class GcodeText:
    """The start and the end of a G-code file as text (the same text when the
    file is small), and its embedded thumbnails (image bytes, largest first)."""

    head: str
    tail: str
    size: int
    thumbnails: list[bytes] = field(default_factory=list)
    binary: bool = False


def read_ends(path: Path, end_bytes: int = END_BYTES) -> GcodeText:
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(end_bytes)
        if size > 2 * end_bytes:
            fh.seek(size - end_bytes)
            tail = fh.read(end_bytes)
        else:
            tail = head + fh.read()
            head = tail
    return from_bytes(head, tail, size)


def from_bytes(head: bytes, tail: bytes, size: int) -> GcodeText:
    if head[:4] == b"GCDE":
        raise FileFormatError("binary G-code: read it with read_bgcode")
    sample = head[:4096]
    if b"\x00" in sample:
        raise FileFormatError("not G-code: binary data")
    h = head.decode("utf-8", "replace")
    t = tail.decode("utf-8", "replace")
    if not _looks_like_gcode(h):
        raise FileFormatError("not G-code: no G/M commands or slicer comments found")
    thumbs = _thumbnails(h) + (_thumbnails(t) if t is not h else [])
    thumbs.sort(key=len, reverse=True)
    return GcodeText(h, t, size, thumbs)


_CMD = re.compile(r"^\s*[GMT]\d+", re.M)


def _looks_like_gcode(text: str) -> bool:
    lines = text[:65536].splitlines()
    if not lines:
        return False
    cmds = sum(1 for ln in lines if _CMD.match(ln))
    comments = sum(1 for ln in lines if ln.lstrip().startswith(";"))
    return cmds + comments >= max(1, len(lines) // 2)


_THUMB = re.compile(
    r"^; thumbnail(?:_(?:JPG|QOI|PNG))? begin (\d+)x(\d+) (\d+)\s*$(.*?)^; thumbnail(?:_\w+)? end",
    re.M | re.S)


def _thumbnails(text: str) -> list[bytes]:
    out: list[bytes] = []
    for m in _THUMB.finditer(text):
        payload = "".join(ln.lstrip("; ").strip() for ln in m.group(4).splitlines())
        try:
            out.append(base64.b64decode(payload, validate=False))
        except (binascii.Error, ValueError):
            continue
    return out


# -- binary G-code ------------------------------------------------------
_BLOCK_NAMES = {0: "file", 2: "slicer", 3: "printer", 4: "print"}
_MAX_META = 16 << 20


def read_bgcode(path: Path) -> tuple[dict[str, dict[str, str]], list[bytes], int]:
    """The metadata blocks (by kind: file, printer, print, slicer) and the
    thumbnails of a Prusa binary G-code file, and its size."""
    size = path.stat().st_size
    meta: dict[str, dict[str, str]] = {}
    thumbs: list[bytes] = []
    with path.open("rb") as fh:
        head = fh.read(10)
        if len(head) < 10 or head[:4] != b"GCDE":
            raise FileFormatError("not a binary G-code file (no GCDE magic)")
        _version, checksum = struct.unpack("<IH", head[4:10])
        crc_len = 4 if checksum == 1 else 0
        while True:
            hdr = fh.read(8)
            if len(hdr) < 8:
                break
            btype, comp, usize = struct.unpack("<HHI", hdr)
            csize = usize
            if comp != 0:
                raw = fh.read(4)
                if len(raw) < 4:
                    raise FileFormatError("binary G-code: truncated block header")
                (csize,) = struct.unpack("<I", raw)
            if btype == 1:           # the G-code itself: metadata is all before it
                break
            params = fh.read(6 if btype == 5 else 2)
            if btype not in (0, 2, 3, 4, 5) or csize > _MAX_META or usize > _MAX_META:
                raise FileFormatError(f"binary G-code: bad block (type {btype}, {csize} bytes)")
            data = fh.read(csize)
            fh.seek(crc_len, 1)
            if len(data) < csize:
                raise FileFormatError("binary G-code: truncated block")
            if comp == 1:
                try:
                    data = zlib.decompressobj().decompress(data, usize + 1)
                except zlib.error as exc:
                    raise FileFormatError(f"binary G-code: bad deflate block ({exc})") from None
            elif comp != 0:
                continue  # heatshrink: metadata never uses it in practice
            if btype == 5:
                if len(params) == 6:
                    thumbs.append(data)
                continue
            text = data.decode("utf-8", "replace")
            kv: dict[str, str] = {}
            for line in text.splitlines():
                key, sep, value = line.partition("=")
                if sep:
                    kv[key.strip()] = value.strip()
            meta[_BLOCK_NAMES[btype]] = kv
    thumbs.sort(key=len, reverse=True)
    return meta, thumbs, size
