from __future__ import annotations

from pathlib import Path

from app import paths


def test_basedir_puts_everything_under_it(tmp_path: Path) -> None:
    p = paths.resolve(tmp_path / "b")
    for d in (p.config, p.data, p.cache, p.logs, p.runtime):
        assert d.is_dir()
        assert d.is_relative_to(tmp_path / "b")
    assert p.database_file.is_relative_to(tmp_path / "b")


def test_temp_basedir_is_removed_by_cleanup() -> None:
    p = paths.resolve(temp_basedir=True)
    root = p.config.parent
    assert root.is_dir()
    p.cleanup()
    assert not root.exists()


def test_cleanup_never_removes_a_real_basedir(tmp_path: Path) -> None:
    p = paths.resolve(tmp_path / "keep")
    p.cleanup()
    assert (tmp_path / "keep" / "data").is_dir()


def test_demo_uses_its_own_basedir(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    p = paths.resolve(demo=True)
    assert p.demo
    assert p.data.is_relative_to(tmp_path / "xdg")


def test_each_basedir_has_its_own_key(tmp_path: Path) -> None:
    assert paths.from_basedir(tmp_path / "a").key != paths.from_basedir(tmp_path / "b").key
