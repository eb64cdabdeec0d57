"""The content-addressed store: a file's identity is the SHA-256 of its
bytes; identical files are stored once, under ``<root>/ab/abcdef...``, read
only.  Thumbnails live beside them under ``<root>/thumbs/ab/<hash>.png``.
Writes go to a temporary name and are renamed into place, so two workers
storing the same content at once, or a kill midway, never leave a partial
blob under a real name."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import IO

CHUNK = 1 << 20


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "tmp").mkdir(parents=True, exist_ok=True)

    def path_of(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def thumb_path(self, digest: str) -> Path:
        return self.root / "thumbs" / digest[:2] / f"{digest}.png"

    def has(self, digest: str) -> bool:
        return self.path_of(digest).exists()

    def _commit(self, tmp: Path, final: Path) -> None:
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            tmp.unlink(missing_ok=True)
            return
        tmp.chmod(0o444)
        tmp.replace(final)

    def _tmp(self) -> tuple[IO[bytes], Path]:
        fd, name = tempfile.mkstemp(dir=self.root / "tmp", prefix="in-")
        return os.fdopen(fd, "wb"), Path(name)

    def put_bytes(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if not self.has(digest):
            fh, tmp = self._tmp()
            with fh:
                fh.write(data)
            self._commit(tmp, self.path_of(digest))
        return digest

    def put_stream(self, src: IO[bytes]) -> tuple[str, int]:
        """Copy a stream in, hashing as it goes; return (digest, size)."""
        h = hashlib.sha256()
        size = 0
        fh, tmp = self._tmp()
        try:
            with fh:
                while chunk := src.read(CHUNK):
                    h.update(chunk)
                    fh.write(chunk)
                    size += len(chunk)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        digest = h.hexdigest()
        self._commit(tmp, self.path_of(digest))
        return digest, size

    def put_thumbnail(self, digest: str, png: bytes) -> Path:
        final = self.thumb_path(digest)
        if not final.exists():
            fh, tmp = self._tmp()
            with fh:
                fh.write(png)
            self._commit(tmp, final)
        return final


def hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()
