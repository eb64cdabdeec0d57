"""Hostile input gets a clear 4xx problem, never a 5xx; photos lose their metadata."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from marketplace.config import Config
from marketplace.demo import cube_stl, demo_photo
from tests.marketplace.client import Api, FakeClock, Server, User
from tests.marketplace.conftest import start_server, stop_server

SMALL_PHOTO, SMALL_FILE = 300_000, 200_000


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory, clock: FakeClock) -> Iterator[Server]:
    root: Path = tmp_path_factory.mktemp("mp-small")
    config = Config(database_url=f"sqlite:///{root / 'm.db'}", storage=root / "s",
                    fast_hashing=True, clock=clock, max_photo=SMALL_PHOTO,
                    max_model_file=SMALL_FILE)
    srv, server, thread = start_server(config)
    yield srv
    stop_server(srv, server, thread)


@pytest.fixture
def user(small_server: Server) -> Iterator[User]:
    with Api(small_server) as api:
        yield api.user()


def problem(r: httpx.Response, status: int, code: str | None = None) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"]
    if code is not None:
        assert body["code"] == code


def gps_jpeg() -> bytes:
    img = Image.open(io.BytesIO(demo_photo(7)))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2026:03:01 10:00:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (48.0, 51.0, 29.0)
    gps[3], gps[4] = "E", (2.0, 17.0, 40.0)
    out = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><secret>home</secret></x:xmpmeta>'
    img.save(out, format="JPEG", exif=exif, xmp=xmp)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # it really has GPS
    return data


def test_gps_and_all_metadata_are_gone_after_upload(user: User) -> None:
    raw = gps_jpeg()
    photo = user.ok("POST", "/photos", files={"file": ("gps.jpg", raw, "image/jpeg")})
    stored = user.get(photo["url"].removeprefix("/api/v1")).content  # the owner sees it
    img = Image.open(io.BytesIO(stored))
    assert not img.getexif()
    assert "exif" not in img.info and "xmp" not in img.info and "icc_profile" not in img.info
    assert b"Exif" not in stored and b"xmpmeta" not in stored and b"PhoneMaker" not in stored
    assert (photo["width"], photo["height"]) == (640, 480)
    assert len(photo["phash"]) == 16


def test_exif_orientation_is_applied_before_stripping(user: User) -> None:
    img = Image.new("RGB", (200, 100), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 when shown
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    photo = user.ok("POST", "/photos", files={"file": ("r.jpg", out.getvalue(), "image/jpeg")})
    assert (photo["width"], photo["height"]) == (100, 200)


def test_png_with_alpha_and_text_chunks_is_accepted_and_cleaned(user: User) -> None:
    from PIL import PngImagePlugin

    img = Image.new("RGBA", (120, 80), (0, 128, 0, 100))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "my home address")
    out = io.BytesIO()
    img.save(out, format="PNG", pnginfo=info)
    photo = user.ok("POST", "/photos", files={"file": ("a.png", out.getvalue(), "image/png")})
    stored = user.get(photo["url"].removeprefix("/api/v1")).content  # the owner sees it
    assert stored.startswith(b"\xff\xd8") and b"home address" not in stored


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("x.jpg", b"this is not an image at all", 422, "not_an_image"),
        ("x.jpg", b"", 422, None),
        ("x.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 100, 422, "not_an_image"),  # truncated JPEG
        ("big.jpg", b"\xff\xd8" + b"\0" * (SMALL_PHOTO + 10), 413, "too_large"),
    ],
)
def test_bad_photos(user: User, name: str, data: bytes, status: int, code: str | None) -> None:
    problem(user.post("/photos", files={"file": (name, data, "image/jpeg")}), status, code)


def test_decompression_bomb_is_refused(user: User) -> None:
    img = Image.new("1", (9000, 9000))  # 81 Mpx, compresses to a few KB
    out = io.BytesIO()
    img.save(out, format="PNG")
    assert len(out.getvalue()) < SMALL_PHOTO
    problem(user.post("/photos", files={"file": ("b.png", out.getvalue(), "image/png")}), 413)


def _draft(user: User) -> int:
    return int(user.ok("POST", "/models", json={"title": "t"})["id"])


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("photo.stl", demo_photo(1), 422, "mislabelled_file"),
        ("model.3mf", cube_stl(), 422, "mislabelled_file"),
        ("model.obj", b"\x00\x01binary junk\xff", 422, "mislabelled_file"),
        ("model.step", b"solid cube\nfacet", 422, "mislabelled_file"),
        ("model.exe", cube_stl(), 422, "unsupported_file"),
        ("noextension", cube_stl(), 422, "unsupported_file"),
        ("big.stl", b"solid x\nfacet" + b" " * SMALL_FILE, 413, "too_large"),
    ],
)
def test_bad_model_files(user: User, name: str, data: bytes, status: int,
                         code: str) -> None:
    mid = _draft(user)
    problem(user.post(f"/models/{mid}/files", files={"file": (name, data, "model/stl")}),
            status, code)


def test_good_model_files_of_every_kind(user: User) -> None:
    mid = _draft(user)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("3D/3dmodel.model", "<model/>")
    files = [("a.stl", cube_stl()), ("b.STL", b"solid a\n facet normal 0 0 1\nendsolid"),
             ("c.3mf", buf.getvalue()), ("d.obj", b"# cube\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"),
             ("e.step", b"ISO-10303-21;\nHEADER;\nENDSEC;"), ("f.stp", b"ISO-10303-21;\n")]
    for name, data in files:
        user.ok("POST", f"/models/{mid}/files", files={"file": (name, data, "x/y")})
    assert len(user.ok("GET", f"/models/{mid}/files")) == 6


def test_path_traversal_in_file_names_is_neutralised(user: User) -> None:
    mid = _draft(user)
    out = user.ok("POST", f"/models/{mid}/files",
                  files={"file": ("../../etc/passwd.stl", cube_stl(), "model/stl")})
    assert out["name"] == "passwd.stl"


def test_malformed_json_and_wrong_types(user: User) -> None:
    bad = [b"{not json", b"[1,2", b"\xff\xfe", b"null", b'{"title": 5}', b'"string"']
    for body in bad:
        r = user.post("/models", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code in (201, 422), (body, r.status_code)
        if r.status_code == 422:
            assert r.headers["content-type"].startswith("application/problem+json")
    problem(user.post("/reviews", content=b"{oops", headers={"Content-Type":
                                                              "application/json"}), 422)


def test_huge_strings_and_numbers(user: User, small_server: Server) -> None:
    problem(user.post("/models", json={"title": "x" * 1_000_000}), 422, "validation_failed")
    problem(user.post("/suggestions", json={"text": "y" * 100_000}), 422)
    problem(user.get(f"/models/{2**70}"), 422)
    problem(user.get("/models", params={"q": "z" * 5000}), 422)
    problem(user.post("/reviews", json={"model_id": 2**64, "stars": 5}), 422)
    r = httpx.post(small_server.base_url + "/api/v1/accounts", json={
        "username": "u" * 10_000, "email": "a@b", "password": "p" * 10_000})
    problem(r, 422)


def test_nul_characters_and_odd_unicode(user: User) -> None:
    r = user.post("/models", json={"title": "nul\x00title"})
    assert r.status_code in (201, 422)
    r = user.post("/models", json={"title": "\U0001f600 \u202e emoji and RTL"})
    assert r.status_code == 201


def test_bad_idempotency_key_and_content_length(user: User, small_server: Server) -> None:
    problem(user.post("/suggestions", json={"text": "a"},
                      headers={"Idempotency-Key": "k" * 300}), 400, "bad_idempotency_key")
    big = 2 * SMALL_PHOTO + 2 * 1024 * 1024
    r = httpx.post(small_server.base_url + "/api/v1/photos", headers={
        **user.headers, "Content-Type": "multipart/form-data; boundary=x"},
        content=b"x" * big)
    problem(r, 413)
    problem(user.post("/photos"), 422)  # no file at all


def test_nul_and_out_of_range_on_postgres(postgres_server: Server) -> None:
    with Api(postgres_server) as api:
        u = api.user()
        r = u.post("/models", json={"title": "nul\x00title"})
        assert r.status_code in (201, 422), r.text
        assert u.get(f"/models/{2**40}").status_code == 422
        assert u.get("/models", params={"q": "a\x00b"}).status_code in (200, 422)
