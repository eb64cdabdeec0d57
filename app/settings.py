"""Typed settings with a schema version and migrations.

Settings live in ``<config>/settings.json``.  The file carries
``schema_version``; :data:`MIGRATIONS` upgrades an older file step by step, so
an old file is migrated, never thrown away.  A file that cannot be read is
kept aside as ``settings.json.broken-<n>`` and the defaults are used, with a
warning: the user's other data is never touched.

Secrets never go here (they live in the keyring, see :mod:`app.secrets`).
``QSettings`` is used only for window geometry and dock state.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import os
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2


def setting(default: Any, *, ge: int | None = None, le: int | None = None,
            description: str = "") -> Any:
    """A field with bounds and a description (shown as the dialog's tooltip)."""
    meta = {"ge": ge, "le": le, "description": description}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class GeneralSettings:
    theme: Literal["system", "light", "dark"] = setting(
        "system", description="Follow the system's light/dark palette, or choose one")
    confirm_quit_while_printing: bool = True
    show_notifications: bool = True


@dataclass
class LibrarySettings:
    folders: list[str] = setting([], description="Folders watched and imported")
    import_workers: int = setting(0, ge=0, le=64, description="0 = one per core")
    slicer_path: str = setting("", description="PrusaSlicer's command line; empty = find it")


@dataclass
class PrinterSettings:
    default_receive_buffer: int = setting(
        128, ge=32, le=65536, description="Firmware receive buffer in bytes (Marlin: 128)")
    log_gcode_traffic: bool = False
    max_heating_together: int = setting(
        4, ge=1, le=1000, description="Printers that may heat up at the same time")


@dataclass
class MarketplaceSettings:
    url: str = setting("http://127.0.0.1:8765", description=(
        "The marketplace service (by default the demo's, on this computer); "
        "the account's token is kept in the secret store, not here"))
    sync_automatically: bool = setting(
        True, description="Send reviews, receipts and profiles in the background")


@dataclass
class Settings:
    schema_version: int = SCHEMA_VERSION
    general: GeneralSettings = field(default_factory=GeneralSettings)
    library: LibrarySettings = field(default_factory=LibrarySettings)
    printers: PrinterSettings = field(default_factory=PrinterSettings)
    marketplace: MarketplaceSettings = field(default_factory=MarketplaceSettings)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def copy(self) -> Settings:
        return copy.deepcopy(self)


SECTIONS: tuple[str, ...] = ("general", "library", "printers", "marketplace")


class SettingsError(Exception):
    """The settings file could not be read or written, or a value is invalid."""


def _check(path: str, ann: Any, meta: Any, value: Any) -> Any:
    origin = typing.get_origin(ann)
    if origin is Literal:
        if value not in typing.get_args(ann):
            raise SettingsError(f"{path}: must be one of {list(typing.get_args(ann))}")
        return value
    if ann is bool:
        if not isinstance(value, bool):
            raise SettingsError(f"{path}: must be true or false")
        return value
    if ann is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{path}: must be a whole number")
        if meta.get("ge") is not None and value < meta["ge"]:
            raise SettingsError(f"{path}: must be at least {meta['ge']}")
        if meta.get("le") is not None and value > meta["le"]:
            raise SettingsError(f"{path}: must be at most {meta['le']}")
        return value
    if ann is str:
        if not isinstance(value, str):
            raise SettingsError(f"{path}: must be text")
        return value
    if origin is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{path}: must be a list of text")
        return list(value)
    raise SettingsError(f"{path}: unsupported setting type {ann!r}")


def section_fields(section_cls: type) -> list[tuple[dataclasses.Field[Any], Any]]:
    """The fields of a settings section with their resolved types."""
    hints = typing.get_type_hints(section_cls)
    return [(f, hints[f.name]) for f in dataclasses.fields(section_cls)]


def validate(data: dict[str, Any]) -> Settings:
    """Build :class:`Settings` from a dict, checking every value; unknown keys
    are ignored, missing ones take their defaults."""
    out = Settings()
    hints = typing.get_type_hints(Settings)
    for name in SECTIONS:
        raw = data.get(name, {})
        if not isinstance(raw, dict):
            raise SettingsError(f"{name}: must be an object")
        section = hints[name]()
        for f, ann in section_fields(type(section)):
            if f.name in raw:
                setattr(section, f.name, _check(f"{name}.{f.name}", ann, f.metadata, raw[f.name]))
        setattr(out, name, section)
    return out


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # v1 kept a flat "dark_mode" flag; v2 has general.theme.
    dark = data.pop("dark_mode", None)
    general = data.setdefault("general", {})
    if dark is not None:
        general["theme"] = "dark" if dark else "system"
    return data


#: schema_version -> function upgrading a dict of that version by one step.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    version = int(data.get("schema_version", 1))
    if version > SCHEMA_VERSION:
        raise SettingsError(
            f"settings were written by a newer Layerline (schema {version} > {SCHEMA_VERSION})"
        )
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](dict(data))
        version += 1
        data["schema_version"] = version
    return data


class SettingsStore:
    """Loads and saves :class:`Settings`; notifies listeners on change.

    Thread: used from the GUI thread (or the CLI's only thread).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._listeners: list[Callable[[Settings], None]] = []
        self.settings = self._load()

    def _load(self) -> Settings:
        if not self.path.exists():
            return Settings()
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise SettingsError("settings file is not a JSON object")
            return validate(migrate(raw))
        except (OSError, ValueError, SettingsError) as exc:
            aside = self._set_aside()
            log.warning("could not read settings (%s); kept the file as %s", exc, aside)
            return Settings()

    def _set_aside(self) -> Path:
        n = 1
        while (aside := self.path.with_name(f"{self.path.name}.broken-{n}")).exists():
            n += 1
        self.path.replace(aside)
        return aside

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        text = json.dumps(self.settings.to_dict(), indent=2, sort_keys=True)
        try:
            with tmp.open("w", encoding="utf-8") as fh:
                fh.write(text + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(self.path)
        except OSError as exc:
            raise SettingsError(f"could not save settings to {self.path}: {exc}") from exc

    def update(self, new: Settings) -> None:
        new = validate(new.to_dict())  # never save an invalid value
        self.settings = new
        self.save()
        for listener in list(self._listeners):
            listener(new)

    def subscribe(self, listener: Callable[[Settings], None]) -> None:
        self._listeners.append(listener)
