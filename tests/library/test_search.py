from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from library import catalog, duplicates, search
from library.search import Filters, Query


def _add(conn: sa.Connection, title: str, **kw: object) -> int:
    mid, _ = catalog.create_model(conn, title, **kw)  # type: ignore[arg-type]
    return mid


def _fill(engine: Engine) -> dict[str, int]:
    with engine.begin() as c:
        ids = {
            "benchy": _add(c, "3DBenchy", description="The jolly boat torture test",
                           creator="CreativeTools", licence="CC-BY-ND-4.0"),
            "bench": _add(c, "Garden Bench", description="a bench for dolls", licence="MIT"),
            "vase": _add(c, "Spiral Vase", creator="Zoë Müller"),
            "clip": _add(c, "Cable clip", licence="CC-BY-4.0"),
        }
        catalog.set_tags(c, ids["clip"], ["Cable", "desk"])
        catalog.record_print(c, ids["bench"], True)
        catalog.record_print(c, ids["benchy"], True)
        catalog.record_print(c, ids["benchy"], False)
        catalog.record_print(c, ids["benchy"], False)
    return ids


def _s(engine: Engine, q: Query) -> list[int]:
    with engine.connect() as c:
        return search.search(c, q)


def test_prefix_type_ahead_over_titles_descriptions_tags_creators(engine: Engine) -> None:
    ids = _fill(engine)
    assert _s(engine, Query("ben")) == [ids["benchy"], ids["bench"]]  # 3dbenchy < garden
    assert _s(engine, Query("benc", sort="title", descending=True)) == [ids["bench"],
                                                                       ids["benchy"]]
    assert _s(engine, Query("jolly")) == [ids["benchy"]]
    assert _s(engine, Query("desk")) == [ids["clip"]]
    assert _s(engine, Query("zoe mul")) == [ids["vase"]]          # accents folded
    assert _s(engine, Query("creativ")) == [ids["benchy"]]
    assert _s(engine, Query("bench dolls")) == [ids["bench"]]     # all terms
    assert _s(engine, Query("nothing")) == []
    assert _s(engine, Query('"; DROP')) == []                     # quotes are harmless


def test_filters_and_sorts(engine: Engine) -> None:
    ids = _fill(engine)
    assert _s(engine, Query(filters=Filters(licence="MIT"))) == [ids["bench"]]
    assert set(_s(engine, Query(filters=Filters(printed=True)))) == {ids["bench"], ids["benchy"]}
    assert _s(engine, Query(filters=Filters(min_success_rate=0.5))) == [ids["bench"]]
    assert _s(engine, Query(filters=Filters(tag="cable"))) == [ids["clip"]]
    assert _s(engine, Query(sort="printed", descending=True))[0] == ids["benchy"]
    assert _s(engine, Query(sort="added")) == sorted(ids.values())


def test_common_prefix_takes_the_dense_path_with_the_same_answer(engine: Engine,
                                                                 monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as c:
        for i in range(60):
            _add(c, f"Widget {i:03}", licence="MIT" if i % 3 == 0 else "")
    rare = _s(engine, Query("wid", filters=Filters(licence="MIT")))
    monkeypatch.setattr(search, "CAP", 10)   # "wid" is neither rare nor dense
    middle = _s(engine, Query("wid", filters=Filters(licence="MIT")))
    monkeypatch.setattr(search, "MID", 10)   # now "wid" counts as common
    dense = _s(engine, Query("wid", filters=Filters(licence="MIT")))
    assert rare == middle == dense and len(rare) == 20
    with engine.connect() as c:
        page2 = search.search(c, Query("wid", filters=Filters(licence="MIT")), 5, 5)
    assert page2 == dense[5:10]


def test_metadata_edits_are_searchable_and_validated(engine: Engine) -> None:
    ids = _fill(engine)
    with engine.begin() as c:
        catalog.update_model(c, ids["vase"], title="Twisted Vase", notes="print in vase mode",
                             origin="remix", remix_parent_id=ids["bench"])
    assert _s(engine, Query("twist")) == [ids["vase"]]
    assert _s(engine, Query("spiral")) == []
    import pytest

    from library.errors import LibraryError
    with engine.begin() as c, pytest.raises(LibraryError, match="origin"):
        catalog.update_model(c, ids["vase"], origin="stolen")
    with engine.begin() as c, pytest.raises(LibraryError, match="unknown"):
        catalog.update_model(c, ids["vase"], colour="red")


def test_merge_keeps_both_models_metadata(engine: Engine) -> None:
    with engine.begin() as c:
        a, va = catalog.create_model(c, "Bracket", licence="MIT", notes="v1 notes")
        b, vb = catalog.create_model(c, "Bracket (re-export)", creator="Sam",
                                     notes="print upright", marketplace_model_id="mk-7")
        catalog.set_tags(c, a, ["shelf"])
        catalog.set_tags(c, b, ["bracket"])
        catalog.set_collections(c, b, ["Workshop"])
        for mid, vid, name in ((a, va, "b.stl"), (b, vb, "b-ascii.stl")):
            catalog.add_file(c, mid, vid, name * 4, name=name, size=10, analysis={
                "format": "stl", "facts": {"triangles": 12, "fingerprint": "fp1"},
                "metadata": {"source": name}})
    with engine.connect() as c:
        assert duplicates.groups(c) == [[a, b]]
        assert duplicates.of_model(c, a) == [b]
    with engine.begin() as c:
        duplicates.merge(c, a, b)
    with engine.connect() as c:
        d = catalog.detail(c, a)
        assert c.execute(sa.text("SELECT count(*) FROM lib_model")).scalar() == 1
    assert d.fields["licence"] == "MIT" and d.fields["creator"] == "Sam"
    assert d.fields["marketplace_model_id"] == "mk-7"
    assert "v1 notes" in d.fields["notes"] and "print upright" in d.fields["notes"]
    assert d.tags == ["bracket", "shelf"] and d.collections == ["Workshop"]
    assert [f["name"] for f in d.files] == ["b.stl", "b-ascii.stl"]
    assert [f["metadata"] for f in d.files] == [{"source": "b.stl"}, {"source": "b-ascii.stl"}]
    assert len(d.versions) == 2
    assert _s(engine, Query("ascii")) == [a]
