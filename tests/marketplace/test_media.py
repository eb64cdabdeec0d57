"""Photo hashing and content checks, without the web stack."""

from __future__ import annotations

import io

import imagehash
import pytest
from PIL import Image

from marketplace import media
from marketplace.demo import cube_stl, demo_photo
from marketplace.errors import ApiError


def test_dihedral_hashes_are_imagehash_phash_of_each_turned_photo() -> None:
    img = Image.open(io.BytesIO(demo_photo(11)))
    img.load()
    hashes = media.dihedral_hashes(img)
    assert len(hashes) == 8 and len(set(hashes)) > 1
    assert hashes[0] == int(str(imagehash.phash(img)), 16)
    for op in Image.Transpose:
        turned = int(str(imagehash.phash(img.transpose(op))), 16)
        assert min(media.distance(turned, h) for h in hashes) == 0, op


def test_signed_storage_round_trip() -> None:
    for h in (0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1):
        s = media.to_signed(h)
        assert -(1 << 63) <= s < (1 << 63)
        assert s & media.MASK64 == h


def test_processed_photo_is_a_clean_jpeg() -> None:
    photo = media.process_photo(demo_photo(3), 10_000_000)
    img = Image.open(io.BytesIO(photo.data))
    assert img.format == "JPEG" and not img.getexif()
    # hashed before the JPEG encoding: the stored photo hashes within a bit or two
    assert media.distance(photo.hashes[0], int(str(imagehash.phash(img)), 16)) <= 2


def test_model_file_kinds() -> None:
    assert media.check_model_file("a.stl", cube_stl(), 10**6) == "stl"
    with pytest.raises(ApiError) as err:
        media.check_model_file("a.stl", cube_stl()[:-3], 10**6)
    assert err.value.code == "mislabelled_file"


def test_a_big_jpeg_is_decoded_at_a_reduced_scale_with_the_same_result() -> None:
    """Draft decoding (the DCT shrinks a 6000x4000 JPEG by 2) gives the photo the full
    decode gave: the same size, and a pHash within 2 bits."""
    img = Image.open(io.BytesIO(demo_photo(12))).convert("RGB").resize((6000, 4000))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=90)
    raw = out.getvalue()
    photo = media.process_photo(raw, 10**8)
    assert (photo.width, photo.height) == (2560, 1707)
    full = Image.open(io.BytesIO(raw))
    full.load()  # the old path: every pixel decoded, then shrunk
    full.thumbnail((media.LONG_EDGE, media.LONG_EDGE))
    assert full.size == (2560, 1707)
    assert media.distance(photo.hashes[0], media.dihedral_hashes(full)[0]) <= 2


def test_the_upload_check_reads_only_the_header() -> None:
    raw = demo_photo(5)
    head = media.inspect_photo(raw[:len(raw) // 2], 10**6)  # truncated: header only
    assert head.format == "JPEG" and head.width > 0
    with pytest.raises(ApiError) as err:
        media.inspect_photo(b"GIF89a" + b"\0" * 10, 10**6)
    assert err.value.code == "not_an_image"
