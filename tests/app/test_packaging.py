"""The desktop integration files agree with each other and with the app:
one application id, the icon at every size, the file types the app opens.
(The validators themselves run in scripts/test.sh; the bundle is built and
smoke-tested by packaging/build.sh and packaging/smoke.sh.)"""

from __future__ import annotations

import configparser
from pathlib import Path

import defusedxml.ElementTree as ET  # noqa: N817

from app.paths import APP_ID
from resources import app_icon_files

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(PACKAGING / f"{APP_ID}.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_one_application_id_everywhere() -> None:
    meta = ET.parse(PACKAGING / f"{APP_ID}.metainfo.xml").getroot()
    assert meta.findtext("id") == APP_ID
    assert meta.find("launchable").text == f"{APP_ID}.desktop"
    assert meta.findtext("icon") == APP_ID
    assert _desktop_entry()["Icon"] == APP_ID
    import resources

    assert resources.APP_ID == APP_ID


def test_icons_at_the_usual_sizes() -> None:
    from PIL import Image

    sizes = {}
    for f in app_icon_files():
        with Image.open(f) as im:
            assert im.width == im.height
            sizes[im.width] = f
    assert {16, 24, 32, 48, 64, 128, 256, 512} <= set(sizes)


def test_the_desktop_file_opens_models_and_gcode_with_the_file_hand_off() -> None:
    entry = _desktop_entry()
    assert entry["Exec"] == "layerline %F"  # app/cli.py: layerline FILE...
    mimes = set(entry["MimeType"].rstrip(";").split(";"))
    assert {"model/stl", "model/3mf", "model/obj", "text/x-gcode"} <= mimes
    meta = ET.parse(PACKAGING / f"{APP_ID}.metainfo.xml").getroot()
    provided = {m.text for m in meta.iter("mediatype")}
    assert provided <= mimes


def test_the_spec_ships_what_is_loaded_by_path() -> None:
    # Alembic and the demo read these from disk next to their packages.
    spec = (PACKAGING / "layerline.spec").read_text()
    for path in ("app/migrations", "marketplace/migrations", "resources/samples",
                 "resources/icons"):
        assert f'"{path}"' in spec, path
