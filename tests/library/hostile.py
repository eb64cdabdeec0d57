"""A corpus of hostile files, made by the tests (never committed)."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import numpy as np

from library import samples

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<model xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">
<metadata name="Title">&lol3;</metadata>
<resources/><build/></model>"""


def zip_bomb(path: Path, gib: float = 1.0) -> Path:
    """A real zip bomb: ``gib`` GiB of zeros in one entry (about 1 MiB on disk)."""
    chunk = bytes(64 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf, \
            zf.open("bomb.stl", "w", force_zip64=True) as fh:
        for _ in range(int(gib * 16)):
            fh.write(chunk)
    return path


def traversal_zip(path: Path, name: str) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("good.stl", samples.stl_binary(*samples.box()))
        zf.writestr(name, samples.stl_binary(*samples.box()))
    return path


def symlink_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("link.stl")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    return path


def make_corpus(folder: Path, bomb_gib: float = 1.0) -> dict[str, str]:
    """Write every hostile file into ``folder``; return name -> the words its
    error must contain."""
    folder.mkdir(parents=True, exist_ok=True)
    v, f = samples.uv_sphere(10, 8, 16)
    good = samples.stl_binary(v, f)
    expect: dict[str, str] = {}
    zip_bomb(folder / "bomb.zip", bomb_gib)
    expect["bomb.zip"] = "zip bomb"
    traversal_zip(folder / "dotdot.zip", "../../evil.stl")
    expect["dotdot.zip"] = "escapes"
    traversal_zip(folder / "absolute.zip", "/tmp/evil.stl")
    expect["absolute.zip"] = "absolute"
    traversal_zip(folder / "backslash.zip", "..\\evil.stl")
    expect["backslash.zip"] = "backslash"
    symlink_zip(folder / "link.zip")
    expect["link.zip"] = "link"
    (folder / "laughs.3mf").write_bytes(samples.threemf(v, f, model=BILLION_LAUGHS))
    expect["laughs.3mf"] = "entities"
    (folder / "truncated.stl").write_bytes(good[: len(good) // 2])
    expect["truncated.stl"] = "truncated"
    lying = bytearray(good)
    lying[80:84] = np.uint32(len(f) * 3).tobytes()
    (folder / "lying.stl").write_bytes(bytes(lying))
    expect["lying.stl"] = "lying"
    (folder / "garbage.stl").write_bytes(np.random.default_rng(7).bytes(10_000))
    expect["garbage.stl"] = "STL"
    (folder / "garbage.3mf").write_bytes(np.random.default_rng(8).bytes(10_000))
    expect["garbage.3mf"] = "zip"
    (folder / "garbage.gcode").write_bytes(np.random.default_rng(9).bytes(10_000))
    expect["garbage.gcode"] = "not G-code"
    (folder / "noend.stl").write_bytes(samples.stl_ascii(v, f).rsplit(b"endsolid", 1)[0])
    expect["noend.stl"] = "endsolid"
    vv = v.copy()
    vv[0, 0] = np.inf
    (folder / "nan.stl").write_bytes(samples.stl_binary(vv, f))
    expect["nan.stl"] = "non-finite"
    return expect
