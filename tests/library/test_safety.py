from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from library import analyse, safety, samples
from library.errors import FileFormatError, LibraryError, UnsafeFileError
from tests.library import hostile


@pytest.mark.parametrize("name", ["../x.stl", "a/../../x.stl", "/etc/x.stl", "C:/x.stl",
                                  "a\\..\\x.stl", "nul\x00.stl"])
def test_escaping_member_names_are_refused(name: str) -> None:
    with pytest.raises(UnsafeFileError):
        safety.check_member_name(name)


def test_ordinary_member_names_pass() -> None:
    assert str(safety.check_member_name("models/part 1.stl")) == "models/part 1.stl"


def test_symlink_entry_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafeFileError, match="link"):
        safety.open_zip(str(hostile.symlink_zip(tmp_path / "l.zip")))


def test_entry_count_and_sizes_are_limited() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(20):
            zf.writestr(f"{i}.txt", b"x" * 1000)
    with pytest.raises(UnsafeFileError, match="entries"):
        safety.open_zip(io.BytesIO(buf.getvalue()), safety.Limits(max_entries=10))
    with pytest.raises(UnsafeFileError, match="more than"):
        safety.open_zip(io.BytesIO(buf.getvalue()), safety.Limits(max_total_bytes=5000))
    with pytest.raises(UnsafeFileError, match="inflates to"):
        safety.open_zip(io.BytesIO(buf.getvalue()), safety.Limits(max_entry_bytes=500))


def test_member_larger_than_declared_is_cut_off() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a.txt", b"y" * 100)
    zf = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    info = zf.infolist()[0]
    info.file_size = 10   # the directory lies: says 10, holds 100
    # zipfile itself stops at the declared size and then fails its CRC check.
    with pytest.raises(LibraryError, match=r"declares|damaged"):
        safety.read_member(zf, info)


def test_xml_entity_expansion_is_refused() -> None:
    with pytest.raises(UnsafeFileError, match="entities"):
        safety.parse_xml(hostile.BILLION_LAUGHS, "test")
    with pytest.raises(FileFormatError, match="malformed"):
        safety.parse_xml(b"<a><b></a>", "test")


def test_3mf_with_entities_is_refused_by_analysis() -> None:
    v, f = samples.box()
    with pytest.raises(UnsafeFileError):
        analyse.analyse_bytes(samples.threemf(v, f, model=hostile.BILLION_LAUGHS), "x.3mf")


def test_zip_bomb_is_caught_from_the_directory_in_bounded_memory(tmp_path: Path) -> None:
    bomb = hostile.zip_bomb(tmp_path / "bomb.zip", gib=1.0)
    assert bomb.stat().st_size < 16 << 20
    # In a fresh process, so that its peak memory is the check's alone.
    code = (
        "import json\n"
        "from library import safety\n"
        "from library.errors import UnsafeFileError\n"
        "try:\n"
        f"    safety.open_zip({str(bomb)!r})\n"
        "    out = 'accepted'\n"
        "except UnsafeFileError as e:\n"
        "    out = str(e)\n"
        # VmHWM: this process's own peak (ru_maxrss would carry the parent's
        # peak over the fork).
        "hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM')][0]\n"
        "print(json.dumps([out, int(hwm.split()[1])]))\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120, cwd=Path(__file__).parents[2])
    message, maxrss_kib = json.loads(res.stdout)
    assert "zip bomb" in message
    assert maxrss_kib < 300 * 1024
