"""What the Marketplace screens ask the service, in one small adapter.

Qt-free and blocking: every method is called on the reviews bridge's worker
thread (:class:`ui.reviews.bridge.ReviewsBridge`), never the GUI thread.

It wraps ``reviews.client.MarketplaceClient`` and uses its generic
``request``/``get``/``post`` for the questions the client has no named method
for yet (the paths are the marketplace service's, ``marketplace/api/``).
Changes that must be answered at once (signing up or in, the profile, the
store) are direct calls; everything else the user sends (reviews, reports,
jury votes, feedback) goes through the outbox (:mod:`ui.reviews.bridge`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

API = "/api/v1"
TOKEN_SECRET = "marketplace.token"  # reviews.client.TOKEN_SECRET


class ClientLike(Protocol):
    base_url: str

    def request(self, method: str, path: str, *, json: Any = None,
                params: dict[str, Any] | None = None, idempotency_key: str | None = None,
                auth: bool = True) -> Any: ...

    def token(self) -> str | None: ...

    def sign_out(self) -> None: ...


class SecretsLike(Protocol):
    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...


@dataclass(frozen=True, slots=True)
class ReviewContext:
    """What the composer needs from the service to preview a review's points."""

    kind: str | None  # "first_on_model", "new_profile" or None (pays nothing)
    month_to_date: int  # review points already paid this month
    cap: int
    new_creator: bool = False


class MarketApi:
    """The signed-in account's view of the marketplace (blocking)."""

    def __init__(self, client: ClientLike, secrets: SecretsLike) -> None:
        self.client = client
        self._secrets = secrets

    @property
    def base_url(self) -> str:
        return self.client.base_url

    @property
    def signed_in(self) -> bool:
        return self.client.token() is not None

    def _get(self, path: str, **params: Any) -> Any:
        return self.client.request("GET", API + path, params=params or None)

    def _send(self, method: str, path: str, body: Any = None) -> Any:
        return self.client.request(method, API + path, json=body)

    # ------------------------------------------------------------ the account
    def sign_up(self, username: str, email: str, password: str,
                referral: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"username": username, "email": email, "password": password}
        if referral:
            body["referral_code"] = referral.strip()
        answer = self.client.request("POST", API + "/accounts", json=body, auth=False)
        self._keep_token(answer)
        return self.me()

    def sign_in(self, username: str, password: str) -> dict[str, Any]:
        answer = self.client.request("POST", API + "/auth/token", auth=False,
                                     json={"username": username, "password": password})
        self._keep_token(answer)
        log.info("signed in to %s as %s", self.base_url, username)
        return self.me()

    def _keep_token(self, answer: Any) -> None:
        token = answer.get("token") or answer.get("access_token") \
            if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            from reviews.client import MalformedAnswerError

            raise MalformedAnswerError("the marketplace did not give a token")
        self._secrets.set(TOKEN_SECRET, token)

    def sign_out(self) -> None:
        self.client.sign_out()

    def me(self) -> dict[str, Any]:
        return dict(self._get("/me"))

    def edit_profile(self, *, nickname: str | None = None, bio: str | None = None,
                     avatar: Path | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if nickname is not None:
            body["nickname"] = nickname
        if bio is not None:
            body["bio"] = bio
        if avatar is not None:
            body["avatar_photo_id"] = self.upload_photo(avatar)
        self._send("PATCH", "/me", body)
        return self.me()

    def upload_photo(self, path: Path) -> int:
        """A photo made safe (reviews.photos) and uploaded; its id."""
        import httpx

        from reviews import photos

        prepared = photos.prepare_photo_file(path)
        token = self.client.token()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        import uuid

        headers["Idempotency-Key"] = str(uuid.uuid4())
        with httpx.Client(base_url=self.base_url, timeout=30, trust_env=False) as http:
            r = http.post(API + "/photos", headers=headers,
                          files={"file": ("avatar.jpg", prepared.data, prepared.media_type)})
        if r.status_code >= 400:
            from reviews.client import ProblemError

            raise ProblemError(r.status_code, r.reason_phrase, r.text[:300])
        return int(r.json()["id"])

    def set_preferences(self, tags: list[str]) -> dict[str, Any]:
        self._send("PUT", "/me/preferences", {"tags": tags})
        return self.me()

    def printers(self) -> list[dict[str, Any]]:
        return list(self._get("/me/printers"))

    def report_printer(self, kind: str, model: str, firmware: str | None) -> dict[str, Any]:
        return dict(self._send("POST", "/me/printers",
                               {"kind": kind, "model": model, "firmware": firmware}))

    # ------------------------------------------------------------ rewards
    def rewards(self) -> dict[str, Any]:
        """REWARDS.md section 11: balances, caps, tasks, milestones, reputation."""
        return dict(self._get("/me/rewards"))

    def ledger(self, limit: int = 200) -> list[dict[str, Any]]:
        return list(self._get("/me/ledger", limit=limit))

    def review_context(self, model_id: int, profile_id: int | None) -> ReviewContext:
        params: dict[str, Any] = {"model_id": model_id}
        if profile_id is not None:
            params["profile_id"] = profile_id
        preview = self._get("/me/review-preview", **params)
        rewards = self.rewards()
        review_cap = rewards.get("caps", {}).get("review", {})
        cap = int(review_cap.get("cap", 70))
        used = int(float(review_cap.get("used", cap - float(preview["cap_left_this_month"]))))
        return ReviewContext(kind=preview.get("kind"), month_to_date=used, cap=cap)

    def store_items(self) -> list[dict[str, Any]]:
        return list(self._get("/store/items"))

    def orders(self) -> list[dict[str, Any]]:
        return list(self._get("/me/orders"))

    def redeem(self, item_id: int) -> dict[str, Any]:
        return dict(self._send("POST", "/store/orders", {"item_id": item_id}))

    # ------------------------------------------------------------ models, profiles
    def models(self, query: str = "") -> list[dict[str, Any]]:
        answer = self._get("/models", q=query) if query else self._get("/models")
        if isinstance(answer, dict):  # a page object
            answer = answer.get("items", [])
        return list(answer)

    def model_profiles(self, model_id: int) -> list[dict[str, Any]]:
        return list(self._get(f"/models/{model_id}/profiles"))

    def download_profile(self, profile_id: int) -> dict[str, Any]:
        """Counts the download on the service and returns the profile."""
        return dict(self._send("POST", f"/profiles/{profile_id}/downloads"))

    # ------------------------------------------------------------ community
    def jury_duties(self) -> list[dict[str, Any]]:
        return list(self._get("/me/jury-duties"))


def profile_as_ini(profile: dict[str, Any]) -> str:
    """A downloaded print profile as a PrusaSlicer-style ``.ini`` bundle, so
    that the library reads it as print settings."""
    lines = [f"# {profile.get('title', 'print profile')} "
             f"(marketplace profile {profile.get('id')}, model {profile.get('model_id')})"]
    raw = profile.get("raw_settings") or {}
    known = {"layer_height": profile.get("layer_height"),
             "nozzle_diameter": profile.get("nozzle_diameter"),
             "fill_density": f"{profile.get('infill_density')}%",
             "filament_type": profile.get("material"),
             "support_material": 1 if profile.get("supports") else 0}
    for key, value in {**known, **raw}.items():
        if value is not None:
            lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"
