"""The review composer's points preview (REWARDS.md §3 and the cap rule).

The marketplace service is the authority; the app only previews, and must
agree with it.  What a review pays (§3, "Print reviews"):

- a user's first review on a model: +2 rating, +4 photo, +4 description
  (at least 20 characters of text); at most 10;
- a later review by the same user on the same model, on a print profile they
  have not reviewed before: +2 rating, +3 photo, +2 description; at most 7;
- any other review pays nothing (the first review pays once per (user,
  model); each (user, profile) pair pays once);
- at most 70 points a calendar month (UTC) from reviews: an award that would
  cross the cap is paid up to it (67 of 70 used and a 7-point review: 3 are
  paid);
- the new-creator bonus (§4: +10 %) is paid on what was actually awarded and
  never counts toward the cap.

The arithmetic is ``marketplace.rules`` itself (the service's own rules,
importable without the web stack), so the preview and the service's ledger
cannot disagree; tests/reviews/test_preview.py checks every REWARDS.md
example through it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from marketplace import rules

#: Points a month from reviews (REWARDS.md §3).
MONTHLY_REVIEW_CAP = rules.REVIEW_MONTHLY_CAP
#: A description counts from this many characters of text (REWARDS.md §3).
MIN_DESCRIPTION_CHARS = rules.REVIEW_DESCRIPTION_MIN_CHARS
NEW_CREATOR_BONUS = rules.BONUS_RATE
PARTS = ("rating", "photo", "description")

#: The points of a review that pays, before the monthly cap (REWARDS.md §3).
review_points = rules.review_points
POINTS: Callable[..., int] = rules.review_points


def description_counts(text: str) -> bool:
    """Whether a description earns its points: at least 20 characters of text
    once surrounding whitespace is stripped."""
    return len(text.strip()) >= MIN_DESCRIPTION_CHARS


def paid_under_cap(points: int, month_to_date: int, cap: int = MONTHLY_REVIEW_CAP) -> int:
    """What is paid of ``points`` when ``month_to_date`` of ``cap`` is used."""
    return max(0, min(points, cap - month_to_date))


def bonus_on(paid: int) -> Decimal:
    """The new-creator bonus on an award actually paid (one decimal, half-up)."""
    return (Decimal(paid) * NEW_CREATOR_BONUS).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A missing part and what adding it would earn now (after the cap)."""

    part: str
    points: int

    @property
    def text(self) -> str:
        label = {"rating": "add a rating", "photo": "add a photo",
                 "description": f"write at least {MIN_DESCRIPTION_CHARS} characters"}[self.part]
        return f"{label}: +{self.points}"


@dataclass(frozen=True, slots=True)
class ReviewPreview:
    pays: bool  # whether this review can earn anything at all
    first_on_model: bool
    points: int  # what the review earns as it stands, after the cap
    uncapped: int  # the same before the cap
    maximum: int  # what a complete review would earn before the cap (10, 7 or 0)
    month_to_date: int
    cap: int
    bonus: Decimal  # the new-creator bonus on ``points`` (0 when not one)
    suggestions: tuple[Suggestion, ...]

    @property
    def cap_left(self) -> int:
        """Review points still available this month before this review."""
        return max(0, self.cap - self.month_to_date)

    @property
    def cap_left_after(self) -> int:
        return max(0, self.cap_left - self.points)

    @property
    def capped(self) -> bool:
        return self.points < self.uncapped

    def summary(self) -> str:
        """One line for the composer."""
        if not self.pays:
            return ("This review earns no points: you have already reviewed this model"
                    " (and this print profile).")
        text = f"This review will earn {self.points} point{'s' * (self.points != 1)}"
        if self.bonus:
            text += f" (+{self.bonus} new-creator bonus)"
        if self.capped:
            text += f"; the monthly cap of {self.cap} for reviews leaves {self.cap_left}"
        return text + f". Monthly review points left: {self.cap_left_after} of {self.cap}."


def preview_review(*, first_on_model: bool, new_profile: bool = False, rating: bool,
                   photo: bool, description: bool, month_to_date: int,
                   cap: int = MONTHLY_REVIEW_CAP, new_creator: bool = False) -> ReviewPreview:
    """What a review will earn, and what each missing part would add.

    ``first_on_model``: the user has not reviewed this model before.
    ``new_profile``: (later reviews) the review names a print profile the
    user has not reviewed.  ``rating``/``photo``/``description``: which parts
    the review has (see :func:`description_counts`).  ``month_to_date``:
    review points already paid this month (from the service, §11).
    ``new_creator``: the account earns the §4 new-creator bonus.
    """
    pays = first_on_model or new_profile
    parts = {"rating": rating, "photo": photo, "description": description}

    def earned(**have: bool) -> int:
        return POINTS(first_on_model=first_on_model, **have) if pays else 0

    uncapped = earned(**parts)
    paid = paid_under_cap(uncapped, month_to_date, cap)
    suggestions = []
    for part in PARTS:
        if not parts[part] and pays:
            with_part = paid_under_cap(earned(**{**parts, part: True}), month_to_date, cap)
            suggestions.append(Suggestion(part, with_part - paid))
    return ReviewPreview(
        pays=pays, first_on_model=first_on_model, points=paid, uncapped=uncapped,
        maximum=earned(rating=True, photo=True, description=True),
        month_to_date=month_to_date, cap=cap,
        bonus=bonus_on(paid) if new_creator else Decimal(0),
        suggestions=tuple(suggestions),
    )
