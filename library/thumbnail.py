"""A numpy z-buffer renderer for model thumbnails: no GPU, no Qt.

The mesh is seen from the front-right-above (an isometric-like view),
projected orthographically to fit the image, flat-shaded by its face
normals.  Triangles are rasterised in groups of similar pixel size: each
group tests a grid of candidate pixels per triangle with barycentric
coordinates at once, and the nearest fragment per pixel wins (one sort).
"""

from __future__ import annotations

import io
import math

import numpy as np
import numpy.typing as npt
from PIL import Image

from library.mesh import Mesh

SIZE = 256
_BASE = np.array([0.35, 0.62, 0.95])  # the model's colour (a Layerline blue)
_MAX_FRAGMENTS = 6_000_000
#: Candidate-grid sizes: close steps waste few tests per triangle.
_BUCKETS = (3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 1024)


def _view_matrix() -> npt.NDArray[np.float64]:
    az, el = math.radians(-35.0), math.radians(30.0)
    rz = np.array([[math.cos(az), -math.sin(az), 0], [math.sin(az), math.cos(az), 0], [0, 0, 1]])
    # Look along +y after rotation; tilt down by the elevation.
    rx = np.array([[1, 0, 0], [0, math.cos(el), -math.sin(el)], [0, math.sin(el), math.cos(el)]])
    out: npt.NDArray[np.float64] = rx @ rz
    return out


def render(mesh: Mesh, size: int = SIZE) -> npt.NDArray[np.uint8]:
    """An RGBA image ``(size, size, 4)`` of the mesh."""
    with np.errstate(all="ignore"):  # degenerate triangles divide by ~0: culled anyway
        return _render(mesh, size)


def _render(mesh: Mesh, size: int) -> npt.NDArray[np.uint8]:
    tris = mesh.triangles.reshape(-1, 3).astype(np.float32)
    rot = _view_matrix().astype(np.float32)
    p = tris @ rot.T                       # x right, y depth (away), z up
    # Column by column: numpy reduces an (n, 3) array over axis 0 slowly.
    cols = [np.ascontiguousarray(p[:, i]) for i in range(3)]
    lo = np.array([c.min() for c in cols])
    hi = np.array([c.max() for c in cols])
    span = float(max(hi[0] - lo[0], hi[2] - lo[2], 1e-9))
    margin = 0.06 * size
    scale = (size - 2 * margin) / span
    sx = (cols[0] - (lo[0] + hi[0]) / 2) * scale + size / 2
    sy = size / 2 - (cols[2] - (lo[2] + hi[2]) / 2) * scale
    depth = cols[1]
    sx, sy, depth = sx.reshape(-1, 3), sy.reshape(-1, 3), depth.reshape(-1, 3)

    t = tris.reshape(-1, 3, 3)
    n = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]) @ rot.T
    norm = np.linalg.norm(n, axis=1)
    n = n / np.maximum(norm, 1e-20)[:, None]
    light = np.array([-0.4, -0.8, 0.45], dtype=np.float32)
    light /= np.linalg.norm(light)
    shade = 0.28 + 0.72 * np.abs(n @ light)
    rgb = np.clip(shade[:, None] * _BASE[None, :] * 255, 0, 255).astype(np.uint8)

    ax, ay, bx, by, cx, cy = sx[:, 0], sy[:, 0], sx[:, 1], sy[:, 1], sx[:, 2], sy[:, 2]
    area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
    # Screen y points down, so front faces (counter-clockwise in the model)
    # have a negative signed area here; back faces are culled.
    front = area < -1e-12
    # (Reductions over an axis of length 3 are slow in numpy: pair them.)
    x0 = np.floor(np.minimum(np.minimum(ax, bx), cx)).astype(np.int32)
    y0 = np.floor(np.minimum(np.minimum(ay, by), cy)).astype(np.int32)
    extent = np.maximum(
        np.ceil(np.maximum(np.maximum(ax, bx), cx)).astype(np.int32) - x0,
        np.ceil(np.maximum(np.maximum(ay, by), cy)).astype(np.int32) - y0) + 1
    zmin, zmax = float(depth.min()), float(depth.max())
    zscale = (2**30 - 1) / max(zmax - zmin, 1e-9)

    zbuf = np.full(size * size, np.iinfo(np.int64).max, dtype=np.int64)

    def deposit(pix: npt.NDArray[np.int64], z: npt.NDArray[np.float32],
                tri: npt.NDArray[np.int64]) -> None:
        key = (((z - zmin) * zscale).astype(np.int64) << 32) | tri
        np.minimum.at(zbuf, pix, key)

    # Triangles of at most 3 pixels: fragments at the centroid and the three
    # corners (no per-pixel tests; dense meshes are mostly such triangles).
    tiny = np.flatnonzero(front & (extent <= 3))
    if len(tiny):
        tid = tiny.astype(np.int64)
        pts = [((ax + bx + cx) / 3, (ay + by + cy) / 3,
                (depth[:, 0] + depth[:, 1] + depth[:, 2]) / 3),
               (ax, ay, depth[:, 0]), (bx, by, depth[:, 1]), (cx, cy, depth[:, 2])]
        for px_all, py_all, dz_all in pts:
            px = np.clip(px_all[tiny], 0, size - 1).astype(np.int64)
            py = np.clip(py_all[tiny], 0, size - 1).astype(np.int64)
            deposit(py * size + px, dz_all[tiny], tid)
    budget = _MAX_FRAGMENTS
    prev = 3
    for kk in _BUCKETS:
        if budget <= 0 or prev >= 2 * size:
            break
        sel = np.flatnonzero(front & (extent <= kk) & (extent > prev))
        prev = kk
        if not len(sel):
            continue
        if len(sel) * kk * kk > budget:  # keep memory bounded on huge meshes
            sel = sel[: max(1, budget // (kk * kk))]
        budget -= len(sel) * kk * kk
        g = np.arange(kk, dtype=np.float32)
        fx = (x0[sel, None] + np.tile(g, kk)[None, :]).astype(np.float32) + 0.5
        fy = (y0[sel, None] + np.repeat(g, kk)[None, :]).astype(np.float32) + 0.5
        inv = (1.0 / area[sel])[:, None]
        w0 = ((bx[sel, None] - fx) * (cy[sel, None] - fy)
              - (by[sel, None] - fy) * (cx[sel, None] - fx)) * inv
        w1 = ((cx[sel, None] - fx) * (ay[sel, None] - fy)
              - (cy[sel, None] - fy) * (ax[sel, None] - fx)) * inv
        w2 = 1.0 - w0 - w1
        eps = -1e-4
        inside = (w0 >= eps) & (w1 >= eps) & (w2 >= eps) & (fx >= 0) & (fy >= 0) & (
            fx < size) & (fy < size)
        r, c = np.nonzero(inside)
        z = (w0[r, c] * depth[sel[r], 0] + w1[r, c] * depth[sel[r], 1]
             + w2[r, c] * depth[sel[r], 2])
        pix = fy[r, c].astype(np.int64) * size + fx[r, c].astype(np.int64)
        deposit(pix, z.astype(np.float32), sel[r].astype(np.int64))

    img = np.zeros((size * size, 4), dtype=np.uint8)
    hit = zbuf != np.iinfo(np.int64).max
    tri = zbuf[hit] & 0xFFFFFFFF
    img[hit, :3] = rgb[tri]
    img[hit, 3] = 255
    return img.reshape(size, size, 4)


def to_png(rgba: npt.NDArray[np.uint8]) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG", optimize=False, compress_level=1)
    return buf.getvalue()


def normalise_image(data: bytes, size: int = SIZE) -> bytes | None:
    """An embedded slicer thumbnail (PNG/JPEG/QOI...) as a PNG at most
    ``size`` pixels wide, or None when it cannot be decoded."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > 16_000_000:
                return None
            im.thumbnail((size, size))
            buf = io.BytesIO()
            im.convert("RGBA").save(buf, "PNG")
            return buf.getvalue()
    except Exception:  # any undecodable image is simply not a thumbnail
        return None
