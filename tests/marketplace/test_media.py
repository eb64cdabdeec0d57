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
