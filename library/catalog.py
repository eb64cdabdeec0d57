"""The catalogue: models, versions, files, tags, collections and their
metadata in the desktop database (SQLAlchemy Core on a connection the
caller owns, so that one unit of work is one transaction)."""

from __future__ import annotations

import json
import re
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from library.errors import LibraryError
from library.schema import (
    ORIGINS,
    lib_blob,
    lib_collection,
    lib_collection_item,
    lib_file,
    lib_model,
    lib_tag,
    lib_version,
)

EDITABLE = ("title", "description", "category", "licence", "origin", "creator", "attribution",
            "source_url", "remix_parent_id", "notes", "marketplace_model_id",
            "marketplace_profile_id")


def insert_id(result: sa.CursorResult[Any]) -> int:
    pk = result.inserted_primary_key
    if pk is None:
        raise LibraryError("insert returned no primary key")
    return int(pk[0])


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation to spaces: the form search
    text and prefix queries share."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(c for c in t if not unicodedata.combining(c)).lower()
    return re.sub(r"[\W_]+", " ", t).strip()


def _letter_bit(c: str) -> int:
    return ord(c) - 97 if "a" <= c <= "z" else ord(c) % 26


def term_mask(term: str) -> int:
    """The bits a word starting with ``term`` must have in a prefix mask."""
    if not term:
        return 0
    m = 1 << _letter_bit(term[0])
    if len(term) >= 2:
        m |= 1 << (26 + (ord(term[0]) * 31 + ord(term[1])) % 37)
    return m


def prefix_mask(text: str) -> int:
    """A 63-bit summary of the word beginnings of (folded) ``text``."""
    m = 0
    for w in set(text.split()):
        m |= term_mask(w[:2])
    return m


def facet_tokens(fmt: str, licence: str, print_count: int) -> str:
    """Filter values as words of the full-text index, so that a prefix
    query and its filters are intersected inside FTS5 (see library.search)."""
    return " ".join([f"xfmt{fold(fmt).replace(' ', '')}",
                     f"xlic{fold(licence).replace(' ', '') or 'none'}",
                     "xprinted" if print_count else "xunprinted"])


def search_words(text: str) -> str:
    """Folded words plus the parts of CamelCase and letter-digit compounds
    (``3DBenchy`` is found by ``ben`` too)."""
    base = fold(text)
    split = fold(re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=\d)(?=[A-Za-z])"
                        r"|(?<=[A-Za-z])(?=\d)", " ", text))
    extra = [w for w in split.split() if w not in set(base.split())]
    return " ".join([base, *dict.fromkeys(extra)])


@dataclass(slots=True)
class ModelDetail:
    id: int
    fields: dict[str, Any]
    tags: list[str] = field(default_factory=list)
    collections: list[str] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)


def create_model(conn: Connection, title: str, **fields: Any) -> tuple[int, int]:
    """A new model with its first version; returns (model id, version id)."""
    now = time.time()
    _check_fields(fields)
    model_id = insert_id(conn.execute(lib_model.insert().values(
        title=title, title_sort=fold(title), created_at=now, updated_at=now, **fields,
    )))
    version_id = insert_id(conn.execute(lib_version.insert().values(
        model_id=model_id, number=1, label="", created_at=now)))
    refresh(conn, model_id)
    return int(model_id), int(version_id)


def _check_fields(fields: dict[str, Any]) -> None:
    bad = set(fields) - set(EDITABLE)
    if bad:
        raise LibraryError(f"unknown model field(s): {', '.join(sorted(bad))}")
    if "origin" in fields and fields["origin"] not in ORIGINS:
        raise LibraryError(f"origin must be one of {', '.join(ORIGINS)}")


def add_version(conn: Connection, model_id: int, label: str = "") -> int:
    n = conn.execute(sa.select(sa.func.max(lib_version.c.number)).where(
        lib_version.c.model_id == model_id)).scalar() or 0
    return int(insert_id(conn.execute(lib_version.insert().values(
        model_id=model_id, number=n + 1, label=label, created_at=time.time()
    ))))


def latest_version(conn: Connection, model_id: int) -> int:
    vid = conn.execute(sa.select(lib_version.c.id).where(lib_version.c.model_id == model_id)
                       .order_by(lib_version.c.number.desc()).limit(1)).scalar()
    if vid is None:
        raise LibraryError(f"model {model_id} has no version")
    return int(vid)


def ensure_blob(conn: Connection, digest: str, size: int, fmt: str) -> None:
    if conn.execute(sa.select(lib_blob.c.hash).where(lib_blob.c.hash == digest)).first() is None:
        conn.execute(lib_blob.insert().values(hash=digest, size=size, format=fmt,
                                              stored_at=time.time()))


def add_file(conn: Connection, model_id: int, version_id: int, digest: str, *, name: str,
             size: int, analysis: dict[str, Any]) -> int:
    fmt = analysis["format"]
    ensure_blob(conn, digest, size, fmt)
    facts = analysis.get("facts") or {}
    s = analysis.get("settings")
    raw = s.pop("raw", None) if s else None
    fid = insert_id(conn.execute(lib_file.insert().values(
        model_id=model_id, version_id=version_id, blob_hash=digest, name=name, format=fmt,
        size=size, triangles=facts.get("triangles"), size_x=facts.get("size_x"),
        size_y=facts.get("size_y"), size_z=facts.get("size_z"), volume=facts.get("volume"),
        area=facts.get("area"), watertight=facts.get("watertight"), bodies=facts.get("bodies"),
        fingerprint=facts.get("fingerprint"),
        thumb_source=analysis.get("thumbnail_source") if analysis.get("has_thumbnail") else None,
        slicer=(s or {}).get("slicer"),
        settings_json=json.dumps(s) if s else None,
        raw_settings_json=json.dumps(raw) if raw else None,
        metadata_json=json.dumps(analysis.get("metadata")) if analysis.get("metadata") else None,
        added_at=time.time(),
    )))
    refresh(conn, model_id)
    return int(fid)


def refresh(conn: Connection, model_id: int) -> None:
    """Recompute a model's denormalised columns and search text."""
    m = conn.execute(sa.select(lib_model).where(lib_model.c.id == model_id)).mappings().first()
    if m is None:
        raise LibraryError(f"no model {model_id}")
    files = conn.execute(sa.select(lib_file).where(lib_file.c.model_id == model_id)
                         .order_by(lib_file.c.id)).mappings().all()
    tags = conn.execute(sa.select(lib_tag.c.tag).where(lib_tag.c.model_id == model_id)
                        ).scalars().all()
    mesh_files = [f for f in files if f["triangles"]]
    chosen = mesh_files or list(files)
    primary = str(chosen[0]["format"]) if chosen else ""
    thumb = next((f["blob_hash"] for f in files if f["thumb_source"]), None)
    text = " ".join([m["title"], m["description"], m["creator"], m["category"],
                     " ".join(tags), " ".join(f["name"] for f in files)])
    facets = facet_tokens(primary or "", m["licence"], m["print_count"])
    words = search_words(text)
    conn.execute(lib_model.update().where(lib_model.c.id == model_id).values(
        primary_format=primary or "",
        total_size=sum(f["size"] for f in files),
        triangles=sum(f["triangles"] or 0 for f in files),
        thumb_hash=thumb,
        title_sort=fold(m["title"]),
        search_text=" " + words + " " + facets + " ",
        prefix_mask=prefix_mask(words),
    ))


def update_model(conn: Connection, model_id: int, **fields: Any) -> None:
    _check_fields(fields)
    if fields.get("remix_parent_id") == model_id:
        raise LibraryError("a model cannot be its own remix parent")
    if "title" in fields and not str(fields["title"]).strip():
        raise LibraryError("a model needs a title")
    conn.execute(lib_model.update().where(lib_model.c.id == model_id)
                 .values(updated_at=time.time(), **fields))
    refresh(conn, model_id)


def set_tags(conn: Connection, model_id: int, tags: list[str]) -> None:
    clean = sorted({t.strip().lower() for t in tags if t.strip()})
    conn.execute(lib_tag.delete().where(lib_tag.c.model_id == model_id))
    if clean:
        conn.execute(lib_tag.insert(), [{"model_id": model_id, "tag": t} for t in clean])
    refresh(conn, model_id)


def set_collections(conn: Connection, model_id: int, names: list[str]) -> None:
    conn.execute(lib_collection_item.delete().where(lib_collection_item.c.model_id == model_id))
    for name in sorted({n.strip() for n in names if n.strip()}):
        cid = conn.execute(sa.select(lib_collection.c.id).where(lib_collection.c.name == name)
                           ).scalar()
        if cid is None:
            cid = insert_id(conn.execute(lib_collection.insert().values(name=name)))
        conn.execute(lib_collection_item.insert().values(collection_id=cid, model_id=model_id))


def record_print(conn: Connection, model_id: int, success: bool) -> None:
    """Print history (from the printers' jobs) feeds "printed N times"."""
    conn.execute(lib_model.update().where(lib_model.c.id == model_id).values(
        print_count=lib_model.c.print_count + 1,
        success_count=lib_model.c.success_count + (1 if success else 0),
        last_outcome="success" if success else "failed"))
    refresh(conn, model_id)   # the printed/unprinted facet word


def detail(conn: Connection, model_id: int) -> ModelDetail:
    m = conn.execute(sa.select(lib_model).where(lib_model.c.id == model_id)).mappings().first()
    if m is None:
        raise LibraryError(f"no model {model_id}")
    d = ModelDetail(id=model_id, fields=dict(m))
    d.tags = list(conn.execute(sa.select(lib_tag.c.tag).where(lib_tag.c.model_id == model_id)
                               .order_by(lib_tag.c.tag)).scalars())
    d.collections = list(conn.execute(
        sa.select(lib_collection.c.name).join(lib_collection_item).where(
            lib_collection_item.c.model_id == model_id).order_by(lib_collection.c.name)
    ).scalars())
    d.versions = [dict(r) for r in conn.execute(
        sa.select(lib_version).where(lib_version.c.model_id == model_id)
        .order_by(lib_version.c.number)).mappings()]
    d.files = []
    for r in conn.execute(sa.select(lib_file).where(lib_file.c.model_id == model_id)
                          .order_by(lib_file.c.id)).mappings():
        f = dict(r)
        for key in ("settings_json", "raw_settings_json", "metadata_json"):
            f[key.removesuffix("_json")] = json.loads(f.pop(key)) if f[key] else None
        d.files.append(f)
    return d


def delete_model(conn: Connection, model_id: int) -> None:
    conn.execute(lib_model.delete().where(lib_model.c.id == model_id))
