"""Photos leave the machine upright, resized and without any metadata.

Every test photo is made here, at test time, with Pillow (and pillow-heif for
HEIC), and carries the metadata it must lose; each test first proves the
input really has it, so a test cannot pass by accident.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image, ImageCms, ImageDraw

from reviews import photos
from reviews.errors import PhotoError
from reviews.photos import MAX_PIXELS, MAX_SIDE, jpeg_segments, prepare_photo, prepare_photo_file

GPS_IFD = 0x8825
XMP = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
    b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="52,31.2N" '
    b'xmp:CreatorTool="SecretPhone"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "SecretPhone 12"  # Model
    exif[0x010E] = "kitchen table at home"  # ImageDescription
    if orientation is not None:
        exif[0x0112] = orientation
    exif[GPS_IFD] = {
        1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 36.0),
        27: b"ASCII\x00\x00\x00GPSProcessingMethodHome",
    }
    return exif


def picture(size: tuple[int, int] = (640, 480)) -> Image.Image:
    """Left half red, right half blue: orientation can be read off the pixels."""
    im = Image.new("RGB", size, (220, 30, 30))
    ImageDraw.Draw(im).rectangle((size[0] // 2, 0, size[0], size[1]), fill=(30, 30, 220))
    return im


def jpeg(im: Image.Image, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90, **kwargs)
    return buf.getvalue()


def header(data: bytes) -> bytes:
    """The bytes before the entropy-coded image data (where metadata lives)."""
    return data[:data.index(b"\xff\xda")]


def assert_clean(data: bytes) -> None:
    for needle in (b"Exif\x00", b"http://ns.adobe.com/xap", b"ICC_PROFILE", b"Photoshop 3.0",
                   b"SecretPhone", b"PhoneMaker", b"kitchen", b"GPSProcessingMethod"):
        assert needle not in data, needle
    assert b"GPS" not in header(data)
    assert set(jpeg_segments(data)) <= {"SOI", "APP0", "DQT", "SOF0", "SOF2", "DHT", "SOS",
                                        "EOI"}
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG"
        exif = im.getexif()
        assert len(exif) == 0 and not exif.get_ifd(GPS_IFD)
        for key in ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "photoshop"):
            assert key not in im.info, key
        im.load()


def test_a_photo_with_gps_tags_leaves_without_them() -> None:
    source = jpeg(picture(), exif=gps_exif())
    with Image.open(io.BytesIO(source)) as im:  # the input really has them
        assert im.getexif().get_ifd(GPS_IFD)[2] == (52.0, 31.0, 12.5)
    assert b"Exif\x00" in source and b"GPSProcessingMethod" in source
    assert "APP1" in jpeg_segments(source)

    out = prepare_photo(source)
    assert_clean(out.data)
    assert (out.width, out.height) == (640, 480)
    assert out.media_type == "image/jpeg" and out.source_format == "JPEG"


def test_xmp_icc_and_comments_are_dropped() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = jpeg(picture(), exif=gps_exif(), xmp=XMP, icc_profile=srgb,
                  comment=b"shot at 52.52N 13.41E")
    assert b"http://ns.adobe.com/xap" in source and b"ICC_PROFILE" in source
    assert b"52.52N" in source
    out = prepare_photo(source)
    assert_clean(out.data)
    assert b"52.52N" not in out.data


def test_orientation_6_is_applied_to_the_pixels() -> None:
    # Stored 400x200, left red / right blue; Orientation=6 says "turn 90°
    # clockwise to view", so the viewer sees 200x400 with red on top.
    source = jpeg(picture((400, 200)), exif=gps_exif(orientation=6))
    out = prepare_photo(source)
    assert_clean(out.data)
    with Image.open(io.BytesIO(out.data)) as im:
        assert im.size == (200, 400)
        r, _g, b = im.convert("RGB").getpixel((100, 50))  # type: ignore[misc]
        assert r > 150 and b < 100  # red on top
        r, _g, b = im.convert("RGB").getpixel((100, 350))  # type: ignore[misc]
        assert b > 150 and r < 100  # blue below


def test_large_photos_are_resized_to_the_long_side() -> None:
    out = prepare_photo(jpeg(picture((4400, 1100)), exif=gps_exif()))
    assert (out.width, out.height) == (MAX_SIDE, 512)
    assert_clean(out.data)
    small = prepare_photo(jpeg(picture((1000, 3000))), max_side=600)
    assert (small.width, small.height) == (200, 600)


def test_heic_from_a_phone_is_read_and_converted_to_jpeg(tmp_path: Path) -> None:
    pillow_heif.register_heif_opener()
    path = tmp_path / "IMG_0001.HEIC"
    picture((320, 240)).save(path, format="HEIF", quality=80, exif=gps_exif().tobytes(),
                             xmp=XMP)
    source = path.read_bytes()
    assert b"ftypheic" in source[:32] and b"Exif" in source and b"GPSProcessingMethod" in source
    out = prepare_photo_file(path)
    assert out.source_format == "HEIF"
    assert (out.width, out.height) == (320, 240)
    assert_clean(out.data)
    with Image.open(io.BytesIO(out.data)) as im:
        r, _g, b = im.convert("RGB").getpixel((40, 120))  # type: ignore[misc]
        assert r > 150 and b < 100


def test_png_with_text_chunks_alpha_and_a_profile() -> None:
    from PIL import PngImagePlugin

    im = picture((300, 200)).convert("RGBA")
    ImageDraw.Draw(im).rectangle((0, 0, 31, 31), fill=(0, 0, 0, 0))  # transparent corner
    info = PngImagePlugin.PngInfo()
    info.add_text("GPSLocation", "SecretPhone at home")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    buf = io.BytesIO()
    p3ish = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    im.save(buf, "PNG", pnginfo=info, icc_profile=p3ish)
    source = buf.getvalue()
    assert b"SecretPhone" in source and b"iCCP" in source
    out = prepare_photo(source)
    assert_clean(out.data)
    with Image.open(io.BytesIO(out.data)) as back:
        assert back.mode == "RGB"
        assert min(back.getpixel((8, 8))) > 200  # type: ignore[type-var]  # white


def test_cmyk_and_greyscale_become_rgb() -> None:
    for mode in ("CMYK", "L"):
        out = prepare_photo(jpeg(picture((100, 80)).convert(mode), exif=gps_exif()))
        assert_clean(out.data)
        with Image.open(io.BytesIO(out.data)) as back:
            assert back.mode == "RGB"


def test_output_is_stable_and_saved_by_its_hash(tmp_path: Path) -> None:
    source = jpeg(picture(), exif=gps_exif())
    a, b = prepare_photo(source), prepare_photo(source)
    assert a.data == b.data and a.sha256 == b.sha256
    path = a.save_in(tmp_path / "spool")
    assert path.name == f"{a.sha256}.jpg" and path.read_bytes() == a.data
    assert b.save_in(tmp_path / "spool") == path
    assert sorted(p.name for p in (tmp_path / "spool").iterdir()) == [path.name]


# ------------------------------------------------------------ refusals
def png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_pillows_pixel_limit_is_set_explicitly() -> None:
    assert Image.MAX_IMAGE_PIXELS == MAX_PIXELS == photos.MAX_PIXELS


@pytest.mark.parametrize("size", [(11_000, 11_000), (20_000, 20_000), (1_000_000, 200)])
def test_decompression_bombs_are_refused(size: tuple[int, int]) -> None:
    assert size[0] * size[1] > MAX_PIXELS
    with pytest.raises(PhotoError) as err:
        prepare_photo(png_header_only(*size))
    assert err.value.code == "too_large"


def test_truncated_photos_are_refused() -> None:
    whole = jpeg(picture(), exif=gps_exif())
    with pytest.raises(PhotoError) as err:
        prepare_photo(whole[: len(whole) // 2])
    assert err.value.code == "truncated"
    with pytest.raises(PhotoError) as err:
        prepare_photo(png_header_only(64, 64))
    assert err.value.code in ("truncated", "not_an_image")


@pytest.mark.parametrize("data", [
    b"", b"hello, this is text, not a photo\n", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    b"\xff\xd8\xff\xe0garbage", b"\x89PNG\r\n\x1a\n",
])
def test_non_images_are_refused_with_a_typed_error(data: bytes) -> None:
    with pytest.raises(PhotoError) as err:
        prepare_photo(data)
    assert err.value.code in ("not_an_image", "truncated")


def test_image_formats_outside_the_list_are_refused() -> None:
    buf = io.BytesIO()
    picture((64, 64)).save(buf, "TGA")
    with pytest.raises(PhotoError) as err:
        prepare_photo(buf.getvalue())
    assert err.value.code == "not_an_image"


def test_oversized_and_missing_files_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.jpg"
    with big.open("wb") as fh:
        fh.truncate(photos.MAX_FILE_BYTES + 1)
    with pytest.raises(PhotoError) as err:
        prepare_photo_file(big)
    assert err.value.code == "too_large"
    with pytest.raises(PhotoError) as err:
        prepare_photo_file(tmp_path / "missing.jpg")
    assert err.value.code == "not_an_image"


def test_a_rotated_heic_comes_out_upright_once() -> None:
    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    picture((400, 200)).save(buf, format="HEIF", exif=gps_exif(orientation=6).tobytes())
    out = prepare_photo(buf.getvalue())
    assert_clean(out.data)
    with Image.open(io.BytesIO(out.data)) as im:
        assert im.size == (200, 400)  # turned once, not twice
        r, _g, b = im.convert("RGB").getpixel((100, 50))  # type: ignore[misc]
        assert r > 150 and b < 100
