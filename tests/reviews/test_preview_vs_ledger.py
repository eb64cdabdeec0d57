"""The composer's points preview agrees with the marketplace's ledger on every
REWARDS.md §3 example: each review is previewed (with the service's own
figures, as the composer does), sent through the outbox to the real service,
and the points it paid are compared with the preview."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

from PIL import Image

from reviews.outbox import State
from reviews.service import ReviewsService
from tests.helpers.marketplace_server import PASSWORD, MarketplaceProcess

LONG = "Printed it twice, both came out clean."  # at least 20 characters
SHORT = "ok print"  # under 20: the description earns nothing
COMBOS = [c for c in itertools.product([False, True], repeat=3) if any(c)]  # 7 non-empty


def profile(market: MarketplaceProcess, token: str, model: int, title: str) -> int:
    with market.api(token) as http:
        r = http.post(f"/models/{model}/profiles", json={
            "title": title, "material": "PLA", "nozzle_diameter": 0.4, "layer_height": 0.2,
            "infill_density": 20, "supports": False})
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


def test_the_preview_agrees_with_the_ledger_on_every_example(
        service: ReviewsService, marketplace: MarketplaceProcess,
        creator: tuple[str, int, str], tmp_path: Path) -> None:
    name, me, _token = marketplace.user("previewer")
    service.login(name, PASSWORD)
    token = creator[2]
    models = [marketplace.published_model(token, f"M{n}") for n in range(9)]
    photos_made = [0]

    def photo() -> list[object]:
        photos_made[0] += 1
        rnd = random.Random(photos_made[0])
        img = Image.new("RGB", (48, 36), (rnd.randrange(256), 80, rnd.randrange(256)))
        img.paste((rnd.randrange(256), 0, 0), (rnd.randrange(30), 4, 40, 20))
        path = tmp_path / f"p{photos_made[0]}.jpg"
        img.save(path, "JPEG")
        return list(service.prepare_photos([path]))

    log: list[tuple[str, int, float]] = []

    def review(label: str, model: int, profile_id: int | None, *, parts: tuple[bool, bool],
               text: str) -> tuple[int, int, float]:
        rating, has_photo = parts
        p = service.review_preview(model, profile_id, rating=rating, photo=has_photo,
                                   description=text)
        item = service.submit_review(model_id=model, profile_id=profile_id,
                                     rating=4 if rating else None, description=text,
                                     photos=photo() if has_photo else [])  # type: ignore[arg-type]
        service.sync()
        done = service.outbox.get(item.id)
        assert done.state is State.DELIVERED, (label, done.last_error)
        paid = float(done.answer["points"]["paid"])
        offered = done.answer["points"]["offered"]
        assert (p.points, p.uncapped) == (paid, offered), (label, p, done.answer["points"])
        log.append((label, p.points, paid))
        return p.points, p.uncapped, paid

    # §3: a user's first review on a model: +2 rating, +4 photo, +4 description.
    for n, (rating, has_photo, desc) in enumerate(COMBOS):
        pts, _, _ = review(f"first {rating, has_photo, desc}", models[n], None,
                           parts=(rating, has_photo), text=LONG if desc else "")
        assert pts == 2 * rating + 4 * has_photo + 4 * desc
    assert sum(p for _, p, _ in log) == 40
    # A later review on the same model, on a print profile not reviewed before:
    # +2 rating, +3 photo, +2 description (the full one comes later, at the cap).
    later = [c for c in COMBOS if not all(c)]
    for n, (rating, has_photo, desc) in enumerate(later):
        pid = profile(marketplace, token, models[0], f"P{n}")
        pts, _, _ = review(f"later {rating, has_photo, desc}", models[0], pid,
                           parts=(rating, has_photo), text=LONG if desc else "")
        assert pts == 2 * rating + 3 * has_photo + 2 * desc
    # Each (user, profile) pair pays once: the same profile again pays nothing.
    assert review("same profile again", models[0], pid, parts=(True, True), text=LONG)[0] == 0
    # A description under 20 characters earns nothing: rating + photo = 6.
    assert review("short description", models[7], None, parts=(True, True), text=SHORT)[0] == 6
    assert sum(p for _, p, _ in log) == 67
    # "67 of 70 used and a 7-point review: 3 are paid."
    full = profile(marketplace, token, models[0], "P-last")
    assert review("capped", models[0], full, parts=(True, True), text=LONG)[:2] == (3, 7)
    # The month's cap is reached: a first review (10 offered) pays nothing.
    assert review("over the cap", models[8], None, parts=(True, True), text=LONG)[:2] == (0, 10)
    # The service's month-to-date figure agrees with everything previewed.
    rewards = service.client().rewards()
    assert rewards["caps"]["review"]["used"] == 70 == sum(p for _, p, _ in log)
    ledger_total = marketplace.query(
        "SELECT sum(amount) FROM ledger WHERE account_id = ? AND cap_group = 'review'", me)
    assert ledger_total == [(700,)]  # tenths of a point
    assert service.review_preview(models[8], None, rating=True, photo=True,
                                  description=LONG).cap_left == 0
