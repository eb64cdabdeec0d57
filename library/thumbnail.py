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
    verts = mesh.triangles.reshape(-1, 3)
    if verts.dtype != np.float32:
        verts = verts.astype(np.float32)
    rot = _view_matrix().astype(np.float32)
    # Screen x, depth and screen z, each a contiguous column (x right, depth
    # away from the viewer, z up), vertex by vertex.
    px, dz, pz = (verts @ np.ascontiguousarray(rot[i]) for i in range(3))
    xlo, xhi, zlo, zhi = float(px.min()), float(px.max()), float(pz.min()), float(pz.max())
    span = max(xhi - xlo, zhi - zlo, 1e-9)
    margin = 0.06 * size
    scale = (size - 2 * margin) / span
    np.multiply(px, scale, out=px)
    px += np.float32(size / 2 - (xlo + xhi) / 2 * scale)
    np.multiply(pz, -scale, out=pz)                      # screen y points down
    pz += np.float32(size / 2 + (zlo + zhi) / 2 * scale)
    # Corner-major (3, n): each corner's coordinates contiguous.
    sx = px.reshape(-1, 3).T
    sy = pz.reshape(-1, 3).T
    ax, bx, cx = sx
    ay, by, cy = sy
    area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
    # Front faces (counter-clockwise in the model) have a negative signed
    # area on screen; back faces are culled before any other work.
    front = np.flatnonzero(area < -1e-12)
    if not len(front):
        return np.zeros((size, size, 4), dtype=np.uint8)
    ax, bx, cx = (c[front] for c in sx)
    ay, by, cy = (c[front] for c in sy)
    d3 = dz.reshape(-1, 3)[front]
    da, db, dc = d3[:, 0].copy(), d3[:, 1].copy(), d3[:, 2].copy()
    area = area[front]
    zmin, zmax = float(dz.min()), float(dz.max())
    zscale = np.float32((2**30 - 1) / max(zmax - zmin, 1e-9))

    x0 = np.minimum(np.minimum(ax, bx), cx).astype(np.int32)   # >= 0: floor
    y0 = np.minimum(np.minimum(ay, by), cy).astype(np.int32)
    extent = np.maximum(
        np.maximum(np.maximum(ax, bx), cx).astype(np.int32) - x0,
        np.maximum(np.maximum(ay, by), cy).astype(np.int32) - y0) + 1

    zbuf = np.full(size * size, np.iinfo(np.int64).max, dtype=np.int64)
    last = size - 1

    def deposit(fx: npt.NDArray[np.float32], fy: npt.NDArray[np.float32],
                z: npt.NDArray[np.float32], tri: npt.NDArray[np.int64]) -> None:
        pix = (np.clip(fy.astype(np.int64), 0, last) * size
               + np.clip(fx.astype(np.int64), 0, last))
        key = (((z - zmin) * zscale).astype(np.int64) << 32) | tri
        np.minimum.at(zbuf, pix, key)

    # Triangles of at most 2 pixels (dense meshes are mostly such): one
    # fragment at the centroid and one at each corner, no per-pixel tests.
    small = extent <= 2
    tiny = np.flatnonzero(small)
    if len(tiny):
        tax, tbx, tcx = ax[tiny], bx[tiny], cx[tiny]
        tay, tby, tcy = ay[tiny], by[tiny], cy[tiny]
        tda, tdb, tdc = da[tiny], db[tiny], dc[tiny]
        third = np.float32(1 / 3)
        deposit(np.concatenate(((tax + tbx + tcx) * third, tax, tbx, tcx)),
                np.concatenate(((tay + tby + tcy) * third, tay, tby, tcy)),
                np.concatenate(((tda + tdb + tdc) * third, tda, tdb, tdc)),
                np.tile(tiny.astype(np.int64), 4))
    budget = _MAX_FRAGMENTS
    prev = 2
    rest = np.flatnonzero(~small)
    ext_rest = extent[rest]
    for kk in _BUCKETS:
        if budget <= 0 or prev >= 2 * size or not len(rest):
            break
        sel = rest[(ext_rest <= kk) & (ext_rest > prev)]
        prev = kk
        if not len(sel):
            continue
        if len(sel) * kk * kk > budget:  # keep memory bounded on huge meshes
            sel = sel[: max(1, budget // (kk * kk))]
        budget -= len(sel) * kk * kk
        # Barycentric weights are linear in the pixel's position: per
        # triangle an offset and two slopes (in float64, where the large
        # terms cancel), then two multiply-adds per candidate pixel.
        sax, say, sbx, sby, scx, scy = (v[sel].astype(np.float64)
                                        for v in (ax, ay, bx, by, cx, cy))
        inv = 1.0 / area[sel].astype(np.float64)
        ox = x0[sel] + 0.5
        oy = y0[sel] + 0.5
        a0, b0 = (sby - scy) * inv, (scx - sbx) * inv
        a1, b1 = (scy - say) * inv, (sax - scx) * inv
        k0 = a0 * ox + b0 * oy + (sbx * scy - sby * scx) * inv
        k1 = a1 * ox + b1 * oy + (scx * say - scy * sax) * inv
        g = np.arange(kk, dtype=np.float32)
        gx, gy = np.tile(g, kk)[None, :], np.repeat(g, kk)[None, :]
        f32 = np.float32
        w0 = k0.astype(f32)[:, None] + a0.astype(f32)[:, None] * gx + b0.astype(f32)[:, None] * gy
        w1 = k1.astype(f32)[:, None] + a1.astype(f32)[:, None] * gx + b1.astype(f32)[:, None] * gy
        eps = -1e-4
        inside = (w0 >= eps) & (w1 >= eps) & (w0 + w1 <= 1.0 - eps)
        r, c = np.nonzero(inside)
        t = sel[r]
        u0, u1 = w0[r, c], w1[r, c]
        z = u0 * da[t] + u1 * db[t] + (1.0 - u0 - u1) * dc[t]
        fx = x0[t] + gx[0, c] + 0.5
        fy = y0[t] + gy[0, c] + 0.5
        deposit(fx, fy, z.astype(np.float32), t.astype(np.int64))

    img = np.zeros((size * size, 4), dtype=np.uint8)
    hit = np.flatnonzero(zbuf != np.iinfo(np.int64).max)
    # Shade only the triangles that are seen (at most one per pixel).
    seen, where = np.unique(zbuf[hit] & 0xFFFFFFFF, return_inverse=True)
    tri = front[seen]
    v = verts.reshape(-1, 3, 3)[tri] @ rot.T
    n = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    n /= np.maximum(np.linalg.norm(n, axis=1), 1e-20)[:, None]
    light = np.array([-0.4, -0.8, 0.45], dtype=np.float32)
    light /= np.linalg.norm(light)
    shade = 0.28 + 0.72 * np.abs(n @ light)
    rgb = np.clip(shade[:, None] * _BASE[None, :] * 255, 0, 255).astype(np.uint8)
    img[hit, :3] = rgb[where]
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
