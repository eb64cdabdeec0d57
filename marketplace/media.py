"""Uploaded bytes: content checks, photo re-encoding, perceptual hashes, blob storage.

Photos are decoded, turned upright, stripped of every metadata block (EXIF,
GPS, XMP, ICC, comments) by re-encoding the pixels alone as JPEG, and hashed
with the 64-bit pHash of ``imagehash`` in all 8 rotations and mirror images.
Model files are accepted only when their bytes look like what their name says.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.fftpack  # type: ignore[import-untyped]  # imagehash.phash uses it too
from PIL import Image, ImageOps, UnidentifiedImageError

from marketplace.errors import too_large, unprocessable

MODEL_KINDS = {"stl": "stl", "3mf": "3mf", "obj": "obj", "step": "step", "stp": "step"}
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_PIXELS = 40_000_000
LONG_EDGE = 2560
MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class Photo:
    data: bytes  # the re-encoded JPEG, no metadata
    width: int
    height: int
    hashes: tuple[int, ...]  # pHash of the 8 dihedral variants, variant 0 first


@dataclass(frozen=True)
class PhotoHeader:
    """What the first bytes of an upload say: enough to refuse it at once."""

    format: str
    width: int
    height: int


def inspect_photo(raw: bytes, limit: int) -> PhotoHeader:
    """The cheap checks of an upload (size, format, pixel count), without decoding pixels."""
    if len(raw) > limit:
        raise too_large(f"a photo may be at most {limit} bytes")
    if not raw:
        raise unprocessable("the photo is empty", "not_an_image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as img:
                fmt, width, height = str(img.format), img.width, img.height
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise unprocessable(f"not a readable image: {type(exc).__name__}",
                            "not_an_image") from None
    if fmt not in PHOTO_FORMATS:
        raise unprocessable(f"{fmt} photos are not accepted", "not_an_image")
    if width * height > MAX_PIXELS:
        raise too_large("the photo has too many pixels")
    return PhotoHeader(fmt, width, height)


def _fit(width: int, height: int) -> tuple[int, int]:
    """The size ``Image.thumbnail((LONG_EDGE, LONG_EDGE))`` gives an image of this size."""
    scale = min(1.0, LONG_EDGE / width, LONG_EDGE / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def process_photo(raw: bytes, limit: int) -> Photo:
    """Decode, turn upright, strip, shrink to LONG_EDGE and re-encode; hash the result.

    CPU-bound (tens of milliseconds for a 500 KB JPEG): the service runs it in a
    pool of worker processes (``marketplace.photo_jobs``), off the request path.
    A JPEG larger than twice the target is decoded at a reduced scale
    (``Image.draft``: the DCT does the shrinking), never below the target size.
    """
    inspect_photo(raw, limit)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img: Image.Image = Image.open(io.BytesIO(raw))
            if img.format == "JPEG":
                img.draft(None, _fit(img.width, img.height))
            img.load()
            img = ImageOps.exif_transpose(img)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise unprocessable(f"not a readable image: {type(exc).__name__}",
                            "not_an_image") from None
    if img.mode in ("RGBA", "LA", "P", "PA"):
        img = img.convert("RGBA")
        canvas = Image.new("RGB", img.size, (255, 255, 255))
        canvas.paste(img, mask=img.getchannel("A"))
        img = canvas
    elif img.mode != "RGB":
        img = img.convert("RGB")
    img.thumbnail((LONG_EDGE, LONG_EDGE))
    clean = Image.new("RGB", img.size)  # a fresh image: no info dict carried over
    clean.paste(img)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=88, optimize=False)
    return Photo(out.getvalue(), clean.width, clean.height, dihedral_hashes(clean))


_DIHEDRAL = (None, Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180,
             Image.Transpose.ROTATE_270, Image.Transpose.FLIP_LEFT_RIGHT,
             Image.Transpose.FLIP_TOP_BOTTOM, Image.Transpose.TRANSPOSE,
             Image.Transpose.TRANSVERSE)


def dihedral_hashes(img: Image.Image) -> tuple[int, ...]:
    """``imagehash.phash`` of the image and of its 7 other rotations/mirror images.

    pHash first shrinks the image to 32x32 grey; shrinking commutes with the
    dihedral transforms, so the photo is shrunk once and the small image turned,
    which gives the same hashes as hashing each turned photo, 8 times cheaper.
    The DCT and the median test are imagehash's own, done here on the 32x32
    arrays directly (the same bits, without its per-call image copies).
    """
    small = img.convert("L").resize((32, 32), Image.Resampling.LANCZOS)
    out = []
    for op in _DIHEDRAL:
        variant = small if op is None else small.transpose(op)
        out.append(_phash_32(np.asarray(variant)))
    return tuple(out)


def _phash_32(pixels: npt.NDArray[np.uint8]) -> int:
    """imagehash.phash (hash_size 8) of a 32x32 grey image, as an int (row-major, MSB first)."""
    dct = scipy.fftpack.dct(scipy.fftpack.dct(pixels, axis=0), axis=1)
    low = dct[:8, :8]
    bits = (low > np.median(low)).flatten()
    value = 0
    for b in bits:
        value = (value << 1) | int(b)
    return value


def to_signed(h: int) -> int:
    """A 64-bit hash as a signed BIGINT (PostgreSQL has no unsigned 64-bit type)."""
    return h - (1 << 64) if h >= (1 << 63) else h


def distance(a: int, b: int) -> int:
    return ((a ^ b) & MASK64).bit_count()


def check_model_file(name: str, data: bytes, limit: int) -> str:
    """The kind of a model file, after checking its bytes match its name."""
    if len(data) > limit:
        raise too_large(f"a model file may be at most {limit} bytes")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = MODEL_KINDS.get(ext)
    if kind is None:
        raise unprocessable("model files are STL, 3MF, OBJ or STEP", "unsupported_file")
    ok = {
        "stl": _looks_stl,
        "3mf": _looks_3mf,
        "obj": _looks_obj,
        "step": _looks_step,
    }[kind](data)
    if not ok:
        raise unprocessable(f"the content of {name!r} is not a {kind.upper()} file",
                            "mislabelled_file")
    return kind


def _looks_stl(data: bytes) -> bool:
    if len(data) >= 84:
        count = int.from_bytes(data[80:84], "little")
        if 84 + 50 * count == len(data) and count > 0:
            return True
    head = data[:512].lstrip().lower()
    return head.startswith(b"solid") and b"facet" in data[:4096].lower()


def _looks_3mf(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return any(n.lower().endswith(".model") for n in zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


_OBJ_LINE = re.compile(rb"^\s*(?:#|(?:v|vn|vt|vp|f|o|g|s|l|usemtl|mtllib)\b)")


def _looks_obj(data: bytes) -> bool:
    try:
        data[:65536].decode("utf-8")
    except UnicodeDecodeError:
        return False
    lines = [ln for ln in data[:65536].splitlines() if ln.strip()]
    return bool(lines) and all(_OBJ_LINE.match(ln) for ln in lines[:50]) and any(
        ln.lstrip().startswith(b"v ") for ln in lines)


def _looks_step(data: bytes) -> bool:
    return data.lstrip()[:13] == b"ISO-10303-21;"


class BlobStore:
    """Files by content hash under ``root/ab/abcdef...``; writes are atomic."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, sha: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise ValueError("not a sha256")
        return self.root / sha[:2] / sha

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        dest = self.path(sha)
        if dest.exists():
            return sha
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{sha}.{os.getpid()}.{id(data)}.tmp")
        tmp.write_bytes(data)
        tmp.replace(dest)
        return sha
