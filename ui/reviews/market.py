"""What the Marketplace screens ask, in one small adapter over the reviews
service (``reviews.service.ReviewsService``) and its marketplace client.

Qt-free and blocking: every method is called on the reviews bridge's worker
thread (:class:`ui.reviews.bridge.ReviewsBridge`), never the GUI thread.
Signing up or in goes through the service (it keeps the session and registers
the installation's receipt key); questions go to ``service.client()`` (the
configured marketplace, read on every call: the settings may change it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: The most history entries the service gives in one page.
LEDGER_PAGE = 100


@dataclass(frozen=True, slots=True)
class ReviewContext:
    """What the composer needs from the service to preview a review's points."""

    kind: str | None  # "first_on_model", "new_profile" or None (pays nothing)
    month_to_date: int  # review points already paid this month
    cap: int
    new_creator: bool = False


class MarketApi:
    """The signed-in account's view of the marketplace (blocking)."""

    def __init__(self, service: Any) -> None:
        self.service = service

    @property
    def client(self) -> Any:
        return self.service.client()

    @property
    def base_url(self) -> str:
        return str(self.service.base_url)

    @property
    def signed_in(self) -> bool:
        """Reads the secret store: call it off the GUI thread."""
        return self.service.account.session() is not None

    # ------------------------------------------------------------ the account
    def sign_up(self, username: str, email: str, password: str,
                referral: str | None = None) -> dict[str, Any]:
        self.service.register(username, password, email=email or None,
                              referral=(referral or "").strip() or None)
        return self.me()

    def sign_in(self, username: str, password: str) -> dict[str, Any]:
        self.service.login(username, password)
        return self.me()

    def sign_out(self) -> None:
        self.service.sign_out()

    def me(self) -> dict[str, Any]:
        return dict(self.client.me())

    def edit_profile(self, *, nickname: str | None = None, bio: str | None = None,
                     avatar: Path | None = None) -> dict[str, Any]:
        avatar_id = None
        if avatar is not None:
            from reviews import photos  # made safe (no metadata) before it leaves

            prepared = photos.prepare_photo_file(avatar)
            avatar_id = int(self.client.upload_photo(prepared.data, filename="avatar.jpg")["id"])
        self.client.edit_profile(nickname=nickname, bio=bio, avatar_photo_id=avatar_id)
        return self.me()

    def set_preferences(self, tags: list[str]) -> dict[str, Any]:
        self.client.set_preferences(tags)
        return self.me()

    def printers(self) -> list[dict[str, Any]]:
        return list(self.client.printers())

    def report_printer(self, kind: str, model: str, firmware: str | None) -> dict[str, Any]:
        return dict(self.client.report_printer(kind, model, firmware))

    # ------------------------------------------------------------ rewards
    def rewards(self) -> dict[str, Any]:
        """REWARDS.md section 11: balances, caps, tasks, milestones, reputation."""
        return dict(self.client.rewards())

    def ledger(self) -> list[dict[str, Any]]:
        return list(self.client.ledger(limit=LEDGER_PAGE))

    def review_context(self, model_id: int, profile_id: int | None) -> ReviewContext:
        """Whether a review of this model (and profile) pays, and the review
        points already paid this month (the service's own figures)."""
        client = self.client
        preview = client.review_preview(model_id, profile_id)
        review_cap = client.rewards().get("caps", {}).get("review", {})
        cap = int(review_cap.get("cap", 70))
        used = review_cap.get("used")
        if used is None:
            used = cap - float(preview["cap_left_this_month"])
        return ReviewContext(kind=preview.get("kind"), month_to_date=round(float(used)),
                             cap=cap)

    def balances(self) -> dict[str, Any]:
        return dict(self.client.balances())

    def my_models(self) -> list[dict[str, Any]]:
        return list(self.client.my_models())

    def promote(self, model_id: int, tokens: int) -> dict[str, Any]:
        """Spend cred tokens on promoting one's own model (REWARDS.md section 6)."""
        return dict(self.client.promote(model_id, tokens))

    def convert_spotlight(self, points: int, target: str) -> dict[str, Any]:
        """Spotlight points (a multiple of 100) to credits or standard points."""
        return dict(self.client.convert_spotlight(points, target))

    def store_items(self) -> list[dict[str, Any]]:
        return list(self.client.store_items())

    def orders(self) -> list[dict[str, Any]]:
        return list(self.client.orders())

    def redeem(self, item_id: int) -> dict[str, Any]:
        return dict(self.client.redeem(item_id))

    # ------------------------------------------------------------ models, profiles
    def models(self, query: str = "") -> list[dict[str, Any]]:
        answer = self.client.models(q=query) if query else self.client.models()
        if isinstance(answer, dict):  # a page object
            answer = answer.get("items", [])
        return list(answer)

    def model_profiles(self, model_id: int) -> list[dict[str, Any]]:
        return list(self.service.browse_profiles(model_id))

    def download_profile(self, profile_id: int, directory: Path) -> Path:
        """Counts the download on the service; the profile as an ``.ini``."""
        return Path(self.service.download_profile(profile_id, directory))

    # ------------------------------------------------------------ community
    def jury_duties(self) -> list[dict[str, Any]]:
        return list(self.service.jury_duties())
