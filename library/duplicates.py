"""Near-duplicates: the same mesh re-exported (another triangle order,
ASCII instead of binary, moved) shares a geometry fingerprint
(:func:`library.facts.fingerprint`).  Merging moves the other model's files
into a new version of the kept one and keeps both models' metadata."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from library import catalog
from library.errors import LibraryError
from library.schema import (
    lib_collection_item,
    lib_file,
    lib_model,
    lib_tag,
    lib_version,
)


def groups(conn: Connection) -> list[list[int]]:
    """Sets of models (two or more) that hold files with the same geometry."""
    rows = conn.execute(sa.text(
        "SELECT fingerprint, group_concat(DISTINCT model_id) FROM lib_file "
        "WHERE fingerprint IS NOT NULL GROUP BY fingerprint "
        "HAVING count(DISTINCT model_id) > 1"))
    seen: set[tuple[int, ...]] = set()
    out: list[list[int]] = []
    for _fp, ids in rows:
        key = tuple(sorted(int(i) for i in str(ids).split(",")))
        if key not in seen:
            seen.add(key)
            out.append(list(key))
    return out


def of_model(conn: Connection, model_id: int) -> list[int]:
    """Other models that share geometry with ``model_id``."""
    return [int(r[0]) for r in conn.execute(sa.text(
        "SELECT DISTINCT b.model_id FROM lib_file a JOIN lib_file b "
        "ON a.fingerprint = b.fingerprint AND b.model_id != a.model_id "
        "WHERE a.model_id = :m AND a.fingerprint IS NOT NULL ORDER BY 1"), {"m": model_id})]


def merge(conn: Connection, keep: int, other: int) -> None:
    """Fold ``other`` into ``keep``: its files become a new version of
    ``keep`` (each file keeps its own facts, settings and metadata); empty
    fields of ``keep`` take ``other``'s values; notes and descriptions that
    differ are both kept; tags and collections are united."""
    if keep == other:
        raise LibraryError("cannot merge a model with itself")
    a = conn.execute(sa.select(lib_model).where(lib_model.c.id == keep)).mappings().first()
    b = conn.execute(sa.select(lib_model).where(lib_model.c.id == other)).mappings().first()
    if a is None or b is None:
        raise LibraryError("both models must exist to merge them")
    updates: dict[str, Any] = {}
    for key in catalog.EDITABLE:
        if key in ("title", "remix_parent_id"):
            continue
        va, vb = a[key], b[key]
        if vb in (None, "") or va == vb:
            continue
        if va in (None, ""):
            updates[key] = vb
        elif key in ("notes", "description"):
            updates[key] = f"{va}\n\n(merged from \u201c{b['title']}\u201d)\n{vb}"
    if b["remix_parent_id"] not in (None, keep) and a["remix_parent_id"] is None:
        updates["remix_parent_id"] = b["remix_parent_id"]
    version = catalog.add_version(conn, keep, label=f"merged from \u201c{b['title']}\u201d")
    conn.execute(lib_file.update().where(lib_file.c.model_id == other)
                 .values(model_id=keep, version_id=version))
    tags = {t for t in conn.execute(sa.select(lib_tag.c.tag).where(
        lib_tag.c.model_id.in_([keep, other]))).scalars()}
    colls = {c for c in conn.execute(sa.select(lib_collection_item.c.collection_id).where(
        lib_collection_item.c.model_id.in_([keep, other]))).scalars()}
    conn.execute(lib_model.update().where(lib_model.c.remix_parent_id == other)
                 .values(remix_parent_id=keep))
    conn.execute(lib_model.update().where(lib_model.c.id == keep).values(
        print_count=a["print_count"] + b["print_count"],
        success_count=a["success_count"] + b["success_count"],
        updated_at=time.time(), **updates))
    conn.execute(lib_version.delete().where(lib_version.c.model_id == other))
    conn.execute(lib_model.delete().where(lib_model.c.id == other))
    catalog.set_tags(conn, keep, sorted(tags))
    conn.execute(lib_collection_item.delete().where(lib_collection_item.c.model_id == keep))
    if colls:
        conn.execute(lib_collection_item.insert(),
                     [{"collection_id": c, "model_id": keep} for c in sorted(colls)])
    catalog.refresh(conn, keep)
