"""Demo content for the desktop app's demo: an account, a few models and profiles.

``seed_demo(base_url)`` talks to a running service over HTTP, like any client,
and is idempotent: a second call signs in and returns what exists.
"""

from __future__ import annotations

import io
import random
import struct
from dataclasses import dataclass
from typing import Any

import httpx
from PIL import Image, ImageDraw

DEMO_USER = "demo"
DEMO_PASSWORD = "demo-password"  # demo only: the demo service listens on loopback
DEMO_MODELS = (
    ("Calibration cube", "A 20 mm cube for checking dimensions and extrusion.", "calibration",
     ["calibration", "cube", "beginner"]),
    ("Cable clip", "A snap-on clip for 5 mm cables along a desk edge.", "household",
     ["clip", "cable", "desk"]),
    ("Benchy-style boat", "A small boat to test overhangs, bridges and fine detail.",
     "calibration", ["boat", "overhang", "benchmark"]),
)


@dataclass(frozen=True)
class DemoInfo:
    account_id: int
    token: str
    model_ids: tuple[int, ...]


def cube_stl(size: float = 20.0) -> bytes:
    """A binary STL of a cube (12 triangles)."""
    s = size
    v = [(0, 0, 0), (s, 0, 0), (s, s, 0), (0, s, 0), (0, 0, s), (s, 0, s), (s, s, s), (0, s, s)]
    faces = [(0, 2, 1), (0, 3, 2), (4, 5, 6), (4, 6, 7), (0, 1, 5), (0, 5, 4),
             (1, 2, 6), (1, 6, 5), (2, 3, 7), (2, 7, 6), (3, 0, 4), (3, 4, 7)]
    out = bytearray(b"layerline demo cube".ljust(80, b" "))
    out += struct.pack("<I", len(faces))
    for a, b, c in faces:
        out += struct.pack("<3f", 0.0, 0.0, 0.0)
        for idx in (a, b, c):
            out += struct.pack("<3f", *v[idx])
        out += b"\0\0"
    return bytes(out)


def demo_photo(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A distinct JPEG per seed: random shapes, so perceptual hashes differ widely."""
    rnd = random.Random(seed)
    w, h = size
    img = Image.new("RGB", size, tuple(rnd.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(14):
        x0, y0 = rnd.randrange(w), rnd.randrange(h)
        x1, y1 = x0 + rnd.randrange(40, w // 2), y0 + rnd.randrange(40, h // 2)
        colour = tuple(rnd.randrange(256) for _ in range(3))
        if rnd.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def _ok(resp: httpx.Response) -> Any:
    if resp.status_code >= 400:
        raise RuntimeError(f"{resp.request.method} {resp.request.url}: {resp.status_code} "
                           f"{resp.text[:300]}")
    return resp.json()


def seed_demo(base_url: str) -> DemoInfo:
    with httpx.Client(base_url=base_url.rstrip("/") + "/api/v1", timeout=30) as http:
        r = http.post("/accounts", json={"username": DEMO_USER, "email": "demo@layerline.invalid",
                                         "password": DEMO_PASSWORD})
        if r.status_code == 409:
            token = _ok(http.post("/auth/token", json={"username": DEMO_USER,
                                                      "password": DEMO_PASSWORD}))["token"]
        else:
            token = _ok(r)["token"]
        http.headers["Authorization"] = f"Bearer {token}"
        me = _ok(http.get("/me"))
        existing = _ok(http.get("/me/models"))
        if existing:
            return DemoInfo(me["id"], token, tuple(sorted(m["id"] for m in existing)))
        _ok(http.patch("/me", json={"nickname": "Demo Maker",
                                    "bio": "I print things and review them."}))
        _ok(http.put("/me/preferences", json={"tags": ["calibration", "household"]}))
        ids = []
        for n, (title, desc, category, tags) in enumerate(DEMO_MODELS):
            model = _ok(http.post("/models", json={
                "title": title, "description": desc, "category": category, "tags": tags,
                "license": "CC-BY-4.0", "origin": "original"}))
            mid = model["id"]
            _ok(http.post(f"/models/{mid}/files",
                          files={"file": (f"model{n}.stl", cube_stl(20 + n), "model/stl")}))
            photo = _ok(http.post("/photos", files={
                "file": (f"p{n}.jpg", demo_photo(n + 1), "image/jpeg")}))
            _ok(http.put(f"/models/{mid}/photos", json={"photos": [
                {"id": photo["id"], "cover": True, "real_print": True}]}))
            _ok(http.post(f"/models/{mid}/publish"))
            _ok(http.post(f"/models/{mid}/profiles", json={
                "title": "PLA 0.2 mm standard", "material": "PLA", "nozzle_diameter": 0.4,
                "layer_height": 0.2, "infill_density": 15, "supports": False,
                "slicer": "PrusaSlicer 2.8", "raw_settings": {"layer_height": "0.2"}}))
            ids.append(mid)
        return DemoInfo(me["id"], token, tuple(ids))
