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

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2


class _Section(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_assignment=True)


class GeneralSettings(_Section):
    theme: Literal["system", "light", "dark"] = "system"
    confirm_quit_while_printing: bool = True
    show_notifications: bool = True


class LibrarySettings(_Section):
    folders: list[str] = Field(default_factory=list)
    import_workers: int = Field(default=0, ge=0, le=64, description="0 = one per core")
    slicer_path: str = ""


class PrinterSettings(_Section):
    default_receive_buffer: int = Field(default=128, ge=32, le=65536)
    log_gcode_traffic: bool = False
    max_heating_together: int = Field(default=4, ge=1, le=1000)


class MarketplaceSettings(_Section):
    url: str = "http://127.0.0.1:8765"
    sync_automatically: bool = True


class Settings(_Section):
    schema_version: int = SCHEMA_VERSION
    general: GeneralSettings = Field(default_factory=GeneralSettings)
    library: LibrarySettings = Field(default_factory=LibrarySettings)
    printers: PrinterSettings = Field(default_factory=PrinterSettings)
    marketplace: MarketplaceSettings = Field(default_factory=MarketplaceSettings)


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # v1 kept a flat "dark_mode" flag; v2 has general.theme.
    dark = data.pop("dark_mode", None)
    general = data.setdefault("general", {})
    if dark is not None:
        general["theme"] = "dark" if dark else "system"
    return data


#: schema_version -> function upgrading a dict of that version by one step.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


class SettingsError(Exception):
    """The settings file could not be read or written."""


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
            return Settings.model_validate(migrate(raw))
        except (OSError, ValueError, ValidationError, SettingsError) as exc:
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
        text = json.dumps(self.settings.model_dump(mode="json"), indent=2, sort_keys=True)
        try:
            with tmp.open("w", encoding="utf-8") as fh:
                fh.write(text + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(self.path)
        except OSError as exc:
            raise SettingsError(f"could not save settings to {self.path}: {exc}") from exc

    def update(self, new: Settings) -> None:
        self.settings = new
        self.save()
        for listener in list(self._listeners):
            listener(new)

    def subscribe(self, listener: Callable[[Settings], None]) -> None:
        self._listeners.append(listener)
