from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.settings import SCHEMA_VERSION, Settings, SettingsError, SettingsStore, migrate


def test_defaults_when_no_file(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    assert store.settings == Settings()


def test_round_trip_keeps_changes(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    store = SettingsStore(path)
    new = store.settings.copy()
    new.printers.default_receive_buffer = 512
    new.library.folders = ["/models"]
    store.update(new)
    again = SettingsStore(path)
    assert again.settings.printers.default_receive_buffer == 512
    assert again.settings.library.folders == ["/models"]
    assert json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION


def test_v1_file_is_migrated_not_discarded(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": 1, "dark_mode": True,
                                "printers": {"default_receive_buffer": 256}}))
    store = SettingsStore(path)
    assert store.settings.general.theme == "dark"
    assert store.settings.printers.default_receive_buffer == 256


def test_newer_schema_is_refused() -> None:
    with pytest.raises(SettingsError):
        migrate({"schema_version": SCHEMA_VERSION + 1})


@pytest.mark.parametrize(
    "content", ["{not json", "[1, 2]", '{"printers": {"default_receive_buffer": -5}}']
)
def test_broken_file_is_kept_aside_and_defaults_used(tmp_path: Path, content: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(content)
    store = SettingsStore(path)
    assert store.settings == Settings()
    assert (tmp_path / "settings.json.broken-1").read_text() == content


def test_listeners_hear_updates(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "s.json")
    seen: list[Settings] = []
    store.subscribe(seen.append)
    new = store.settings.copy()
    new.general.theme = "light"
    store.update(new)
    assert [s.general.theme for s in seen] == ["light"]
