"""Every number of REWARDS.md, checked against marketplace.rules (pure arithmetic)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from marketplace import rules


# ------------------------------------------------------------- section 1 ---
def test_beginner_task_amounts() -> None:
    assert rules.BEGINNER_TASKS == {
        "set_preference": 10,
        "nickname_avatar": 5,
        "profile": 5,
        "printer_setup": 5,
        "first_model_upload": 30,
        "first_profile_upload": 20,
    }


# ------------------------------------------------------------- section 2 ---
@pytest.mark.parametrize(
    ("downloads", "points"),
    [(0, 0), (49, 0), (50, 20), (99, 20), (100, 40), (999, 380), (1000, 400), (1099, 400),
     (1100, 430), (9600, 2980), (9700, 3000), (20000, 3000), (-3, 0)],
)
def test_model_milestones_worked_examples(downloads: int, points: int) -> None:
    assert rules.model_milestone_points(downloads) == points


@pytest.mark.parametrize(
    ("downloads", "points"),
    [(0, 0), (49, 0), (50, 5), (1000, 100), (1099, 100), (1100, 108), (9700, 796),
     (9800, 800), (50000, 800)],
)
def test_profile_milestones_worked_examples(downloads: int, points: int) -> None:
    assert rules.profile_milestone_points(downloads) == points


def test_milestones_are_monotonic_and_capped() -> None:
    prev_m = prev_p = 0
    for n in range(0, 12001):
        m, p = rules.model_milestone_points(n), rules.profile_milestone_points(n)
        assert prev_m <= m <= 3000
        assert prev_p <= p <= 800
        prev_m, prev_p = m, p


def test_next_milestone_steps() -> None:
    assert rules.next_model_milestone(0) == 50
    assert rules.next_model_milestone(49) == 50
    assert rules.next_model_milestone(999) == 1000
    assert rules.next_model_milestone(1000) == 1100
    assert rules.next_model_milestone(9700) is None
    assert rules.next_profile_milestone(1100) == 1200
    assert rules.next_profile_milestone(9800) is None


def test_confirmed_print_counts_as_two_downloads() -> None:
    assert rules.genuine_downloads(downloaders=10, confirmed_printers=3) == 16


def test_upload_constants() -> None:
    assert rules.MODEL_UPLOAD_POINTS == 10
    assert rules.MODEL_UPLOAD_MONTHLY_CAP == 300
    assert rules.FIRST_PROFILE_POINTS == 5
    assert rules.FIRST_PROFILE_MONTHLY_CAP == 150
    assert {"original", "remix", "imported"} == rules.PAYING_ORIGINS
    assert "repost" not in rules.PAYING_ORIGINS


# ------------------------------------------------------------- section 3 ---
@pytest.mark.parametrize(
    ("first", "rating", "photo", "desc", "points"),
    [(True, True, True, True, 10), (True, True, False, False, 2), (True, True, True, False, 6),
     (True, True, False, True, 6), (True, False, False, False, 0),
     (False, True, True, True, 7), (False, True, False, False, 2), (False, True, True, False, 5),
     (False, True, False, True, 4)],
)
def test_review_points(first: bool, rating: bool, photo: bool, desc: bool, points: int) -> None:
    assert rules.review_points(first_on_model=first, rating=rating, photo=photo,
                               description=desc) == points


def test_description_needs_twenty_characters() -> None:
    assert not rules.description_counts("x" * 19)
    assert rules.description_counts("x" * 20)
    assert not rules.description_counts("   " + "x" * 19 + "   ")
    assert not rules.description_counts(None)


def test_cap_pays_up_to_the_cap() -> None:
    # "67 of 70 used and a 7-point review: 3 are paid"
    assert rules.capped(7, 67, 70) == 3
    assert rules.capped(7, 70, 70) == 0
    assert rules.capped(7, 0, 70) == 7
    assert rules.capped(10, 295, 300) == 5


# ------------------------------------------------------------- section 4 ---
def test_bonus_is_ten_percent_with_one_decimal() -> None:
    assert rules.bonus(5) == Decimal("0.5")
    assert rules.bonus(10) == Decimal("1.0")
    assert rules.bonus(3) == Decimal("0.3")
    assert rules.bonus(Decimal("0.5")) == Decimal("0.1")  # 0.05 rounds half-up
    assert rules.bonus(Decimal("0.4")) == Decimal("0.0")


def test_half_up_rounding() -> None:
    assert rules.half_up(Decimal("0.25")) == Decimal("0.3")
    assert rules.half_up(Decimal("2.675"), "0.01") == Decimal("2.68")


def test_new_creator_conditions() -> None:
    launch = datetime(2026, 1, 1, tzinfo=UTC)
    reg = datetime(2026, 3, 1, tzinfo=UTC)
    ok = dict(registered_at=reg, launch_date=launch, approved_models=3, certified=True,
              at=reg + timedelta(days=10))
    assert rules.is_new_creator(**ok)  # type: ignore[arg-type]
    assert not rules.is_new_creator(**{**ok, "approved_models": 2})  # type: ignore[arg-type]
    assert not rules.is_new_creator(**{**ok, "certified": False})  # type: ignore[arg-type]
    assert not rules.is_new_creator(**{**ok, "registered_at": launch - timedelta(days=1),  # type: ignore[arg-type]
                                       "at": launch + timedelta(days=1)})
    assert not rules.is_new_creator(**{**ok, "at": reg + timedelta(days=90)})  # type: ignore[arg-type]
    assert rules.is_new_creator(**{**ok, "at": reg + timedelta(days=89, hours=23)})  # type: ignore[arg-type]


def test_referral_window() -> None:
    reg = datetime(2026, 3, 1, tzinfo=UTC)
    assert rules.referral_applies(invitee_registered_at=reg, at=reg + timedelta(days=89))
    assert not rules.referral_applies(invitee_registered_at=reg, at=reg + timedelta(days=90))


# ------------------------------------------------------------- section 5 ---
def test_conversion_rates() -> None:
    assert rules.conversion(100, "credits") == 100
    assert rules.conversion(100, "standard") == 110
    assert rules.conversion(300, "standard") == 330
    for bad in (0, 50, 150, -100):
        with pytest.raises(ValueError):
            rules.conversion(bad, "credits")
    with pytest.raises(ValueError):
        rules.conversion(100, "gold")


def test_spotlight_checklist() -> None:
    good = rules.SpotlightChecklist(images=3, real_photos=2, description_chars=200, tags=3,
                                    has_category=True, confirmed_prints=5, successes=4)
    assert good.passed()
    assert not rules.SpotlightChecklist(**{**good.__dict__, "successes": 3}).passed()
    assert not rules.SpotlightChecklist(**{**good.__dict__, "confirmed_prints": 4,
                                           "successes": 4}).passed()
    assert not rules.SpotlightChecklist(**{**good.__dict__, "images": 2}).passed()
    assert not rules.SpotlightChecklist(**{**good.__dict__, "real_photos": 1}).passed()
    assert not rules.SpotlightChecklist(**{**good.__dict__, "description_chars": 199}).passed()
    assert not rules.SpotlightChecklist(**{**good.__dict__, "tags": 2}).passed()
    assert not rules.SpotlightChecklist(**{**good.__dict__, "has_category": False}).passed()


# ------------------------------------------------------------- section 6 ---
def test_reputation_with_no_data_is_three() -> None:
    assert rules.reputation(ratings=[], print_attempts=0, print_successes=0, helpful=0,
                            unhelpful=0) == 3.0


def test_reputation_worked_by_hand() -> None:
    # rating: (15 + 5) / 6 = 3.3333; prints 1/1: 1 + 4*2/3 = 3.6667; feedback none: 3.0
    # 0.6*3.3333 + 0.3*3.6667 + 0.1*3 = 2.0 + 1.1 + 0.3 = 3.40
    assert rules.reputation(ratings=[5], print_attempts=1, print_successes=1, helpful=0,
                            unhelpful=0) == 3.4
    # ten 5-star ratings: (15+50)/15 = 4.3333; 9/10 prints: 1+4*10/12 = 4.3333;
    # 8 helpful 2 unhelpful: 1 + 4*9/12 = 4.0 → 2.6 + 1.3 + 0.4 = 4.30
    assert rules.reputation(ratings=[5] * 10, print_attempts=10, print_successes=9, helpful=8,
                            unhelpful=2) == 4.3
    # all bad: ratings 1,1,1: (15+3)/8 = 2.25; 0/3: 1+4/5 = 1.8; 0 h, 4 u: 1+4/6 = 1.6667
    # 1.35 + 0.54 + 0.16667 = 2.05667 → 2.06
    assert rules.reputation(ratings=[1, 1, 1], print_attempts=3, print_successes=0, helpful=0,
                            unhelpful=4) == 2.06


def test_reputation_parts_match_the_formulas() -> None:
    assert rules.rating_part([]) == 3.0
    assert rules.rating_part([5, 4]) == pytest.approx((15 + 9) / 7)
    assert rules.print_success_part(0, 0) == 3.0
    assert rules.print_success_part(5, 5) == pytest.approx(1 + 4 * 6 / 7)
    assert rules.feedback_part(0, 0) == 3.0
    assert rules.feedback_part(3, 1) == pytest.approx(1 + 4 * 4 / 6)


def test_reputation_stays_between_one_and_five() -> None:
    best = rules.reputation(ratings=[5] * 10000, print_attempts=10000, print_successes=10000,
                            helpful=10000, unhelpful=0)
    worst = rules.reputation(ratings=[1] * 10000, print_attempts=10000, print_successes=0,
                             helpful=0, unhelpful=10000)
    assert 4.99 <= best <= 5.0
    assert 1.0 <= worst <= 1.01


def test_reputation_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        rules.reputation(ratings=[6], print_attempts=0, print_successes=0, helpful=0, unhelpful=0)
    with pytest.raises(ValueError):
        rules.reputation(ratings=[], print_attempts=1, print_successes=2, helpful=0, unhelpful=0)
    with pytest.raises(ValueError):
        rules.reputation(ratings=[], print_attempts=0, print_successes=0, helpful=-1, unhelpful=0)


def test_karma_helpful_capped_per_review() -> None:
    assert rules.karma_for_helpful(1) == 5
    assert rules.karma_for_helpful(10) == 50
    assert rules.karma_for_helpful(11) == 50
    assert rules.positive_rating(4) and rules.positive_rating(5)
    assert not rules.positive_rating(3)


def test_cred_and_promotion_constants() -> None:
    assert (rules.CRED_APPROVED_MODEL, rules.CRED_CONFIRMED_REVIEW, rules.CRED_HELPFUL_REVIEW,
            rules.CRED_ACTIVE_DAY) == (5, 3, 2, 1)
    assert rules.PLACEMENTS_PER_TOKEN == 50


def test_promotion_caps_refuse_whole() -> None:
    ok = dict(spent_on_model_today=0, spent_by_creator_today=0, balance=100)
    assert rules.promotion_refusal(tokens=20, **ok) is None
    assert rules.promotion_refusal(tokens=21, **ok) is not None
    assert rules.promotion_refusal(tokens=1, spent_on_model_today=20, spent_by_creator_today=20,
                                   balance=100) is not None
    assert rules.promotion_refusal(tokens=5, spent_on_model_today=0, spent_by_creator_today=46,
                                   balance=100) is not None
    assert rules.promotion_refusal(tokens=4, spent_on_model_today=0, spent_by_creator_today=46,
                                   balance=100) is None
    assert rules.promotion_refusal(tokens=3, spent_on_model_today=0, spent_by_creator_today=0,
                                   balance=2) is not None
    assert rules.promotion_refusal(tokens=0, **ok) is not None


# ------------------------------------------------------------- section 7 ---
def test_jury_outcomes() -> None:
    assert rules.jury_outcome(6, 0) == "upheld"
    assert rules.jury_outcome(5, 3) is None
    assert rules.jury_outcome(5, 4) == "cleared"
    assert rules.jury_outcome(0, 4) == "cleared"
    assert rules.JURY_SIZE == 9 and rules.JURY_MIN_KARMA == 100


# ---------------------------------------------------------------- months ---
def test_month_and_day_keys_are_utc() -> None:
    from datetime import timezone

    t = datetime(2026, 3, 31, 23, 30, tzinfo=timezone(timedelta(hours=-2)))
    assert rules.month_key(t) == "2026-04"
    assert rules.day_key(t) == "2026-04-01"
    assert rules.end_of_utc_day(t) == datetime(2026, 4, 2, tzinfo=UTC)


def test_rules_import_without_the_web_stack() -> None:
    code = (
        "import sys\n"
        "import marketplace.rules\n"
        "bad = [m for m in ('fastapi', 'sqlalchemy', 'starlette', 'uvicorn') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_reputation_from_totals_agrees_with_the_list_form() -> None:
    import random

    rnd = random.Random(5)
    for _ in range(500):
        ratings = [rnd.randint(1, 5) for _ in range(rnd.randint(0, 40))]
        a = rnd.randint(0, 30)
        s = rnd.randint(0, a)
        h, u = rnd.randint(0, 20), rnd.randint(0, 20)
        assert rules.reputation(ratings=ratings, print_attempts=a, print_successes=s,
                                helpful=h, unhelpful=u) == rules.reputation_from_totals(
            rating_count=len(ratings), rating_sum=sum(ratings), print_attempts=a,
            print_successes=s, helpful=h, unhelpful=u)
    with pytest.raises(ValueError):
        rules.reputation_from_totals(rating_count=2, rating_sum=11, print_attempts=0,
                                     print_successes=0, helpful=0, unhelpful=0)
