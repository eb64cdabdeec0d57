"""Publishing a model: the four steps of REWARDS.md §8, drafts, the payload."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from app import db
from reviews.errors import ReviewsError
from reviews.publication import (
    Attribution,
    Draft,
    DraftStore,
    PrintSettings,
    problems,
    publication_payload,
)


@pytest.fixture
def complete(tmp_path: Path) -> Draft:
    stl = tmp_path / "benchy.stl"
    stl.write_bytes(b"solid x\nendsolid x\n")
    photos = []
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        (tmp_path / name).write_bytes(b"\xff\xd8\xff\xd9")
        photos.append(tmp_path / name)
    return Draft(
        title="Benchy, tuned", description="The classic torture test.", tags=("boat", "test"),
        category="Calibration", license="CC-BY-4.0", origin="original", model_files=(stl,),
        photos=tuple(photos), cover=1,
        settings=PrintSettings(material="PLA", nozzle_diameter=0.4, layer_height=0.2,
                               infill_density=15, supports=False, slicer="PrusaSlicer",
                               slicer_settings={"perimeters": "2"}),
    )


def fields(draft: Draft, step: int | None = None) -> set[str]:
    return {p.field for p in problems(draft, step)}


def test_a_complete_draft_has_no_problems_and_becomes_a_payload(complete: Draft) -> None:
    assert problems(complete) == []
    payload = publication_payload(complete)
    assert payload["origin"] == "original" and payload["attribution"] is None
    assert payload["files"] == ["benchy.stl"] and (payload["photos"], payload["cover"]) == (3, 1)
    assert payload["print_settings"]["slicer_settings"] == {"perimeters": "2"}
    assert payload["print_settings"]["support_type"] is None


def test_an_empty_draft_says_what_each_step_needs() -> None:
    empty = Draft()
    assert fields(empty, 1) == {"title", "description", "category", "license", "model_files"}
    assert fields(empty, 2) == {"photos"}
    assert fields(empty, 3) == {"material", "nozzle_diameter", "layer_height",
                                "infill_density"}
    assert fields(empty, 4) == set()
    with pytest.raises(ReviewsError, match="not complete"):
        publication_payload(empty)


def test_details_are_checked(complete: Draft, tmp_path: Path) -> None:
    r = dataclasses.replace
    assert fields(r(complete, license="WTFPL-ish")) == {"license"}
    assert fields(r(complete, origin="stolen")) == {"origin"}
    assert fields(r(complete, title="x" * 121)) == {"title"}
    assert fields(r(complete, model_files=(tmp_path / "x.gcode",))) == {"model_files"}
    assert fields(r(complete, model_files=(tmp_path / "gone.3mf",))) == {"model_files"}
    assert fields(r(complete, tags=tuple(f"t{i}" for i in range(21)))) == {"tags"}
    for suffix in (".STL", ".3mf", ".obj", ".step", ".stp"):
        f = tmp_path / f"part{suffix}"
        f.write_bytes(b"x")
        assert problems(r(complete, model_files=(f,))) == []


def test_a_repost_must_carry_attribution_and_is_labelled_by_its_origin(complete: Draft) -> None:
    repost = dataclasses.replace(complete, origin="repost")
    assert fields(repost) == {"attribution"}
    repost = dataclasses.replace(repost, attribution=Attribution(
        author="CreativeTools", source_url="https://www.thingiverse.com/thing:763622",
        license="CC-BY-ND-4.0"))
    assert problems(repost) == []
    payload = publication_payload(repost)
    assert payload["origin"] == "repost"
    assert payload["attribution"] == {"author": "CreativeTools",
                                      "source_url": "https://www.thingiverse.com/thing:763622",
                                      "license": "CC-BY-ND-4.0"}
    bad_url = dataclasses.replace(repost, attribution=Attribution("x", "ftp://x"))
    assert fields(bad_url) == {"attribution"}


def test_an_imported_model_keeps_its_source_and_a_remix_its_parent(complete: Draft) -> None:
    imported = dataclasses.replace(complete, origin="imported", attribution=Attribution(
        author="me", source_url="https://www.printables.com/model/1", license="CC-BY-4.0"))
    assert publication_payload(imported)["attribution"]["source_url"].startswith("https://")
    remix = dataclasses.replace(complete, origin="remix")
    assert fields(remix) == {"parent_model_id"}
    payload = publication_payload(dataclasses.replace(remix, parent_model_id=99))
    assert payload["parent_model_id"] == 99 and payload["attribution"] is None


def test_print_settings_are_checked(complete: Draft) -> None:
    s = complete.settings
    r = dataclasses.replace
    assert fields(r(complete, settings=r(s, layer_height=0.5))) == {"layer_height"}  # > nozzle
    assert fields(r(complete, settings=r(s, nozzle_diameter=2.5))) == {"nozzle_diameter"}
    assert fields(r(complete, settings=r(s, infill_density=101))) == {"infill_density"}
    assert fields(r(complete, settings=r(s, supports=True))) == {"support_type"}
    ok = r(complete, settings=r(s, supports=True, support_type="tree"))
    assert publication_payload(ok)["print_settings"]["support_type"] == "tree"


def test_a_new_version_says_what_changed(complete: Draft) -> None:
    version = dataclasses.replace(complete, model_id=5)
    assert fields(version, 4) == {"version_note"}
    assert publication_payload(dataclasses.replace(version, version_note="thicker hull"))[
        "model_id"] == 5


def test_photos_reorder_by_dragging_and_the_cover_follows(complete: Draft) -> None:
    a, b, c = complete.photos
    moved = complete.moved_photo(1, 0)  # drag the cover (b) to the front
    assert moved.photos == (b, a, c) and moved.cover == 0
    moved = moved.moved_photo(0, 2)
    assert moved.photos == (a, c, b) and moved.cover == 2
    with pytest.raises(ReviewsError):
        complete.moved_photo(0, 3)


def test_tags_from_text() -> None:
    assert Draft().with_tags(" Boat, test ,, BOAT,  tug   boat ").tags == (
        "boat", "test", "tug boat")


def test_drafts_are_saved_as_the_user_edits(engine: Engine, complete: Draft) -> None:
    now = [100.0]
    store = DraftStore(db.session_factory(engine), clock=lambda: now[0])
    first = store.save(Draft(title="Half done"))
    now[0] = 200.0
    second = store.save(complete)
    assert [d[0] for d in store.drafts()] == [second, first]
    now[0] = 300.0
    edited = dataclasses.replace(store.load(first), description="more text", tags=("x",))
    assert store.save(edited, first) == first
    assert store.load(first) == edited
    assert store.load(second) == complete  # paths, settings and all
    assert [d[0] for d in store.drafts()] == [first, second]
    store.delete(first)
    with pytest.raises(ReviewsError):
        store.load(first)
    with pytest.raises(ReviewsError):
        store.save(complete, first)
