"""Generated models and writers for STL, OBJ and 3MF: the demo library's
samples, the tests' fixtures and the benchmark's corpus all come from here."""

from __future__ import annotations

import io
import math
import zipfile

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]


def box(sx: float = 20.0, sy: float = 20.0, sz: float = 20.0) -> tuple[F32, I64]:
    v = np.array([[x, y, z] for z in (0, sz) for y in (0, sy) for x in (0, sx)], np.float32)
    f = np.array([[0, 2, 1], [1, 2, 3], [4, 5, 6], [5, 7, 6], [0, 1, 4], [1, 5, 4],
                  [2, 6, 3], [3, 6, 7], [0, 4, 2], [2, 4, 6], [1, 3, 5], [3, 7, 5]], np.int64)
    return v, f


def uv_sphere(radius: float = 10.0, rings: int = 16, segments: int = 32,
              center: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> tuple[F32, I64]:
    """A closed sphere with ``2 * segments * (rings - 1)`` triangles."""
    verts = [(0.0, 0.0, radius)]
    for i in range(1, rings):
        th = math.pi * i / rings
        for j in range(segments):
            ph = 2 * math.pi * j / segments
            verts.append((radius * math.sin(th) * math.cos(ph),
                          radius * math.sin(th) * math.sin(ph), radius * math.cos(th)))
    verts.append((0.0, 0.0, -radius))
    faces = []
    for j in range(segments):
        faces.append((0, 1 + j, 1 + (j + 1) % segments))
    for i in range(rings - 2):
        a, b = 1 + i * segments, 1 + (i + 1) * segments
        for j in range(segments):
            j2 = (j + 1) % segments
            faces += [(a + j, b + j, b + j2), (a + j, b + j2, a + j2)]
    last = len(verts) - 1
    base = 1 + (rings - 2) * segments
    for j in range(segments):
        faces.append((last, base + (j + 1) % segments, base + j))
    v = np.array(verts, np.float32) + np.array(center, np.float32)
    return v, np.array(faces, np.int64)


def sphere_with_triangles(n: int, radius: float = 20.0) -> tuple[F32, I64]:
    """A sphere with about ``n`` triangles."""
    rings = max(3, int(math.sqrt(n / 4)))
    return uv_sphere(radius, rings, 2 * rings, (radius, radius, radius))


def cylinder(radius: float = 8.0, height: float = 30.0, segments: int = 48) -> tuple[F32, I64]:
    ang = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    ring = np.c_[radius * np.cos(ang), radius * np.sin(ang)]
    v = np.vstack([[0, 0, 0], [0, 0, height], np.c_[ring, np.zeros(segments)],
                   np.c_[ring, np.full(segments, height)]]).astype(np.float32)
    f = []
    for j in range(segments):
        j2 = (j + 1) % segments
        b0, b1, t0, t1 = 2 + j, 2 + j2, 2 + segments + j, 2 + segments + j2
        f += [(0, b1, b0), (1, t0, t1), (b0, b1, t1), (b0, t1, t0)]
    return v, np.array(f, np.int64)


def combine(*parts: tuple[F32, I64]) -> tuple[F32, I64]:
    vs, fs, off = [], [], 0
    for v, f in parts:
        vs.append(v)
        fs.append(f + off)
        off += len(v)
    return np.concatenate(vs), np.concatenate(fs)


def translate(part: tuple[F32, I64], dx: float, dy: float, dz: float) -> tuple[F32, I64]:
    return part[0] + np.array([dx, dy, dz], np.float32), part[1]


# -- writers -----------------------------------------------------------
def stl_binary(v: F32, f: I64, header: bytes = b"Layerline sample") -> bytes:
    tris = v[f].astype("<f4")
    with np.errstate(all="ignore"):  # hostile samples have non-finite vertices
        n = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
        n /= np.maximum(np.linalg.norm(n, axis=1), 1e-20)[:, None]
    rec = np.zeros(len(f), dtype=[("n", "<f4", (3,)), ("t", "<f4", (3, 3)), ("a", "<u2")])
    rec["n"], rec["t"] = n, tris
    return header[:80].ljust(80, b" ") + np.uint32(len(f)).tobytes() + rec.tobytes()


def stl_ascii(v: F32, f: I64, name: str = "sample") -> bytes:
    out = [f"solid {name}"]
    for tri in v[f]:
        out.append(" facet normal 0 0 0\n  outer loop")
        out += [f"   vertex {x:.6e} {y:.6e} {z:.6e}" for x, y, z in tri]
        out.append("  endloop\n endfacet")
    out.append(f"endsolid {name}\n")
    return "\n".join(out).encode()


def obj_text(v: F32, f: I64) -> bytes:
    lines = ["# Layerline sample"] + [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in v]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in f]
    return ("\n".join(lines) + "\n").encode()


def model_xml(v: F32, f: I64, metadata: dict[str, str] | None = None) -> bytes:
    meta = "".join(f'<metadata name="{k}">{val}</metadata>' for k, val in (metadata or {}).items())
    vx = "".join(f'<vertex x="{x:.6f}" y="{y:.6f}" z="{z:.6f}"/>' for x, y, z in v)
    tx = "".join(f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in f)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<model unit="millimeter" xml:lang="en-US" '
        'xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">'
        f'{meta}<resources><object id="1" type="model"><mesh><vertices>{vx}</vertices>'
        f'<triangles>{tx}</triangles></mesh></object></resources>'
        '<build><item objectid="1"/></build></model>').encode()


_RELS = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://schemas.'
         b'openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/3dmodel.'
         b'model" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>'
         b'</Relationships>')
_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.openxmlformats.'
          b'org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
          b'vnd.openxmlformats-package.relationships+xml"/><Default Extension="model" '
          b'ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>')


def threemf(v: F32, f: I64, metadata: dict[str, str] | None = None,
            extra: dict[str, bytes] | None = None, model: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("3D/3dmodel.model", model if model is not None else model_xml(v, f, metadata))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()
