"""Print profiles: what a successful print ran with, shared on its model.

A profile is published from the settings of the G-code that actually ran
(the library's settings extraction, ``library.settings.from_gcode``, done by
the app, since ``reviews`` does not import ``library``): the app passes the
extracted settings in as :class:`ProfileSettings`, and
:func:`profile_payload` makes the body of ``POST /models/{id}/profiles``.

Other people's profiles are browsed with their figures (genuine downloads,
milestones) and downloaded as a PrusaSlicer-style ``.ini`` bundle
(:func:`write_ini`), which the library imports like any other settings file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from reviews.errors import ReviewsError

MAX_TITLE = 200


class SettingsLike(Protocol):
    """What is read of ``library.settings.PrintSettings`` (duck-typed)."""

    slicer: str | None
    material: str | None
    nozzle_diameter: float | None
    layer_height: float | None
    infill_density: float | None
    supports: bool | None
    raw: dict[str, str]


@dataclass(frozen=True, slots=True)
class ProfileSettings:
    material: str
    nozzle_diameter: float
    layer_height: float
    infill_density: float
    supports: bool = False
    support_type: str | None = None
    slicer: str | None = None
    raw: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, s: SettingsLike) -> ProfileSettings:
        """From the library's extracted settings; ReviewsError naming what is
        missing when the G-code does not say enough to make a profile."""
        missing = [name for name in ("material", "nozzle_diameter", "layer_height",
                                     "infill_density") if getattr(s, name) is None]
        if missing:
            raise ReviewsError("the G-code does not record its " + ", ".join(
                m.replace("_", " ") for m in missing) + ": a profile cannot be made from it")
        assert s.material is not None and s.nozzle_diameter is not None
        assert s.layer_height is not None and s.infill_density is not None
        support_type = s.raw.get("support_material_style") or s.raw.get("support_type")
        return cls(material=s.material, nozzle_diameter=s.nozzle_diameter,
                   layer_height=s.layer_height, infill_density=s.infill_density,
                   supports=bool(s.supports),
                   support_type=(support_type or None) if s.supports else None,
                   slicer=s.slicer, raw=dict(s.raw))


def profile_payload(model_id: int, title: str, settings: ProfileSettings) -> dict[str, Any]:
    """The outbox payload (kind ``profile``) for ``POST /models/{id}/profiles``."""
    title = " ".join(title.split())
    if not title:
        title = f"{settings.material} {settings.layer_height:g} mm"
    if len(title) > MAX_TITLE:
        raise ReviewsError(f"a profile title has at most {MAX_TITLE} characters")
    return {"model_id": model_id, "title": title, "material": settings.material[:40],
            "nozzle_diameter": settings.nozzle_diameter, "layer_height": settings.layer_height,
            "infill_density": settings.infill_density, "supports": settings.supports,
            "support_type": settings.support_type, "slicer": (settings.slicer or None),
            "raw_settings": dict(settings.raw) or None}


_SAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def write_ini(profile: dict[str, Any], directory: Path) -> Path:
    """Write a downloaded profile (the service's profile view) as an ``.ini``
    bundle the library can import; returns its path (never overwrites)."""
    raw = profile.get("raw_settings") or {}
    if not isinstance(raw, dict):
        raise ReviewsError("the profile's settings are not key/value pairs")
    values: dict[str, str] = {str(k): str(v) for k, v in raw.items()
                              if "\n" not in str(k) and "\n" not in str(v)}
    values.setdefault("filament_type", str(profile.get("material", "")))
    values.setdefault("nozzle_diameter", str(profile.get("nozzle_diameter", "")))
    values.setdefault("layer_height", str(profile.get("layer_height", "")))
    values.setdefault("fill_density", f"{profile.get('infill_density', '')}%")
    values.setdefault("support_material", "1" if profile.get("supports") else "0")
    name = _SAFE.sub("_", str(profile.get("title") or "profile")).strip() or "profile"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name} (marketplace {profile.get('id')}).ini"
    n = 1
    while path.exists():
        n += 1
        path = directory / f"{name} (marketplace {profile.get('id')}) {n}.ini"
    lines = [f"# downloaded from the marketplace: profile {profile.get('id')} of model "
             f"{profile.get('model_id')}"]
    lines += [f"{k} = {v}" for k, v in sorted(values.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
