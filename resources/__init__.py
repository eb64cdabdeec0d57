"""Packaged resources: the demo library's sample models (``samples/``,
made by ``python -m resources.make_samples``), the application icon
(``icons/``, PNGs rendered by ``python -m resources.icons.make_icons``) and the
translations (``translations/``)."""

from __future__ import annotations

from pathlib import Path


def samples_dir() -> Path:
    return Path(__file__).with_name("samples")


APP_ID = "io.github.layerline.Layerline"


def icons_dir() -> Path:
    return Path(__file__).with_name("icons")


def app_icon_files() -> list[Path]:
    """The application icon's PNGs, smallest first."""
    root = icons_dir() / "hicolor"
    return sorted(root.glob(f"*/apps/{APP_ID}.png"), key=lambda p: int(p.parts[-3].split("x")[0]))


def translations_dir() -> Path:
    return Path(__file__).with_name("translations")
