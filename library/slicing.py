"""Slicing with PrusaSlicer's command line, where it is installed.

``find_slicer`` looks for ``prusa-slicer`` (Debian's name), ``PrusaSlicer``
or ``prusaslicer`` on the PATH, or takes the path the user set.  Slicing runs
the slicer as a child process with a time limit; the G-code it writes joins
the model's files (as a new file of its latest version) with its settings
extracted like any imported G-code.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from library import analyse, catalog
from library.errors import SlicerError

if TYPE_CHECKING:
    from library.service import LibraryService

log = logging.getLogger(__name__)
NAMES = ("prusa-slicer", "PrusaSlicer", "prusaslicer")


def find_slicer(configured: str | None = None) -> Path | None:
    if configured:
        p = Path(configured).expanduser()
        return p if p.is_file() else None
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def slice_file(slicer: Path, mesh: Path, output: Path, profile: Path | None = None,
               timeout: float = 600.0) -> Path:
    """Slice one mesh file into ``output``; raise :class:`SlicerError`."""
    cmd = [str(slicer)]
    if profile is not None:
        cmd += ["--load", str(profile)]
    cmd += ["--export-gcode", "--output", str(output), str(mesh)]
    log.info("slicing %s with %s", mesh.name, slicer)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise SlicerError(f"the slicer took more than {timeout:.0f} s") from None
    except OSError as exc:
        raise SlicerError(f"cannot run the slicer: {exc}") from None
    if proc.returncode != 0 or not output.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise SlicerError("the slicer failed: " + " / ".join(tail))
    return output


def slice_model(service: LibraryService, model_id: int, profile: Path | None,
                slicer: Path | None) -> str:
    """Slice the model's first mesh file; the G-code joins the model."""
    if slicer is None:
        raise SlicerError("PrusaSlicer is not installed (or its path is not set): "
                          "slicing is not available; import G-code files instead")
    d = service.detail(model_id)
    mesh_file = next((f for f in d.files if f["format"] in analyse.MESH_FORMATS), None)
    if mesh_file is None:
        raise SlicerError(f"model {model_id} has no mesh file to slice")
    with tempfile.TemporaryDirectory(prefix="layerline-slice-") as tmp:
        src = Path(tmp) / mesh_file["name"]
        src.write_bytes(service.store.path_of(mesh_file["blob_hash"]).read_bytes())
        stem = Path(mesh_file["name"]).stem
        suffix = f"_{profile.stem}" if profile else ""
        out = slice_file(slicer, src, Path(tmp) / f"{stem}{suffix}.gcode", profile)
        a = analyse.analyse_path(out)
        with out.open("rb") as fh:
            digest, size = service.store.put_stream(fh)
        if a.thumbnail_png:
            service.store.put_thumbnail(digest, a.thumbnail_png)
        info = {"format": a.format, "facts": None, "settings": a.settings,
                "metadata": {"sliced_from": mesh_file["name"]},
                "has_thumbnail": a.thumbnail_png is not None,
                "thumbnail_source": a.thumbnail_source}

        def add(conn: Connection) -> None:
            catalog.add_file(conn, model_id, catalog.latest_version(conn, model_id),
                             digest, name=out.name, size=size, analysis=info)

        service.write(add, [model_id])
        return out.name
