"""The import's worker processes: each file is read, hashed, stored,
analysed and thumbnailed here, bounded in time (an interval timer) and in
memory (an address-space limit per worker process).  Results are small
picklable dicts; the big data stays in the store."""

from __future__ import annotations

import contextlib
import logging
import resource
import signal
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from library import analyse
from library.errors import LibraryError, ResourceLimitError
from library.safety import DEFAULT_LIMITS, Limits, open_zip, read_member
from library.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkItem:
    item_id: int
    source: str          # a file path, or the path of the zip holding it
    member: str          # the zip member, or ""
    store_root: str
    seconds: float = 120.0


@dataclass(slots=True)
class WorkResult:
    item_id: int
    ok: bool
    error: str = ""
    blob_hash: str = ""
    size: int = 0
    analysis: dict[str, Any] | None = None
    seconds: float = 0.0


_limits: Limits = DEFAULT_LIMITS
_zips: dict[str, zipfile.ZipFile] = {}


def init_worker(memory_bytes: int, limits: Limits) -> None:
    """Pool initializer: cap this process's address space, ignore Ctrl-C
    (the parent decides), import the heavy modules once."""
    global _limits  # noqa: PLW0603 - per-process state of a pool worker
    _limits = limits
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if memory_bytes > 0:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this worker when the importing process
    dies (killed midway, the import resumes later; no orphan keeps working)."""
    if sys.platform != "linux":
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        log.debug("prctl unavailable; workers end when their queue closes")


class _Timeout(BaseException):
    pass


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    def on_alarm(_sig: int, _frame: FrameType | None) -> None:
        raise _Timeout

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _zip(path: str) -> zipfile.ZipFile:
    zf = _zips.get(path)
    if zf is None:
        if len(_zips) > 8:
            for old in _zips.values():
                old.close()
            _zips.clear()
        zf, _ = open_zip(path, _limits)
        _zips[path] = zf
    return zf


def process(item: WorkItem) -> WorkResult:
    t0 = time.perf_counter()
    res = WorkResult(item_id=item.item_id, ok=False)
    name = item.member or item.source
    try:
        with _deadline(item.seconds):
            _process(item, res)
        res.ok = True
    except _Timeout:
        res.error = f"{Path(name).name}: took longer than {item.seconds:.0f} s; skipped"
    except MemoryError:
        res.error = f"{Path(name).name}: needs more memory than the import allows; skipped"
    except LibraryError as exc:
        res.error = str(exc)
    except Exception as exc:  # a bug or a file nobody foresaw: report, go on
        log.exception("unexpected error on %s", name)
        res.error = f"{Path(name).name}: unexpected error ({type(exc).__name__}: {exc})"
    res.seconds = time.perf_counter() - t0
    return res


def _process(item: WorkItem, res: WorkResult) -> None:
    store = Store(Path(item.store_root))
    if item.member:
        zf = _zip(item.source)
        info = zf.getinfo(item.member)
        data = read_member(zf, info)
        res.blob_hash, res.size = store.put_bytes(data), len(data)
        if analyse.format_of(item.member) in analyse.GCODE_FORMATS:
            a = analyse.analyse_path(store.path_of(res.blob_hash), _limits, name=item.member)
        else:
            a = analyse.analyse_bytes(data, item.member, _limits)
    else:
        path = Path(item.source)
        size = path.stat().st_size
        if size > _limits.max_file_bytes:
            raise ResourceLimitError(f"{path.name}: {size} bytes is over the limit")
        fmt = analyse.format_of(path.name)
        if fmt in analyse.GCODE_FORMATS:      # big: streamed in, read at its ends
            with path.open("rb") as fh:
                res.blob_hash, res.size = store.put_stream(fh)
            a = analyse.analyse_path(path, _limits)
        else:                                  # read once: hashed, stored, parsed
            data = path.read_bytes()
            res.blob_hash, res.size = store.put_bytes(data), len(data)
            a = analyse.analyse_bytes(data, path.name, _limits)
    if a.thumbnail_png:
        store.put_thumbnail(res.blob_hash, a.thumbnail_png)
    d = asdict(a)
    d.pop("thumbnail_png")
    d["has_thumbnail"] = a.thumbnail_png is not None
    res.analysis = d


__all__ = ["WorkItem", "WorkResult", "init_worker", "process"]
