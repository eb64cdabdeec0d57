"""One file in, everything the library knows about it out: format, facts,
thumbnail, print settings and model metadata.  Pure functions of the bytes;
the import pipeline runs them in worker processes, bounded in time and
memory (see :mod:`library.worker`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from library import facts as facts_mod
from library import gcode, mesh, settings, thumbnail
from library.errors import FileFormatError
from library.safety import DEFAULT_LIMITS, Limits
from library.threemf import read_3mf

MESH_FORMATS = ("stl", "3mf", "obj")
GCODE_FORMATS = ("gcode", "bgcode")
FORMATS = (*MESH_FORMATS, *GCODE_FORMATS, "ini")
_EXT = {".stl": "stl", ".3mf": "3mf", ".obj": "obj", ".gcode": "gcode", ".gco": "gcode",
        ".g": "gcode", ".bgcode": "bgcode", ".ini": "ini"}


def format_of(name: str) -> str | None:
    """The library format of a file name (``.gcode.3mf`` is a 3MF)."""
    return _EXT.get(PurePosixPath(name.lower()).suffix)


@dataclass(slots=True)
class Analysis:
    format: str
    facts: dict[str, Any] | None = None
    thumbnail_png: bytes | None = None
    thumbnail_source: str | None = None       # "render" or "embedded"
    settings: dict[str, Any] | None = None    # PrintSettings.as_dict()
    metadata: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _mesh_analysis(fmt: str, m: mesh.Mesh, a: Analysis, render: bool) -> Analysis:
    a.facts = facts_mod.compute(m).as_dict()
    if render and a.thumbnail_png is None:
        a.thumbnail_png = thumbnail.to_png(thumbnail.render(m))
        a.thumbnail_source = "render"
    return a


def analyse_bytes(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS,
                  render: bool = True) -> Analysis:
    fmt = format_of(name)
    if fmt is None:
        raise FileFormatError(f"{name}: not a model, G-code or slicer profile")
    if len(data) > limits.max_file_bytes:
        raise FileFormatError(f"{name}: {len(data)} bytes is over the limit")
    a = Analysis(format=fmt)
    if fmt == "stl":
        return _mesh_analysis(fmt, mesh.parse_stl(data, name, limits), a, render)
    if fmt == "obj":
        return _mesh_analysis(fmt, mesh.parse_obj(data, name, limits), a, render)
    if fmt == "3mf":
        t = read_3mf(data, name, limits)
        a.metadata = t.metadata
        if t.thumbnail:
            png = thumbnail.normalise_image(t.thumbnail)
            if png:
                a.thumbnail_png, a.thumbnail_source = png, "embedded"
        s = settings.from_3mf_configs(t.configs)
        a.settings = s.as_dict() if s else None
        if t.mesh is not None:
            _mesh_analysis(fmt, t.mesh, a, render)
        return a
    if fmt == "ini":
        a.settings = settings.from_ini(data.decode("utf-8", "replace")).as_dict()
        return a
    if fmt == "gcode":
        size = len(data)
        end = gcode.END_BYTES
        head, tail = (data, data) if size <= 2 * end else (data[:end], data[-end:])
        return _gcode_analysis(gcode.from_bytes(head, tail, size), a)
    raise FileFormatError(f"{name}: binary G-code must be read from a file")


def _gcode_analysis(text: gcode.GcodeText, a: Analysis) -> Analysis:
    s = settings.from_gcode(text.head, text.tail)
    if s is None:
        a.warnings.append("no slicer settings found in this G-code")
    else:
        a.settings = s.as_dict()
    for blob in text.thumbnails:
        png = thumbnail.normalise_image(blob)
        if png:
            a.thumbnail_png, a.thumbnail_source = png, "embedded"
            break
    return a


def analyse_path(path: Path, limits: Limits = DEFAULT_LIMITS, render: bool = True,
                 name: str | None = None) -> Analysis:
    """Analyse a file on disk (``name`` gives its format when the path does
    not, as for a blob of the store); G-code is read only at its ends."""
    name = name or path.name
    fmt = format_of(name)
    if fmt == "gcode":
        return _gcode_analysis(gcode.read_ends(path), Analysis(format="gcode"))
    if fmt == "bgcode":
        meta, thumbs, _size = gcode.read_bgcode(path)
        a = Analysis(format="bgcode", settings=settings.from_bgcode(meta).as_dict())
        for blob in thumbs:
            png = thumbnail.normalise_image(blob)
            if png:
                a.thumbnail_png, a.thumbnail_source = png, "embedded"
                break
        return a
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise FileFormatError(f"{name}: {size} bytes is over the limit")
    return analyse_bytes(path.read_bytes(), name, limits, render)

