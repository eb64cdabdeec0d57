"""3MF: a vetted zip with XML model parts, read with entities refused.

Reads the mesh (objects, components across model parts of the production
extension, build items and their transforms), the model metadata (title,
designer, licence, ...), the thumbnail a slicer embedded, and the slicer
config members that :mod:`library.settings` understands.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from library.errors import FileFormatError
from library.mesh import F32, I64, Mesh, indexed_mesh
from library.safety import DEFAULT_LIMITS, Limits, open_zip, parse_xml, read_member

CORE = "{http://schemas.microsoft.com/3dmanufacturing/core/2015/02}"
PROD = "{http://schemas.microsoft.com/3dmanufacturing/production/2015/06}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"

#: Members whose text :mod:`library.settings` reads.
CONFIG_MEMBERS = (
    "Metadata/Slic3r_PE.config", "Metadata/PrusaSlicer.config",
    "Metadata/project_settings.config", "Metadata/slice_info.config",
)
THUMBNAILS = (
    "Metadata/thumbnail.png", "Auxiliaries/.thumbnails/thumbnail_3mf.png",
    "Metadata/plate_1.png", "Auxiliaries/.thumbnails/thumbnail_middle.png",
)
_MAX_DEPTH = 16


@dataclass(slots=True)
class ThreeMF:
    mesh: Mesh | None
    metadata: dict[str, str] = field(default_factory=dict)
    thumbnail: bytes | None = None
    configs: dict[str, bytes] = field(default_factory=dict)
    has_gcode: bool = False


def _transform(attr: str | None) -> np.ndarray[Any, np.dtype[np.float64]]:
    m = np.eye(4)
    if attr:
        try:
            vals = [float(x) for x in attr.split()]
        except ValueError:
            raise FileFormatError(f"3MF: bad transform {attr!r}") from None
        if len(vals) != 12:
            raise FileFormatError(f"3MF: transform needs 12 numbers, has {len(vals)}")
        m[:3, :3] = np.array(vals[:9]).reshape(3, 3)
        m[3, :3] = vals[9:]
    return m


class _Reader:
    def __init__(self, zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], limits: Limits):
        self.zf, self.infos, self.limits = zf, infos, limits
        self.objects: dict[tuple[str, str], Any] = {}
        self.parsed: dict[str, Any] = {}
        self.blocks: dict[str, bytes] = {}

    def part(self, path: str) -> Any:
        path = path.lstrip("/")
        if path not in self.parsed:
            info = self.infos.get(path)
            if info is None:
                raise FileFormatError(f"3MF: model part {path!r} is missing")
            data = read_member(self.zf, info, self.limits.max_xml_bytes)
            root = parse_xml(self._lift_blocks(path, data), f"3MF part {path}")
            self.parsed[path] = root
            for obj in root.iter(f"{CORE}object"):
                self.objects[(path, obj.get("id", ""))] = obj
        return self.parsed[path]

    def _lift_blocks(self, path: str, data: bytes) -> bytes:
        """Take the bulky ``<vertices>`` and ``<triangles>`` blocks out of the
        XML (parsed by :func:`_vertices`/:func:`_faces` with regexes and
        numpy, ~20x faster than element objects) and leave a reference.  The
        rest, with any DTD, still goes through defusedxml."""
        out: list[bytes] = []
        last = 0
        pos = 0
        while True:
            m = _BLOCK_START.search(data, pos)
            if m is None:
                break
            end_tag = b"</" + m.group(1)
            end = data.find(end_tag, m.end())
            close = data.find(b">", end) if end >= 0 else -1
            if close < 0:
                raise FileFormatError(f"3MF part {path}: unterminated <{m.group(1).decode()}>")
            key = f"{path}#{len(self.blocks)}"
            self.blocks[key] = data[m.end():end]
            out += [data[last:m.start()], b"<", m.group(1), b' ref="', key.encode(), b'"/>']
            last = pos = close + 1
        out.append(data[last:])
        return b"".join(out)

    def collect(self, path: str, oid: str, matrix: Any, depth: int,
                out: list[tuple[F32, I64]]) -> None:
        if depth > _MAX_DEPTH:
            raise FileFormatError("3MF: components nest too deeply (a loop?)")
        self.part(path)
        obj = self.objects.get((path, oid))
        if obj is None:
            raise FileFormatError(f"3MF: build refers to missing object {oid!r}")
        mesh = obj.find(f"{CORE}mesh")
        if mesh is not None:
            v = _vertices(self, mesh)
            f = _faces(self, mesh, len(v))
            if len(f):
                h = np.c_[v.astype(np.float64), np.ones(len(v))] @ matrix
                out.append((h[:, :3].astype(np.float32), f))
        comps = obj.find(f"{CORE}components")
        if comps is not None:
            for comp in comps.findall(f"{CORE}component"):
                sub = comp.get(f"{PROD}path") or path
                self.collect(sub.lstrip("/"), comp.get("objectid", ""),
                             _transform(comp.get("transform")) @ matrix, depth + 1, out)


_BLOCK_START = re.compile(rb"<((?:[\w.-]+:)?(?:vertices|triangles))\b[^>/]*>")
_ATTR = re.compile(rb'([\w.:-]+)\s*=\s*"([^"]*)"')


def _records(block: bytes, tag: bytes, names: tuple[bytes, ...], what: str,
             dtype: type) -> Any:
    """The ``names`` attributes of every ``tag`` element of a lifted block, as
    an ``(n, len(names))`` array of ``dtype``."""
    # A vertices/triangles block holds only its elements: count the tags.
    total = block.count(b"<") - block.count(b"</") - block.count(b"<!--")
    k = len(names)
    tokens = block.replace(b'"', b" ").replace(b"<", b" <").split()
    period = 2 + 2 * k
    if total and len(tokens) == period * total and all(
            tokens[1 + 2 * i::period] == [n + b"="] * total for i, n in enumerate(names)):
        # The plain form <tag a="1" b="2" c="3"/>: slice the values out.
        try:
            cols: list[Any] = [np.array(tokens[2 + 2 * i::period]).astype(dtype) for i in range(k)]
        except ValueError:
            raise FileFormatError(f"3MF: a {what} with a value that is not a number") from None
        return np.stack(cols, axis=1)
    whole = re.compile(rb"<(?:[\w.-]+:)?" + tag + rb"\s+" + rb"\s+".join(
        n + rb'="([^"]*)"' for n in names))
    rows = whole.findall(block)
    if len(rows) != total:      # another attribute order: element by element
        rows = []
        for attrs in re.findall(rb"<(?:[\w.-]+:)?" + tag + rb"\b([^>]*)>", block):
            d = dict(_ATTR.findall(attrs))
            try:
                rows.append(tuple(d[n] for n in names))
            except KeyError:
                raise FileFormatError(f"3MF: a {what} without "
                                      f"{', '.join(n.decode() for n in names)}") from None
    text = b" ".join(b" ".join(r) for r in rows)
    try:
        flat = np.array(text.split(), dtype=np.bytes_).astype(dtype) if dtype is np.int64 \
            else np.array(text.split(), dtype=np.float64)
    except ValueError:
        raise FileFormatError(f"3MF: a {what} with a value that is not a number") from None
    if flat.size != len(rows) * len(names):
        raise FileFormatError(f"3MF: a {what} with an empty or broken value")
    return flat.reshape(-1, len(names))


def _vertices(reader: _Reader, mesh: Any) -> F32:
    verts = mesh.find(f"{CORE}vertices")
    if verts is None:
        return np.zeros((0, 3), np.float32)
    block = reader.blocks.get(verts.get("ref", ""), b"")
    v: F32 = _records(block, b"vertex", (b"x", b"y", b"z"), "vertex", float).astype(np.float32)
    return v


def _faces(reader: _Reader, mesh: Any, nverts: int) -> I64:
    tris = mesh.find(f"{CORE}triangles")
    if tris is None:
        return np.zeros((0, 3), np.int64)
    block = reader.blocks.get(tris.get("ref", ""), b"")
    f: I64 = _records(block, b"triangle", (b"v1", b"v2", b"v3"), "triangle", np.int64)
    if len(f) and (f.min() < 0 or f.max() >= nverts):
        raise FileFormatError("3MF: a triangle refers to a vertex that does not exist")
    return f


def _start_part(zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo]) -> str:
    rels = infos.get("_rels/.rels")
    if rels is not None:
        root = parse_xml(read_member(zf, rels, 1 << 20), "3MF relationships")
        for rel in root.iter(f"{RELS}Relationship"):
            if rel.get("Type", "").endswith("/3dmodel"):
                return str(rel.get("Target", "")).lstrip("/")
    for name in infos:
        if name.lower().endswith(".model"):
            return name
    raise FileFormatError("3MF: no 3D model part")


def read_3mf(data: bytes, name: str = "3MF", limits: Limits = DEFAULT_LIMITS) -> ThreeMF:
    zf, files = open_zip(io.BytesIO(data), limits)
    with zf:
        infos = {i.filename: i for i in files}
        result = ThreeMF(mesh=None)
        for member in CONFIG_MEMBERS:
            if member in infos:
                result.configs[member] = read_member(zf, infos[member], 64 << 20)
        for member in THUMBNAILS:
            if member in infos and infos[member].file_size < (16 << 20):
                result.thumbnail = read_member(zf, infos[member])
                break
        result.has_gcode = any(n.startswith("Metadata/plate_") and n.endswith(".gcode")
                               for n in infos)
        start = _start_part(zf, infos)
        reader = _Reader(zf, infos, limits)
        root = reader.part(start)
        for meta in root.findall(f"{CORE}metadata"):
            if meta.get("name"):
                result.metadata[meta.get("name")] = (meta.text or "").strip()
        out: list[tuple[F32, I64]] = []
        build = root.find(f"{CORE}build")
        items = build.findall(f"{CORE}item") if build is not None else []
        if items:
            for item in items:
                path = (item.get(f"{PROD}path") or start).lstrip("/")
                reader.collect(path, item.get("objectid", ""),
                               _transform(item.get("transform")), 0, out)
        else:
            for (path, oid) in list(reader.objects):
                reader.collect(path, oid, np.eye(4), 0, out)
        if out:
            offset = 0
            vs, fs = [], []
            for v, f in out:
                vs.append(v)
                fs.append(f + offset)
                offset += len(v)
            result.mesh = indexed_mesh(np.concatenate(vs), np.concatenate(fs), name, limits)
        elif not result.has_gcode:
            raise FileFormatError(f"{name}: 3MF without any triangles")
        return result
