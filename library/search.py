"""Search the catalogue: prefix type-ahead over titles, descriptions, tags,
creators and file names, with filters and sorts, fast at a million models.

Ranking FTS5 results costs about a microsecond per matching row, far too
slow for a three-letter prefix that matches half a million models, so the
search never ranks.  It asks FTS5 (prefix indexes for 1-3 letters) for at
most ``MID`` matching ids, unranked:

* when the prefix is rare (at most ``CAP`` matches), those ids are filtered
  and sorted in SQL: cheap, there are few;
* in between (up to ``MID`` matches), the sort index is walked and each
  entry's rowid is tested against the matches: no row is read, no LIKE;
* when it is common, the matches are dense, so walking ``lib_model`` in the
  order of the sort column's index and keeping rows whose ``search_text``
  has a word starting with each term finds a page after a few thousand rows.

Either way the cost is bounded by ``MID`` rows, not by the catalogue.  The
sort indexes also carry the format, licence and print count (see
``library.schema.SORT_INDEX_COLUMNS``), so filters cost no row reads either.
Filters on format, licence and printed-or-not are also words of the index
(``xfmtstl``, ``xlicccby40``, ``xprinted``; see
:func:`library.catalog.facet_tokens`), so FTS5 intersects them with the
prefix terms and a filtered query is rarely dense.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from library.catalog import fold, term_mask
from library.schema import SORT_INDEX_COLUMNS

CAP = 4000
#: Up to this many matches, the walk of a sort index tests membership in
#: the matches rather than the prefix mask and LIKE (reading rows).
MID = 4 * CAP
SORTS = {"title": "title_sort", "added": "created_at", "size": "total_size",
         "triangles": "triangles", "printed": "print_count"}
#: Each sort index's columns, then the rowid: ordering by exactly these needs
#: no sort step after the index walk (see library.schema.SORT_INDEX_COLUMNS).
_INDEX_ORDER = {col: (*SORT_INDEX_COLUMNS[col], "id") for col in SORTS.values()}


@dataclass(frozen=True, slots=True)
class Filters:
    format: str | None = None
    licence: str | None = None
    min_size: int | None = None
    max_size: int | None = None
    printed: bool | None = None
    min_success_rate: float | None = None   # 0..1, printed models only
    tag: str | None = None
    collection: str | None = None


@dataclass(frozen=True, slots=True)
class Query:
    text: str = ""
    filters: Filters = Filters()
    sort: str = "title"
    descending: bool = False


def _where(f: Filters, params: dict[str, Any]) -> list[str]:
    w: list[str] = []
    if f.format:
        w.append("m.primary_format = :fmt")
        params["fmt"] = f.format
    if f.licence is not None:
        w.append("m.licence = :lic")
        params["lic"] = f.licence
    if f.min_size is not None:
        w.append("m.total_size >= :minsz")
        params["minsz"] = f.min_size
    if f.max_size is not None:
        w.append("m.total_size <= :maxsz")
        params["maxsz"] = f.max_size
    if f.printed is True:
        w.append("m.print_count > 0")
    elif f.printed is False:
        w.append("m.print_count = 0")
    if f.min_success_rate is not None:
        w.append("m.print_count > 0 AND m.success_count >= :rate * m.print_count")
        params["rate"] = f.min_success_rate
    if f.tag:
        w.append("EXISTS (SELECT 1 FROM lib_tag t WHERE t.model_id = m.id AND t.tag = :tag)")
        params["tag"] = f.tag.lower()
    if f.collection:
        w.append("EXISTS (SELECT 1 FROM lib_collection_item ci JOIN lib_collection c "
                 "ON c.id = ci.collection_id WHERE ci.model_id = m.id AND c.name = :coll)")
        params["coll"] = f.collection
    return w


def _facets(f: Filters) -> list[str]:
    """Facet words (see :func:`library.catalog.facet_tokens`) for the filters
    that have them: FTS5 intersects them with the prefix terms."""
    out = []
    if f.format:
        out.append('"xfmt' + fold(f.format).replace(" ", "") + '"')
    if f.licence is not None:
        out.append('"xlic' + (fold(f.licence).replace(" ", "") or "none") + '"')
    if f.printed is not None:
        out.append('"xprinted"' if f.printed else '"xunprinted"')
    return out


def terms_of(text: str) -> list[str]:
    return fold(text).split()[:6]


def _middle(conn: Connection, first: list[int]) -> bool:
    """Whether gathering every match beats walking with the mask and LIKE.

    The matches in all are estimated from the first ones (FTS5 returns them
    by rowid: they took up ``first[-1]`` of the rowids).  Gathering costs
    about one step per match; the masked walk reads about ``100 * rows /
    matches`` index entries for a page, each dearer (a row read and a LIKE).
    """
    top = max(int(conn.exec_driver_sql("SELECT max(id) FROM lib_model").scalar() or 0),
              first[-1])
    matches = len(first) * top / max(first[-1], 1)
    return matches <= MID and matches * matches <= 200 * top


def search(conn: Connection, q: Query, limit: int = 200, offset: int = 0) -> list[int]:
    """Model ids matching ``q``, in its order, one page."""
    col = SORTS.get(q.sort, "title_sort")
    direction = "DESC" if q.descending else "ASC"
    # Ties by the mask, then id: exactly the sort index's own order, so no
    # sorting step follows the index walk.
    order = ", ".join(f"m.{c} {direction}" for c in _INDEX_ORDER[col])
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    where = _where(q.filters, params)
    terms = terms_of(q.text)
    walk = False
    if terms:
        match = " AND ".join([f'"{t}"*' for t in terms] + _facets(q.filters))
        ids = [r[0] for r in conn.exec_driver_sql(
            "SELECT rowid FROM lib_fts WHERE lib_fts MATCH ? LIMIT ?", (match, CAP + 1))]
        if len(ids) <= CAP:
            if not ids:
                return []
            where.append("m.id IN (SELECT value FROM json_each(:ids))")
            params["ids"] = json.dumps(ids)
        elif _middle(conn, ids):
            # Neither rare nor dense: walk the sort index, testing each
            # entry's rowid against the matches (no row read, no LIKE).
            ids = [r[0] for r in conn.exec_driver_sql(
                "SELECT rowid FROM lib_fts WHERE lib_fts MATCH ? LIMIT ?", (match, MID + 1))]
            where.append("m.id IN (SELECT value FROM json_each(:ids))")
            params["ids"] = json.dumps(ids)
            walk = True
        else:
            for i, t in enumerate(terms):
                # The mask test reads only the sort index; LIKE confirms.
                where.append(f"(m.prefix_mask & :k{i}) = :k{i} AND m.search_text LIKE :t{i}")
                params[f"k{i}"] = term_mask(t)
                params[f"t{i}"] = f"% {t}%"
    # Dense matches: walk the sort column's index (the planner, seeing LIKE,
    # might otherwise sort every row).  Otherwise the planner chooses.
    hint = f"INDEXED BY ix_lib_model_{col}" if walk or "t0" in params else ""
    sql = (f"SELECT m.id FROM lib_model m {hint} "
           f"{'WHERE ' + ' AND '.join(where) if where else ''} "
           f"ORDER BY {order} LIMIT :limit OFFSET :offset")
    return [int(r[0]) for r in conn.execute(sa.text(sql), params)]


def count(conn: Connection) -> int:
    return int(conn.exec_driver_sql("SELECT count(*) FROM lib_model").scalar() or 0)


def count_models(engine: sa.engine.Engine) -> int:
    with engine.connect() as conn:
        return count(conn)


_ROW_COLUMNS = ("id", "title", "primary_format", "total_size", "triangles", "licence",
                "creator", "print_count", "success_count", "last_outcome", "thumb_hash",
                "created_at", "category")


def rows(conn: Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    """What a list or grid shows of each model, by id."""
    if not ids:
        return {}
    cols = ", ".join(_ROW_COLUMNS)
    res = conn.execute(sa.text(
        f"SELECT {cols} FROM lib_model WHERE id IN (SELECT value FROM json_each(:ids))"),
        {"ids": json.dumps(ids)}).mappings()
    return {int(r["id"]): dict(r) for r in res}
