"""Facts about a mesh, computed straight from its numpy arrays.

Triangle count, size, volume, surface area, watertightness, number of
bodies (connected pieces) and a geometry fingerprint for near-duplicates.
Vertices are welded by their exact coordinates (what a re-export of the same
mesh keeps), using a 64-bit hash of the float bits and one sort.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from library.errors import FileFormatError
from library.mesh import I64, Mesh

U64 = npt.NDArray[np.uint64]


@dataclass(frozen=True, slots=True)
class MeshFacts:
    triangles: int
    size_x: float
    size_y: float
    size_z: float
    volume: float          # mm^3 (absolute value of the signed volume)
    area: float            # mm^2
    watertight: bool
    bodies: int
    fingerprint: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def weld(mesh: Mesh) -> tuple[I64, int]:
    """Faces ``(n, 3)`` indexing unique vertices, and the number of them."""
    indexed = (mesh.vertices is not None and mesh.faces is not None
               and len(mesh.vertices) < 3 * mesh.count)
    # An indexed mesh (3MF, OBJ) welds its vertex list, a few times shorter
    # than the triangles' corners (the sort is most of the cost).
    points = mesh.vertices if indexed else mesh.triangles.reshape(-1, 3)
    flat = np.ascontiguousarray(points, dtype=np.float32)
    flat = flat + np.float32(0.0)  # -0.0 and 0.0 weld together
    bits = flat.view(np.uint32).astype(np.uint64)
    key = (bits[:, 0] * np.uint64(0x9E3779B97F4A7C15)) ^ (
        bits[:, 1] * np.uint64(0xC2B2AE3D27D4EB4F)) ^ (bits[:, 2] * np.uint64(0x165667B19E3779F9))
    uniq, inverse = np.unique(key, return_inverse=True)
    if indexed:
        assert mesh.faces is not None
        return inverse.reshape(-1)[mesh.faces].astype(np.int64), len(uniq)
    return inverse.reshape(-1, 3).astype(np.int64), len(uniq)


def _edge_counts(faces: I64, nverts: int) -> tuple[U64, npt.NDArray[np.int64]]:
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    e.sort(axis=1)
    key = e[:, 0].astype(np.uint64) * np.uint64(nverts) + e[:, 1].astype(np.uint64)
    uniq, counts = np.unique(key, return_counts=True)
    return uniq, counts


def count_bodies(faces: I64, nverts: int) -> int:
    """Connected pieces, by vectorised union-find: each round hooks every
    edge's larger root onto its smaller one, compresses paths fully and drops
    the edges already inside one piece (a few rounds, shrinking fast)."""
    u = np.concatenate([faces[:, 0], faces[:, 1]])
    v = np.concatenate([faces[:, 1], faces[:, 2]])
    parent = np.arange(nverts, dtype=np.int64)
    for _ in range(64):
        pu, pv = parent[u], parent[v]
        keep = pu != pv
        if not keep.any():
            break
        u, v, pu, pv = u[keep], v[keep], pu[keep], pv[keep]
        lo, hi = np.minimum(pu, pv), np.maximum(pu, pv)
        np.minimum.at(parent, hi, lo)
        while True:
            nxt = parent[parent]
            if np.array_equal(nxt, parent):
                break
            parent = nxt
    used = np.zeros(nverts, dtype=bool)
    used[faces.ravel()] = True
    return len(np.unique(parent[used]))


def compute(mesh: Mesh) -> MeshFacts:
    with np.errstate(all="ignore"):
        result = _compute(mesh)
    if not all(np.isfinite([result.area, result.volume, result.size_x, result.size_y,
                            result.size_z])):
        raise FileFormatError("coordinates too large to measure (overflow)")
    return result


def _compute(mesh: Mesh) -> MeshFacts:
    tris = mesh.triangles.astype(np.float64)
    flat = tris.reshape(-1, 3)
    cols = [np.ascontiguousarray(flat[:, i]) for i in range(3)]   # fast reductions
    lo = np.array([c.min() for c in cols])
    hi = np.array([c.max() for c in cols])
    size = hi - lo
    v0, v1, v2 = tris[:, 0] - lo, tris[:, 1] - lo, tris[:, 2] - lo
    cross = np.cross(v1 - v0, v2 - v0)
    area = float(0.5 * np.sqrt((cross * cross).sum(axis=1)).sum())
    volume = float(abs((v0 * np.cross(v1, v2)).sum() / 6.0))
    faces, nverts = weld(mesh)
    _, counts = _edge_counts(faces, nverts)
    degenerate = (faces[:, 0] == faces[:, 1]) | (faces[:, 1] == faces[:, 2]) | (
        faces[:, 0] == faces[:, 2])
    watertight = bool(len(counts) and (counts == 2).all() and not degenerate.any())
    bodies = count_bodies(faces, nverts)
    return MeshFacts(
        triangles=mesh.count,
        size_x=round(float(size[0]), 4), size_y=round(float(size[1]), 4),
        size_z=round(float(size[2]), 4),
        volume=round(volume, 3), area=round(area, 3),
        watertight=watertight, bodies=bodies,
        fingerprint=fingerprint(mesh.count, size, area, volume),
    )


def fingerprint(triangles: int, size: Any, area: float, volume: float) -> str:
    """Invariant under re-export (triangle and vertex order, binary/ASCII,
    translation, float precision of a few digits): the triangle count and the
    sorted extents, area and volume, each rounded to 3 significant digits."""

    def sig(x: float) -> str:
        return f"{float(x):.3g}"

    ext = sorted(float(s) for s in size)
    text = ":".join([str(triangles), *map(sig, ext), sig(area), sig(volume)])
    return hashlib.sha1(text.encode()).hexdigest()[:20]
