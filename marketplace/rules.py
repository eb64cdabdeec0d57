"""The arithmetic of REWARDS.md, pure and importable without the web stack.

The desktop app imports this module to preview rewards ("this review will earn
up to 10 points"); the service uses the very same functions to pay them, so
the two can never disagree.  Nothing here touches a database, a clock or the
network.  Amounts that can carry a tenth (bonuses) are ``decimal.Decimal``
with one decimal place; everything whole is an ``int``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

TENTH = Decimal("0.1")

# ---------------------------------------------------------------- section 1 --
BEGINNER_TASKS: dict[str, int] = {
    "set_preference": 10,
    "nickname_avatar": 5,
    "profile": 5,
    "printer_setup": 5,
    "first_model_upload": 30,
    "first_profile_upload": 20,
}

# ---------------------------------------------------------------- section 2 --
MODEL_UPLOAD_POINTS = 10
MODEL_UPLOAD_MONTHLY_CAP = 300
PAYING_ORIGINS = frozenset({"original", "remix", "imported"})
ORIGINS = frozenset({"original", "remix", "repost", "imported"})
FIRST_PROFILE_POINTS = 5
FIRST_PROFILE_MONTHLY_CAP = 150
MODEL_MILESTONE_CAP = 3000
PROFILE_MILESTONE_CAP = 800
CONFIRMED_PRINT_WEIGHT = 2  # a confirmed print counts as 2 genuine downloads

# ---------------------------------------------------------------- section 3 --
REVIEW_MONTHLY_CAP = 70
REVIEW_DESCRIPTION_MIN_CHARS = 20
FEEDBACK_IMPLEMENTED_POINTS = 2
PHASH_MAX_DISTANCE = 8

# ---------------------------------------------------------------- section 4 --
BONUS_RATE = Decimal("0.10")
NEW_CREATOR_MIN_APPROVED_MODELS = 3
NEW_CREATOR_WINDOW = timedelta(days=90)
REFERRAL_WINDOW = timedelta(days=90)

# ---------------------------------------------------------------- section 5 --
CONVERSION_UNIT = 100
CONVERSION_TO_CREDITS = 100  # per 100 spotlight points
CONVERSION_TO_STANDARD = 110  # per 100 spotlight points
SPOTLIGHT_MIN_IMAGES = 3
SPOTLIGHT_MIN_REAL_PHOTOS = 2
SPOTLIGHT_MIN_DESCRIPTION = 200
SPOTLIGHT_MIN_TAGS = 3
SPOTLIGHT_MIN_SUCCESS_RATE = Decimal("0.8")
SPOTLIGHT_MIN_CONFIRMED_PRINTS = 5

# ---------------------------------------------------------------- section 6 --
REPUTATION_PRIOR_MEAN = 3.0
REPUTATION_PRIOR_WEIGHT = 5
KARMA_PUBLISH = 10
KARMA_DOWNLOAD = 1
KARMA_HELPFUL = 5
KARMA_HELPFUL_MAX_PER_REVIEW = 50
KARMA_POSITIVE_RATING = 2
CRED_APPROVED_MODEL = 5
CRED_CONFIRMED_REVIEW = 3
CRED_HELPFUL_REVIEW = 2
CRED_ACTIVE_DAY = 1
PLACEMENTS_PER_TOKEN = 50
PROMOTION_TOKENS_PER_MODEL_PER_DAY = 20
PROMOTION_TOKENS_PER_CREATOR_PER_DAY = 50
PROMOTION_MIN_REPUTATION = 3.5
PROMOTED_SHARE = 5  # at most 1 in 5 listed items is promoted

# ---------------------------------------------------------------- section 7 --
JURY_SIZE = 9
JURY_UPHOLD = 6
JURY_KEEP = 4
JURY_MIN_KARMA = 100
JURY_DISTINCT_REPORTERS = 3
JURY_DEADLINE = timedelta(days=7)
REPORT_REASONS = frozenset({"ai_generated", "stolen", "unrelated_photo", "spam"})
CLEARED_REPORTS_LIMIT = 3
REPORTER_WINDOW = timedelta(days=30)

# ---------------------------------------------------------------- section 9 --
RECEIPT_FUTURE_TOLERANCE = timedelta(minutes=5)
JOB_STATES = frozenset({"completed", "failed", "cancelled", "interrupted"})
ATTEMPT_STATES = frozenset({"completed", "failed", "interrupted"})


def half_up(value: Decimal, places: str = "0.1") -> Decimal:
    """Round half-up (REWARDS.md: "Rounding, wherever a figure is rounded, is half-up")."""
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def month_key(moment: datetime) -> str:
    """The calendar month (UTC) a moment falls in, as ``YYYY-MM``."""
    return moment.astimezone(UTC).strftime("%Y-%m")


def day_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def end_of_utc_day(moment: datetime) -> datetime:
    d: date = moment.astimezone(UTC).date()
    return datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(days=1)


# ------------------------------------------------------------- milestones ---
def model_milestone_points(genuine_downloads: int) -> int:
    """Section 2: 20 per 50 from 50 to 1000, then 30 per further 100, at most 3000."""
    n = max(0, genuine_downloads)
    if n <= 1000:
        return (n // 50) * 20
    return min(MODEL_MILESTONE_CAP, 400 + ((n - 1000) // 100) * 30)


def profile_milestone_points(downloads: int) -> int:
    """Section 2: 5 per 50 from 50 to 1000, then 8 per further 100, at most 800."""
    n = max(0, downloads)
    if n <= 1000:
        return (n // 50) * 5
    return min(PROFILE_MILESTONE_CAP, 100 + ((n - 1000) // 100) * 8)


def next_model_milestone(genuine_downloads: int) -> int | None:
    """The download count at which the next model milestone pays, or None when capped."""
    return _next_step(genuine_downloads, model_milestone_points, MODEL_MILESTONE_CAP)


def next_profile_milestone(downloads: int) -> int | None:
    return _next_step(downloads, profile_milestone_points, PROFILE_MILESTONE_CAP)


def _next_step(n: int, points: Callable[[int], int], cap: int) -> int | None:
    if points(n) >= cap:
        return None
    n = max(n, 0)
    step = 50 if n < 1000 else 100
    return (n // step + 1) * step


def genuine_downloads(*, downloaders: int, confirmed_printers: int) -> int:
    """Distinct downloading accounts plus 2 per account with a confirmed print."""
    return downloaders + CONFIRMED_PRINT_WEIGHT * confirmed_printers


# ---------------------------------------------------------------- reviews ---
def review_points(*, first_on_model: bool, rating: bool, photo: bool, description: bool) -> int:
    """Section 3: first review on a model up to 10 (2+4+4); a later one up to 7 (2+3+2)."""
    parts = (2, 4, 4) if first_on_model else (2, 3, 2)
    return parts[0] * rating + parts[1] * photo + parts[2] * description


def description_counts(text: str | None) -> bool:
    """A description earns points with at least 20 characters of text."""
    return text is not None and len(text.strip()) >= REVIEW_DESCRIPTION_MIN_CHARS


def capped(amount: Decimal | int, used: Decimal | int, cap: Decimal | int) -> Decimal:
    """What is paid of ``amount`` when ``used`` of ``cap`` is already taken (never negative)."""
    room = Decimal(cap) - Decimal(used)
    return max(Decimal(0), min(Decimal(amount), room))


# ---------------------------------------------------------------- bonuses ---
def bonus(amount: Decimal | int) -> Decimal:
    """10 % of what was actually awarded, one decimal, half-up (10 % of 5 is 0.5)."""
    return half_up(Decimal(amount) * BONUS_RATE)


def is_new_creator(
    *,
    registered_at: datetime,
    launch_date: datetime,
    approved_models: int,
    certified: bool,
    at: datetime,
) -> bool:
    """Section 4: registered after launch, 3+ approved models, certified, younger than 90 days."""
    return (
        registered_at > launch_date
        and approved_models >= NEW_CREATOR_MIN_APPROVED_MODELS
        and certified
        and at - registered_at < NEW_CREATOR_WINDOW
    )


def referral_applies(*, invitee_registered_at: datetime, at: datetime) -> bool:
    return at - invitee_registered_at < REFERRAL_WINDOW


# ------------------------------------------------------------- conversion ---
def conversion(spotlight_points: int, target: str) -> int:
    """Section 5: a multiple of 100 spotlight points into credits (1:1) or standard (1:1.1)."""
    if spotlight_points <= 0 or spotlight_points % CONVERSION_UNIT:
        raise ValueError("a conversion names a positive multiple of 100 spotlight points")
    units = spotlight_points // CONVERSION_UNIT
    if target == "credits":
        return units * CONVERSION_TO_CREDITS
    if target == "standard":
        return units * CONVERSION_TO_STANDARD
    raise ValueError(f"unknown conversion target {target!r}")


@dataclass(frozen=True)
class SpotlightChecklist:
    images: int
    real_photos: int
    description_chars: int
    tags: int
    has_category: bool
    confirmed_prints: int
    successes: int

    def items(self) -> dict[str, bool]:
        rate_ok = (
            self.confirmed_prints >= SPOTLIGHT_MIN_CONFIRMED_PRINTS
            and Decimal(self.successes) >= SPOTLIGHT_MIN_SUCCESS_RATE * self.confirmed_prints
        )
        return {
            "images": self.images >= SPOTLIGHT_MIN_IMAGES,
            "real_photos": self.real_photos >= SPOTLIGHT_MIN_REAL_PHOTOS,
            "description": self.description_chars >= SPOTLIGHT_MIN_DESCRIPTION,
            "tags": self.tags >= SPOTLIGHT_MIN_TAGS,
            "category": self.has_category,
            "print_success": rate_ok,
        }

    def passed(self) -> bool:
        return all(self.items().values())


# ------------------------------------------------------------- reputation ---
def rating_part(ratings: Sequence[int]) -> float:
    return (REPUTATION_PRIOR_WEIGHT * REPUTATION_PRIOR_MEAN + sum(ratings)) / (
        REPUTATION_PRIOR_WEIGHT + len(ratings)
    )


def print_success_part(attempts: int, successes: int) -> float:
    return 1 + 4 * (successes + 1) / (attempts + 2)


def feedback_part(helpful: int, unhelpful: int) -> float:
    return 1 + 4 * (helpful + 1) / (helpful + unhelpful + 2)


def reputation(
    *,
    ratings: Sequence[int],
    print_attempts: int,
    print_successes: int,
    helpful: int,
    unhelpful: int,
) -> float:
    """Section 6: 0.6 rating + 0.3 print-success + 0.1 feedback, half-up to 2 decimals."""
    if any(r < 1 or r > 5 for r in ratings):
        raise ValueError("ratings are 1 to 5 stars")
    return reputation_from_totals(rating_count=len(ratings), rating_sum=sum(ratings),
                                  print_attempts=print_attempts,
                                  print_successes=print_successes, helpful=helpful,
                                  unhelpful=unhelpful)


def reputation_from_totals(
    *,
    rating_count: int,
    rating_sum: int,
    print_attempts: int,
    print_successes: int,
    helpful: int,
    unhelpful: int,
) -> float:
    """The same, from the count and sum of the ratings (what a database adds up)."""
    if not rating_count <= rating_sum <= 5 * rating_count:
        raise ValueError("ratings are 1 to 5 stars")
    if print_successes > print_attempts or min(print_attempts, print_successes) < 0:
        raise ValueError("successes must be between 0 and the number of attempts")
    if helpful < 0 or unhelpful < 0:
        raise ValueError("vote counts cannot be negative")
    # Exact arithmetic before the one rounding, so that 3.005 is never 3.00.
    r = (Decimal(REPUTATION_PRIOR_WEIGHT) * Decimal("3.0") + rating_sum) / (
        REPUTATION_PRIOR_WEIGHT + rating_count
    )
    p = 1 + Decimal(4) * (print_successes + 1) / (print_attempts + 2)
    f = 1 + Decimal(4) * (helpful + 1) / (helpful + unhelpful + 2)
    value = Decimal("0.6") * r + Decimal("0.3") * p + Decimal("0.1") * f
    return float(half_up(value, "0.01"))


# ---------------------------------------------------------------- karma -----
def karma_for_helpful(distinct_helpful_accounts: int) -> int:
    """+5 per distinct account marking a review helpful, at most +50 per review."""
    return min(KARMA_HELPFUL_MAX_PER_REVIEW, KARMA_HELPFUL * max(0, distinct_helpful_accounts))


def positive_rating(stars: int) -> bool:
    return stars >= 4


# ------------------------------------------------------------- promotion ----
def promotion_refusal(
    *, tokens: int, spent_on_model_today: int, spent_by_creator_today: int, balance: int
) -> str | None:
    """Why a promotion spend is refused whole, or None when it may go ahead."""
    if tokens <= 0:
        return "spend at least one token"
    if spent_on_model_today + tokens > PROMOTION_TOKENS_PER_MODEL_PER_DAY:
        return "the daily cap of 20 tokens per model would be passed"
    if spent_by_creator_today + tokens > PROMOTION_TOKENS_PER_CREATOR_PER_DAY:
        return "the daily cap of 50 tokens per creator would be passed"
    if tokens > balance:
        return "not enough cred tokens"
    return None


# ------------------------------------------------------------------ jury ----
def jury_outcome(uphold: int, keep: int) -> str | None:
    """"upheld" at 6 of 9, "cleared" at 4 keeps, otherwise None (still open)."""
    if uphold >= JURY_UPHOLD:
        return "upheld"
    if keep >= JURY_KEEP:
        return "cleared"
    return None
