"""Publishing a model: the draft of REWARDS.md §8, checked step by step.

The publish wizard edits a :class:`Draft` through four steps:

1. details and files: title, description, tags, category, licence (an SPDX
   id, Creative Commons ones included), origin (``original``, ``remix``,
   ``repost``, ``imported``) and one or more model files (STL, 3MF, OBJ,
   STEP);
2. photos: one or more, one of them the cover, in the user's order;
3. print settings: material, nozzle diameter, layer height, infill density,
   supports (on/off and type), and the slicer's full settings where known;
4. versions and remixes: a new version of a published model, or the parent
   of a remix.

:func:`problems` says what keeps a draft (or one step) from being published,
in words for the user.  Attribution travels with the draft: a ``repost``
(someone else's model, shared with attribution) must name its author and
source, an ``imported`` model (the user's own, from another platform) keeps
the source and licence the library recorded, and a ``remix`` names its
parent.  The service labels reposts as such from ``origin``.

:class:`DraftStore` keeps drafts in the desktop database as the user edits
(table ``publication_drafts``); :func:`publication_payload` turns a complete
draft into an outbox item (kind ``model_publication``), with model files and
(prepared) photos as attachments.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from reviews.errors import ReviewsError
from reviews.schema import publication_drafts

ORIGINS = ("original", "remix", "repost", "imported")
MODEL_FILE_TYPES = {".stl": "model/stl", ".3mf": "model/3mf", ".obj": "model/obj",
                    ".step": "model/step", ".stp": "model/step"}
#: Accepted licences: SPDX ids common for 3D models (Creative Commons first).
LICENSES = (
    "CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0", "CC-BY-NC-SA-4.0",
    "CC-BY-ND-4.0", "CC-BY-NC-ND-4.0", "CC-BY-3.0", "CC-BY-SA-3.0", "CC-BY-NC-3.0",
    "CC-BY-NC-SA-3.0", "CC-BY-ND-3.0", "CC-BY-NC-ND-3.0", "MIT", "Apache-2.0",
    "BSD-2-Clause", "BSD-3-Clause", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only",
    "GPL-3.0-or-later", "LGPL-2.1-or-later", "LGPL-3.0-or-later", "MPL-2.0",
    "CERN-OHL-P-2.0", "CERN-OHL-W-2.0", "CERN-OHL-S-2.0", "Unlicense", "0BSD",
)
MAX_TITLE = 120
MAX_DESCRIPTION = 20_000
MAX_TAGS = 20
MAX_TAG = 40
_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Problem:
    step: int
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class Attribution:
    author: str = ""
    source_url: str = ""
    license: str = ""  # the licence the source stated, when it differs


@dataclass(frozen=True, slots=True)
class PrintSettings:
    material: str = ""
    nozzle_diameter: float | None = None  # mm
    layer_height: float | None = None  # mm
    infill_density: float | None = None  # percent
    supports: bool = False
    support_type: str = ""
    slicer: str = ""
    slicer_settings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Draft:
    """Everything a publication holds; every field may be incomplete."""

    title: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    category: str = ""
    license: str = ""
    origin: str = "original"
    model_files: tuple[Path, ...] = ()
    photos: tuple[Path, ...] = ()  # in the user's order
    cover: int = 0  # index into photos
    settings: PrintSettings = field(default_factory=PrintSettings)
    attribution: Attribution = field(default_factory=Attribution)
    parent_model_id: str | int | None = None  # remix
    model_id: str | int | None = None  # a new version of this published model
    version_note: str = ""
    library_ref: str = ""  # the library item it comes from (not sent)

    def with_tags(self, text: str) -> Draft:
        """Tags from comma-separated text: trimmed, lowercased, deduplicated."""
        seen: list[str] = []
        for raw in text.split(","):
            tag = " ".join(raw.split()).lower()
            if tag and tag not in seen:
                seen.append(tag)
        return dataclasses.replace(self, tags=tuple(seen))

    def moved_photo(self, index: int, to: int) -> Draft:
        """The photos reordered (a drag in the wizard); the cover follows its photo."""
        photos = list(self.photos)
        if not (0 <= index < len(photos) and 0 <= to < len(photos)):
            raise ReviewsError("no such photo position")
        cover_path = photos[self.cover] if 0 <= self.cover < len(photos) else None
        photos.insert(to, photos.pop(index))
        cover = photos.index(cover_path) if cover_path is not None else 0
        return dataclasses.replace(self, photos=tuple(photos), cover=cover)

    # ------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["model_files"] = [str(p) for p in self.model_files]
        d["photos"] = [str(p) for p in self.photos]
        d["tags"] = list(self.tags)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Draft:
        try:
            return cls(
                **{k: v for k, v in d.items()
                   if k not in ("model_files", "photos", "tags", "settings", "attribution")},
                tags=tuple(d.get("tags", ())),
                model_files=tuple(Path(p) for p in d.get("model_files", ())),
                photos=tuple(Path(p) for p in d.get("photos", ())),
                settings=PrintSettings(**d.get("settings", {})),
                attribution=Attribution(**d.get("attribution", {})),
            )
        except TypeError as exc:
            raise ReviewsError(f"the saved draft cannot be read: {exc}") from None


def problems(draft: Draft, step: int | None = None) -> list[Problem]:
    """What keeps the draft (or one step of it) from being published."""
    found: list[Problem] = []

    def need(ok: bool, at: int, name: str, message: str) -> None:
        if not ok and (step is None or step == at):
            found.append(Problem(at, name, message))

    d = draft
    need(bool(d.title.strip()), 1, "title", "Give the model a title.")
    need(len(d.title) <= MAX_TITLE, 1, "title", f"A title has at most {MAX_TITLE} characters.")
    need(bool(d.description.strip()), 1, "description", "Describe the model.")
    need(len(d.description) <= MAX_DESCRIPTION, 1, "description",
         f"A description has at most {MAX_DESCRIPTION} characters.")
    need(len(d.tags) <= MAX_TAGS, 1, "tags", f"At most {MAX_TAGS} tags.")
    need(all(0 < len(t) <= MAX_TAG for t in d.tags), 1, "tags",
         f"A tag has 1 to {MAX_TAG} characters.")
    need(bool(d.category.strip()), 1, "category", "Choose a category.")
    need(d.license in LICENSES, 1, "license",
         "Choose a licence (an SPDX id such as CC-BY-4.0)." if not d.license
         else f"{d.license!r} is not a licence this marketplace accepts.")
    need(d.origin in ORIGINS, 1, "origin", f"The origin is one of {', '.join(ORIGINS)}.")
    need(bool(d.model_files), 1, "model_files", "Add at least one model file.")
    for p in d.model_files:
        need(p.suffix.lower() in MODEL_FILE_TYPES, 1, "model_files",
             f"{p.name}: model files are STL, 3MF, OBJ or STEP.")
        need(p.is_file(), 1, "model_files", f"{p.name} is missing.")
    if d.origin == "repost":
        need(bool(d.attribution.author.strip()), 1, "attribution",
             "A repost names the model's author.")
        need(bool(_URL_RE.match(d.attribution.source_url)), 1, "attribution",
             "A repost links to where the model was first published.")
    if d.origin == "imported" and d.attribution.source_url:
        need(bool(_URL_RE.match(d.attribution.source_url)), 1, "attribution",
             "The source must be a web address.")

    need(bool(d.photos), 2, "photos", "Add at least one photo.")
    need(not d.photos or 0 <= d.cover < len(d.photos), 2, "cover", "Choose the cover photo.")
    for p in d.photos:
        need(p.is_file(), 2, "photos", f"{p.name} is missing.")

    s = d.settings
    need(bool(s.material.strip()), 3, "material", "Name the material.")
    need(s.nozzle_diameter is not None and 0.1 <= s.nozzle_diameter <= 2.0, 3,
         "nozzle_diameter", "The nozzle diameter is between 0.1 and 2 mm.")
    need(s.layer_height is not None and 0.01 <= s.layer_height <= 1.0
         and (s.nozzle_diameter is None or s.layer_height <= s.nozzle_diameter), 3,
         "layer_height", "The layer height is between 0.01 mm and the nozzle diameter.")
    need(s.infill_density is not None and 0 <= s.infill_density <= 100, 3,
         "infill_density", "The infill density is between 0 and 100 %.")
    need(not s.supports or bool(s.support_type.strip()), 3, "support_type",
         "Say which supports (tree, normal, ...).")

    need(d.origin != "remix" or d.parent_model_id is not None, 4, "parent_model_id",
         "A remix links the model it remixes.")
    need(d.model_id is None or bool(d.version_note.strip()), 4, "version_note",
         "Say what changed in this version.")
    return found


def publication_payload(draft: Draft) -> dict[str, Any]:
    """The JSON of a complete draft for the outbox (files go as attachments:
    the model files in order, then the photos in order; ``cover`` indexes
    the photos).  Raises ReviewsError when the draft is incomplete."""
    missing = problems(draft)
    if missing:
        raise ReviewsError("the draft is not complete: " + " ".join(p.message for p in missing))
    s = draft.settings
    return {
        "title": draft.title.strip(), "description": draft.description,
        "tags": list(draft.tags), "category": draft.category, "license": draft.license,
        "origin": draft.origin,
        "attribution": dataclasses.asdict(draft.attribution)
        if draft.origin in ("repost", "imported") else None,
        "files": [p.name for p in draft.model_files],
        "photos": len(draft.photos), "cover": draft.cover,
        "print_settings": {
            "material": s.material, "nozzle_diameter": s.nozzle_diameter,
            "layer_height": s.layer_height, "infill_density": s.infill_density,
            "supports": s.supports, "support_type": s.support_type if s.supports else None,
            "slicer": s.slicer or None, "slicer_settings": dict(s.slicer_settings) or None,
        },
        "parent_model_id": draft.parent_model_id if draft.origin == "remix" else None,
        "model_id": draft.model_id, "version_note": draft.version_note or None,
    }


class DraftStore:
    """Drafts kept in the desktop database, saved as the user edits."""

    def __init__(self, sessions: Callable[[], Session], *,
                 clock: Callable[[], float] = time.time) -> None:
        self._sessions = sessions
        self._clock = clock

    def save(self, draft: Draft, draft_id: int | None = None) -> int:
        """Create (no id) or overwrite a draft; returns its id."""
        now = self._clock()
        data = json.dumps(draft.to_dict(), ensure_ascii=False, sort_keys=True)
        c = publication_drafts.c
        with self._sessions() as s, s.begin():
            if draft_id is None:
                return int(s.execute(publication_drafts.insert().values(
                    title=draft.title[:200], data=data, created_at=now, updated_at=now)
                    .returning(c.id)).scalar_one())
            done = s.execute(publication_drafts.update().where(c.id == draft_id).values(
                title=draft.title[:200], data=data, updated_at=now).returning(c.id)).first()
            if done is None:
                raise ReviewsError(f"there is no draft {draft_id}")
            return draft_id

    def load(self, draft_id: int) -> Draft:
        with self._sessions() as s:
            data = s.execute(sa.select(publication_drafts.c.data)
                             .where(publication_drafts.c.id == draft_id)).scalar()
        if data is None:
            raise ReviewsError(f"there is no draft {draft_id}")
        return Draft.from_dict(json.loads(data))

    def drafts(self) -> list[tuple[int, str, float]]:
        """(id, title, last edit) of every draft, latest edit first."""
        c = publication_drafts.c
        with self._sessions() as s:
            rows = s.execute(sa.select(c.id, c.title, c.updated_at)
                             .order_by(c.updated_at.desc(), c.id.desc())).all()
        return [(int(r[0]), str(r[1]), float(r[2])) for r in rows]

    def delete(self, draft_id: int) -> None:
        with self._sessions() as s, s.begin():
            s.execute(publication_drafts.delete().where(publication_drafts.c.id == draft_id))
