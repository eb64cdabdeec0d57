"""Mesh parsing straight into numpy, with explicit validation.

A :class:`Mesh` is a ``(n, 3, 3)`` float32 array of triangles (the form a
binary STL has on disk), optionally with the indexed form it came in (OBJ,
3MF).  Every parser refuses what it cannot vouch for: a truncated file, a
header that lies about its triangle count, garbage, an ASCII STL without
``endsolid``, non-finite coordinates, an empty mesh.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from library.errors import FileFormatError, ResourceLimitError
from library.safety import DEFAULT_LIMITS, Limits

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

_STL_RECORD = np.dtype([("normal", "<f4", (3,)), ("tri", "<f4", (3, 3)), ("attr", "<u2")])


@dataclass(slots=True)
class Mesh:
    triangles: F32                    # (n, 3, 3)
    vertices: F32 | None = None       # indexed form, when the format has one
    faces: I64 | None = None

    @property
    def count(self) -> int:
        return int(self.triangles.shape[0])


def _finish(tris: F32, what: str, limits: Limits) -> Mesh:
    if tris.shape[0] == 0:
        raise FileFormatError(f"{what}: no triangles")
    if tris.shape[0] > limits.max_triangles:
        raise ResourceLimitError(
            f"{what}: {tris.shape[0]} triangles (limit {limits.max_triangles})")
    bad = ~np.isfinite(tris).all(axis=(1, 2))
    nbad = int(bad.sum())
    if nbad:
        raise FileFormatError(f"{what}: {nbad} triangle(s) have non-finite coordinates")
    return Mesh(np.ascontiguousarray(tris, dtype=np.float32))


# -- STL ---------------------------------------------------------------
def _looks_ascii(data: bytes) -> bool:
    head = data[:512].lstrip()
    return head[:5].lower() == b"solid" and b"\x00" not in head and (
        b"facet" in head or b"endsolid" in head or len(data) < 84)


def parse_stl(data: bytes, name: str = "STL", limits: Limits = DEFAULT_LIMITS) -> Mesh:
    """Parse a binary or ASCII STL held in memory."""
    if len(data) >= 84:
        (count,) = np.frombuffer(data, "<u4", 1, 80)
        expected = 84 + 50 * int(count)
        if len(data) == expected:
            return _parse_binary(data, int(count), name, limits)
    if _looks_ascii(data):
        return _parse_ascii(data, name, limits)
    if len(data) < 84:
        raise FileFormatError(f"{name}: too short to be an STL ({len(data)} bytes)")
    if count == 0:
        raise FileFormatError(f"{name}: header says 0 triangles; not an STL")
    if count > limits.max_triangles:
        raise FileFormatError(
            f"{name}: header claims {count} triangles; not a valid STL (or corrupted)")
    if len(data) < expected:
        have = (len(data) - 84) // 50
        raise FileFormatError(
            f"{name}: truncated or lying STL: the header says {count} triangles "
            f"({expected} bytes) but the file has {len(data)} bytes ({have} triangles)")
    # Longer than declared: some exporters pad; accept a few stray bytes only.
    if len(data) - expected < 50:
        return _parse_binary(data[:expected], int(count), name, limits)
    raise FileFormatError(
        f"{name}: the header says {count} triangles ({expected} bytes) but the file has "
        f"{len(data)} bytes: not a valid binary STL")


def _parse_binary(data: bytes, count: int, name: str, limits: Limits) -> Mesh:
    if count > limits.max_triangles:
        raise ResourceLimitError(f"{name}: {count} triangles (limit {limits.max_triangles})")
    rec = np.frombuffer(data, _STL_RECORD, count, 84)
    return _finish(rec["tri"], name, limits)


_ASCII_VERTEX = re.compile(rb"vertex\s+(\S+)\s+(\S+)\s+(\S+)")


def _parse_ascii(data: bytes, name: str, limits: Limits) -> Mesh:
    if b"endsolid" not in data[-4096:].lower() and b"endsolid" not in data.lower():
        raise FileFormatError(f"{name}: ASCII STL without 'endsolid' (truncated?)")
    facets = data.count(b"endfacet")
    groups = _ASCII_VERTEX.findall(data)
    if len(groups) != 3 * facets:
        raise FileFormatError(
            f"{name}: ASCII STL has {facets} facets but {len(groups)} vertices (damaged)")
    if facets > limits.max_triangles:
        raise ResourceLimitError(f"{name}: {facets} triangles (limit {limits.max_triangles})")
    try:
        flat = np.array([float(v) for g in groups for v in g], dtype=np.float64)
    except ValueError:
        raise FileFormatError(f"{name}: ASCII STL has a vertex that is not a number") from None
    return _finish(flat.reshape(-1, 3, 3).astype(np.float32), name, limits)


# -- OBJ ---------------------------------------------------------------
def parse_obj(data: bytes, name: str = "OBJ", limits: Limits = DEFAULT_LIMITS) -> Mesh:
    """Parse the geometry of a Wavefront OBJ (``v`` and ``f``; polygons are
    fanned into triangles; negative indices are relative)."""
    verts: list[bytes] = []
    faces: list[int] = []
    for raw in data.splitlines():
        line = raw.strip()
        if line.startswith(b"v "):
            verts.append(line[2:])
        elif line.startswith(b"f "):
            idx: list[int] = []
            for tok in line[2:].split():
                try:
                    i = int(tok.split(b"/", 1)[0])
                except ValueError:
                    raise FileFormatError(f"{name}: bad face index {tok!r}") from None
                if i == 0:
                    raise FileFormatError(f"{name}: face index 0 (OBJ counts from 1)")
                idx.append(i - 1 if i > 0 else len(verts) + i)
            if len(idx) < 3:
                raise FileFormatError(f"{name}: a face with fewer than 3 vertices")
            for k in range(1, len(idx) - 1):
                faces += (idx[0], idx[k], idx[k + 1])
            if len(faces) // 3 > limits.max_triangles:
                raise ResourceLimitError(f"{name}: more than {limits.max_triangles} triangles")
    if not faces:
        raise FileFormatError(f"{name}: no faces (not an OBJ mesh?)")
    try:
        v = np.array([[float(x) for x in s.split()[:3]] for s in verts], dtype=np.float64)
    except ValueError:
        raise FileFormatError(f"{name}: a vertex that is not a number") from None
    if v.ndim != 2 or v.shape[1] != 3:
        raise FileFormatError(f"{name}: a vertex without three coordinates")
    f = np.array(faces, dtype=np.int64).reshape(-1, 3)
    if f.min() < 0 or f.max() >= len(v):
        raise FileFormatError(f"{name}: a face refers to a vertex that does not exist")
    return indexed_mesh(v.astype(np.float32), f, name, limits)


def indexed_mesh(vertices: F32, faces: I64, name: str, limits: Limits = DEFAULT_LIMITS) -> Mesh:
    mesh = _finish(vertices[faces], name, limits)
    mesh.vertices, mesh.faces = vertices, faces
    return mesh
