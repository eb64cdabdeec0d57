"""Photos made safe to leave the machine.

:func:`prepare_photo` takes what the user picked (a JPEG or PNG from a camera,
a HEIC from a phone, a webcam snapshot) and returns a new JPEG that

- shows the photo the right way up (the EXIF ``Orientation`` applied to the
  pixels, so no viewer needs it);
- carries **no metadata at all**: no EXIF (and so no GPS), no XMP, no IPTC, no
  ICC profile (colours are converted to sRGB first where a profile exists), no
  comments, no thumbnails.  The pixels are copied into a brand-new image with
  an empty ``info``, and the written JPEG is checked segment by segment
  (:func:`jpeg_segments`) before it is returned;
- is at most :data:`MAX_SIDE` pixels on its long side.

Anything that is not a readable image is refused with a
:class:`~reviews.errors.PhotoError` whose ``code`` says why: ``not_an_image``,
``unsupported`` (an image format not accepted here), ``too_large`` (a file
over :data:`MAX_FILE_BYTES`, or a decompression bomb: more than
:data:`MAX_PIXELS` pixels), ``truncated``.

Pillow's process-wide ``Image.MAX_IMAGE_PIXELS`` is set explicitly to
:data:`MAX_PIXELS` when this module is imported, and the limit is also checked
here independently of that global.  HEIC/HEIF is read through ``pillow-heif``,
registered on first use.  CPU-bound: call it from a worker thread, never the
GUI thread.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

from reviews.errors import PhotoError

log = logging.getLogger(__name__)

#: The long side of a prepared photo, in pixels.
MAX_SIDE = 2048
#: The largest image accepted, in pixels (a 108 MP phone camera fits).
MAX_PIXELS = 120_000_000
#: The largest file accepted, in bytes.
MAX_FILE_BYTES = 64 * 1024 * 1024
JPEG_QUALITY = 88
#: Image formats accepted as input (a phone's MPO opens as JPEG).
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF", "TIFF", "BMP", "GIF")

Image.MAX_IMAGE_PIXELS = MAX_PIXELS



@functools.cache
def _register_heif() -> None:
    """Teach Pillow to open HEIC/HEIF (once; pillow-heif is slow to import)."""
    import pillow_heif

    pillow_heif.register_heif_opener()


@dataclass(frozen=True, slots=True)
class PreparedPhoto:
    """A photo ready to upload: JPEG bytes without metadata."""

    data: bytes
    width: int
    height: int
    source_format: str
    media_type: str = "image/jpeg"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def save_in(self, directory: Path) -> Path:
        """Write the photo as ``<sha256>.jpg`` in ``directory`` (atomically;
        the same photo twice is one file) and return its path."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.sha256}.jpg"
        if not path.exists():
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(self.data)
            tmp.replace(path)
        return path


def prepare_photo_file(path: Path, *, max_side: int = MAX_SIDE) -> PreparedPhoto:
    """:func:`prepare_photo` on a file, refusing files over MAX_FILE_BYTES."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise PhotoError(f"{path.name} is {size // (1024 * 1024)} MB; photos over "
                             f"{MAX_FILE_BYTES // (1024 * 1024)} MB are refused",
                             code="too_large")
        data = path.read_bytes()
    except OSError as exc:
        raise PhotoError(f"cannot read {path}: {exc.strerror or exc}", code="not_an_image") \
            from None
    return prepare_photo(data, max_side=max_side, name=path.name)


def prepare_photo(data: bytes, *, max_side: int = MAX_SIDE, name: str = "photo") -> PreparedPhoto:
    """Orientation applied, converted to sRGB, resized, re-encoded as a JPEG
    with no metadata.  Raises :class:`PhotoError`."""
    if len(data) > MAX_FILE_BYTES:
        raise PhotoError(f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB",
                         code="too_large")
    if not data:
        raise PhotoError(f"{name} is empty", code="not_an_image")
    _register_heif()
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        log.warning("Pillow's LOAD_TRUNCATED_IMAGES is on (process-wide): truncated "
                    "photos cannot be told apart from whole ones")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as im:
                return _prepare_open(im, max_side, name)
        except PhotoError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoError(f"{name} has too many pixels (over {MAX_PIXELS:,}); it may be "
                             "a decompression bomb", code="too_large") from None
        except UnidentifiedImageError:
            raise PhotoError(f"{name} is not an image this app can read (JPEG, PNG, HEIC, "
                             "WebP, TIFF, BMP or GIF)", code="not_an_image") from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            text = str(exc)
            code = "truncated" if "truncated" in text or isinstance(exc, EOFError) \
                else "not_an_image"
            raise PhotoError(f"{name} cannot be read: {text}", code=code) from None


def _prepare_open(im: Image.Image, max_side: int, name: str) -> PreparedPhoto:
    fmt = im.format or "unknown"
    width, height = im.size
    if width * height > MAX_PIXELS:
        raise PhotoError(f"{name} has {width * height:,} pixels, over {MAX_PIXELS:,}",
                         code="too_large")
    if width < 1 or height < 1:
        raise PhotoError(f"{name} has no pixels", code="not_an_image")
    if fmt in ("JPEG", "MPO"):
        # Let the JPEG decoder scale down by 1/2, 1/4 or 1/8 while decoding
        # (never below max_side), which saves most of the memory and time.
        im.draft("RGB", (max_side, max_side))
    im.load()
    icc = im.info.get("icc_profile")
    oriented = ImageOps.exif_transpose(im)
    rgb = _to_srgb(oriented, icc if isinstance(icc, bytes) else None)
    if max(rgb.size) > max_side:
        rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # A brand-new image: nothing of the source's info (EXIF, XMP, ICC,
    # comments, ...) can follow the pixels.
    clean = Image.frombytes("RGB", rgb.size, rgb.tobytes())
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, exif=b"", comment=b"")
    data = out.getvalue()
    leftovers = [s for s in jpeg_segments(data) if s not in _CLEAN_SEGMENTS]
    if leftovers:  # a Pillow change that writes metadata by itself would be a bug
        raise AssertionError(f"the re-encoded photo still has segments {leftovers}")
    log.debug("prepared %s: %s %dx%d -> %dx%d, %d bytes", name, fmt, width, height,
              clean.width, clean.height, len(data))
    return PreparedPhoto(data=data, width=clean.width, height=clean.height, source_format=fmt)


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB pixels in sRGB: the embedded ICC profile applied (then dropped),
    transparency flattened onto white."""
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        im = background
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            mode = im.mode if im.mode in ("RGB", "CMYK", "L") else "RGB"
            if im.mode != mode:
                im = im.convert(mode)
            converted = ImageCms.profileToProfile(
                im, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError) as exc:
            log.info("ignoring an unusable colour profile: %s", exc)
    return im.convert("RGB")


#: JPEG segments that carry pixels and nothing else (APP0 is JFIF's density).
_CLEAN_SEGMENTS = frozenset({"SOI", "APP0", "DQT", "SOF0", "SOF1", "SOF2", "DHT", "DRI",
                             "SOS", "EOI"})
_NAMES = {0xD8: "SOI", 0xD9: "EOI", 0xDA: "SOS", 0xDB: "DQT", 0xC4: "DHT", 0xDD: "DRI",
          0xFE: "COM"}


def jpeg_segments(data: bytes) -> list[str]:
    """The names of a JPEG's segments in order (``APP1`` holds EXIF or XMP,
    ``APP2`` ICC, ``APP13`` IPTC, ``COM`` a comment), up to the image data."""
    if data[:2] != b"\xff\xd8":
        raise PhotoError("not a JPEG", code="not_an_image")
    names = ["SOI"]
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise PhotoError("a damaged JPEG segment", code="truncated")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if 0xE0 <= marker <= 0xEF:
            name = f"APP{marker - 0xE0}"
        elif 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            name = f"SOF{marker - 0xC0}"
        else:
            name = _NAMES.get(marker, f"0x{marker:02X}")
        names.append(name)
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if name == "SOS":
            break
        pos += 2 + length
    if data.endswith(b"\xff\xd9"):
        names.append("EOI")
    return names
