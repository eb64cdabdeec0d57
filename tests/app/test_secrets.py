from __future__ import annotations

import stat
from pathlib import Path

from app.secrets import FileSecretStore, open_store


def test_file_store_round_trip_and_owner_only(tmp_path: Path) -> None:
    store = FileSecretStore(tmp_path / "s")
    store.set("octoprint:farm1", "K3Y-value")
    store.set("marketplace:token", "t0k")
    store.delete("marketplace:token")
    again = FileSecretStore(tmp_path / "s")
    assert again.get("octoprint:farm1") == "K3Y-value"
    assert again.get("marketplace:token") is None
    for f in (tmp_path / "s").iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
        assert b"K3Y-value" not in f.read_bytes()


def test_without_a_keyring_the_fallback_is_used_and_never_prompts(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LAYERLINE_NO_KEYRING", "1")
    store = open_store(tmp_path / "s", "ns")
    assert "encrypted file" in store.description
