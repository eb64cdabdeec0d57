"""The demo's marketplace: the real service as a child process on loopback,
seeded with the demo account and models, stopped cleanly."""

from __future__ import annotations

from pathlib import Path

import httpx

from app.demo_marketplace import DemoMarketplace


def test_demo_marketplace_starts_seeded_and_stops(tmp_path: Path) -> None:
    market = DemoMarketplace(tmp_path / "market", tmp_path / "logs", port=0)
    seen: list[tuple[str | None, str | None]] = []
    market.start(lambda url, err: seen.append((url, err)))
    try:
        assert market.ready.wait(90)
        assert market.error is None, market.error
        url = market.url
        assert url is not None and url.startswith("http://127.0.0.1:")
        assert seen == [(url, None)]
        with httpx.Client(base_url=url + "/api/v1", timeout=10, trust_env=False) as http:
            # The seed runs right after start-up: wait (bounded) for its models.
            titles: set[str] = set()
            for _ in range(150):
                body = http.get("/models").json()
                items = body["items"] if isinstance(body, dict) else body
                titles = {m["title"] for m in items}
                if "Calibration cube" in titles:
                    break
                market._stopping.wait(0.2)
            assert "Calibration cube" in titles
            r = http.post("/auth/token", json={"username": "demo", "password": "demo-password"})
            assert r.status_code == 200
    finally:
        market.stop()
    assert market._proc is not None and market._proc.poll() is not None
