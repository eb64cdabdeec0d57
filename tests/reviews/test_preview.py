"""The review-points preview against every REWARDS.md §3 example (and the
general cap and bonus rules of its preamble and §4)."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from reviews import preview
from reviews.preview import (
    POINTS,
    bonus_on,
    description_counts,
    paid_under_cap,
    preview_review,
    review_points,
)

ALL = list(itertools.product([False, True], repeat=3))


@pytest.mark.parametrize(("rating", "photo", "description"), ALL)
def test_first_review_on_a_model_pays_2_4_4(rating: bool, photo: bool,
                                            description: bool) -> None:
    expected = 2 * rating + 4 * photo + 4 * description
    assert POINTS(first_on_model=True, rating=rating, photo=photo,
                  description=description) == expected


@pytest.mark.parametrize(("rating", "photo", "description"), ALL)
def test_later_review_on_a_new_profile_pays_2_3_2(rating: bool, photo: bool,
                                                  description: bool) -> None:
    expected = 2 * rating + 3 * photo + 2 * description
    assert POINTS(first_on_model=False, rating=rating, photo=photo,
                  description=description) == expected


def test_the_maxima_are_10_and_7() -> None:
    assert review_points(first_on_model=True, rating=True, photo=True, description=True) == 10
    assert review_points(first_on_model=False, rating=True, photo=True, description=True) == 7
    assert POINTS(first_on_model=True, rating=True, photo=True, description=True) == 10
    assert POINTS(first_on_model=False, rating=True, photo=True, description=True) == 7


def test_a_later_review_without_a_new_profile_pays_nothing() -> None:
    # Each (user, profile) pair pays once; the first review pays once per model.
    p = preview_review(first_on_model=False, new_profile=False, rating=True, photo=True,
                       description=True, month_to_date=0)
    assert (p.pays, p.points, p.maximum, p.suggestions) == (False, 0, 0, ())
    assert "no points" in p.summary()


def test_67_of_70_used_and_a_7_point_review_pays_3() -> None:
    p = preview_review(first_on_model=False, new_profile=True, rating=True, photo=True,
                       description=True, month_to_date=67)
    assert (p.uncapped, p.points, p.capped, p.cap_left, p.cap_left_after) == (7, 3, True, 3, 0)
    assert "leaves 3" in p.summary()


def test_at_most_70_a_month() -> None:
    assert paid_under_cap(10, 0) == 10
    assert paid_under_cap(10, 60) == 10
    assert paid_under_cap(10, 61) == 9
    assert paid_under_cap(10, 70) == 0
    assert paid_under_cap(10, 75) == 0  # never negative
    # Seven complete first reviews fill the month; the eighth earns nothing.
    used = 0
    for _ in range(8):
        p = preview_review(first_on_model=True, rating=True, photo=True, description=True,
                           month_to_date=used)
        used += p.points
    assert used == preview.MONTHLY_REVIEW_CAP == 70
    assert p.points == 0 and p.cap_left == 0


def test_what_each_missing_part_would_add() -> None:
    p = preview_review(first_on_model=True, rating=True, photo=False, description=False,
                       month_to_date=0)
    assert p.points == 2 and p.maximum == 10
    assert [s.text for s in p.suggestions] == [
        "add a photo: +4", "write at least 20 characters: +4"]
    later = preview_review(first_on_model=False, new_profile=True, rating=False, photo=False,
                           description=True, month_to_date=0)
    assert [(s.part, s.points) for s in later.suggestions] == [("rating", 2), ("photo", 3)]
    assert later.points == 2


def test_suggestions_apply_the_cap() -> None:
    # 65 used: rating + description (6) pays 5; a photo would only add what is left (0).
    p = preview_review(first_on_model=True, rating=True, photo=False, description=True,
                       month_to_date=65)
    assert p.points == 5 and p.uncapped == 6
    assert [s.text for s in p.suggestions] == ["add a photo: +0"]
    # 63 used: a rating alone pays 2; a photo would add 4, a description then only 1 more.
    p = preview_review(first_on_model=True, rating=True, photo=False, description=False,
                       month_to_date=63)
    assert [(s.part, s.points) for s in p.suggestions] == [("photo", 4), ("description", 4)]
    p = preview_review(first_on_model=True, rating=True, photo=True, description=False,
                       month_to_date=63)
    assert p.points == 6 and [(s.part, s.points) for s in p.suggestions] == [
        ("description", 1)]


def test_the_new_creator_bonus_is_paid_on_what_was_awarded_outside_the_cap() -> None:
    assert bonus_on(5) == Decimal("0.5")  # "a 10 % bonus on 5 points is 0.5"
    p = preview_review(first_on_model=False, new_profile=True, rating=True, photo=True,
                       description=True, month_to_date=67, new_creator=True)
    assert p.points == 3 and p.bonus == Decimal("0.3")
    assert p.cap_left_after == 0  # the bonus does not use the cap
    full = preview_review(first_on_model=True, rating=True, photo=True, description=True,
                          month_to_date=0, new_creator=True)
    assert full.bonus == Decimal("1.0") and "+1.0 new-creator bonus" in full.summary()
    assert preview_review(first_on_model=True, rating=True, photo=True, description=True,
                          month_to_date=0).bonus == 0


def test_a_description_counts_from_20_characters_of_text() -> None:
    assert not description_counts("")
    assert not description_counts("x" * 19)
    assert description_counts("x" * 20)
    assert not description_counts("   " + "x" * 19 + "\n\n")
    assert description_counts("Überextrusion 完璧 — 2")  # characters, not bytes
    assert len("Überextrusion 完璧 — 2") == 20


def test_summary_wording() -> None:
    p = preview_review(first_on_model=True, rating=True, photo=False, description=False,
                       month_to_date=10)
    assert p.summary() == ("This review will earn 2 points. "
                           "Monthly review points left: 58 of 70.")
