from __future__ import annotations

import json
from pathlib import Path

from app import cli
from tests.helpers.proc import layerline


def test_info_reports_the_injected_basedir(tmp_path: Path) -> None:
    result = layerline("info", "--json", basedir=tmp_path)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert Path(info["data"]) == tmp_path / "data"
    assert info["database_revision"] is not None
    assert (tmp_path / "data" / "layerline.db").exists()


def test_temp_basedir_is_removed_at_exit() -> None:
    result = layerline("--temp-basedir", "info", "--json")
    assert result.returncode == 0, result.stderr
    assert not Path(json.loads(result.stdout)["data"]).exists()


def test_usage_error_exits_2(tmp_path: Path) -> None:
    result = layerline("info", "--no-such-flag", basedir=tmp_path)
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr


def test_command_modules_are_named_after_their_files() -> None:
    import importlib

    from app.cli import COMMAND_MODULES, command_names

    for module, name in zip(COMMAND_MODULES, command_names(), strict=True):
        assert name == importlib.import_module(module).NAME


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = layerline("--help", basedir=tmp_path)
    assert result.returncode == 0
    assert "info" in result.stdout and "--temp-basedir" in result.stdout


def test_version_prints_the_installed_version() -> None:
    from importlib.metadata import version

    result = layerline("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"layerline {version('layerline')}"


def test_an_option_value_named_like_a_command_is_not_the_command() -> None:
    # "outbox" is a command and a --screenshot-view: the window is meant here.
    argv = ["--temp-basedir", "--screenshot", "shot.png", "--screenshot-view", "outbox"]
    assert cli._first_positional(argv) is None
    assert cli._first_positional(["--demo", "outbox"]) == "outbox"
