"""Library benchmark: ``python bench/library_import.py [--small] [--skip-1m]``.

Prints, in one run:

1. import throughput (MB/s, triangles/s) of Layerline's importer (hash, store,
   numpy facts, z-buffer thumbnail, database; two worker processes) next to a
   single-threaded importer that uses ``trimesh.load`` with its default
   processing for the same facts and thumbnail, on the same generated corpus
   of STL and 3MF files (1k to 500k triangles);
2. the thumbnail time per model at 10k, 100k and 500k triangles;
3. search p50/p99 at 100k and 1M catalogue rows for type-ahead prefix
   queries (1-3 letters included), with filters and sorts;
4. the time to the first painted main window with 100k models in the
   library, next to the same on an empty library.

Ratios are against anchors measured in the same run.  Not a test: no
assertions; the figures go in reports.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from library import catalog, mesh, samples, schema, search, thumbnail  # noqa: E402
from library.importer import Importer, import_paths  # noqa: E402
from library.store import Store  # noqa: E402


# -- corpus ------------------------------------------------------------
def make_corpus(folder: Path, small: bool) -> tuple[int, int]:
    rng = random.Random(42)
    folder.mkdir(parents=True, exist_ok=True)
    plan = ([(rng.randint(1_000, 20_000), i) for i in range(60 if small else 200)]
            + [(rng.randint(50_000, 100_000), i) for i in range(3 if small else 16)]
            + [(rng.randint(200_000, 500_000), i) for i in range(1 if small else 5)]
            + [(500_000, 999)])
    total_tris = total_bytes = 0
    for k, (n, i) in enumerate(plan):
        v, f = samples.sphere_with_triangles(n, radius=10 + (k % 37))
        v = v + np.float32(k * 0.001)          # every file distinct content
        if k % 5 == 0:
            data = samples.threemf(v, f)
            name = f"part_{k:04}_{i}.3mf"
        else:
            data = samples.stl_binary(v, f)
            name = f"part_{k:04}_{i}.stl"
        (folder / name).write_bytes(data)
        total_tris += len(f)
        total_bytes += len(data)
    return total_tris, total_bytes


# -- the trimesh anchor ------------------------------------------------
def trimesh_import(folder: Path, store_root: Path) -> float:
    import trimesh

    store = Store(store_root)
    t0 = time.perf_counter()
    for p in sorted(folder.iterdir()):
        data = p.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        store.put_bytes(data)
        m = trimesh.load(str(p), force="mesh")          # default processing
        facts = (len(m.faces), m.extents.tolist(), m.volume, m.area, m.is_watertight,
                 m.body_count)
        tris = np.asarray(m.triangles, dtype=np.float32)
        png = thumbnail.to_png(thumbnail.render(mesh.Mesh(tris)))
        store.put_thumbnail(digest, png)
        del facts
    return time.perf_counter() - t0


def layerline_import(folder: Path, base: Path) -> float:
    from tests.library.conftest import make_engine


    base.mkdir(parents=True, exist_ok=True)
    engine = make_engine(base / "lib.db")

    @sa.event.listens_for(engine, "connect")
    def _as_the_app(dbapi: Any, _rec: object) -> None:
        dbapi.execute("PRAGMA synchronous=NORMAL")  # as app/db.py opens it

    schema.create_all(engine)
    imp = Importer(engine, Store(base / "store"), workers=2)
    t0 = time.perf_counter()
    report = import_paths(imp, [folder])
    seconds = time.perf_counter() - t0
    failed = report.count("failed")
    if failed:
        print(f"  (!) {failed} failed: {report.lines[0].error}")
    engine.dispose()
    return seconds


# -- thumbnails ----------------------------------------------------------
def thumbnail_times() -> dict[int, float]:
    out = {}
    for n in (10_000, 100_000, 500_000):
        m = mesh.parse_stl(samples.stl_binary(*samples.sphere_with_triangles(n)))
        thumbnail.render(m)  # warm
        runs = []
        for _ in range(5):
            t = time.perf_counter()
            thumbnail.render(m)
            runs.append(time.perf_counter() - t)
        out[m.count] = statistics.median(runs)
    return out


# -- catalogue ------------------------------------------------------------
WORDS = None


def vocabulary(rng: random.Random) -> list[str]:
    syll = ["ba", "be", "bo", "ca", "ce", "co", "da", "de", "fa", "ga", "ha", "ka", "la", "le",
            "ma", "mo", "na", "pa", "ra", "sa", "ta", "to", "va", "za", "ri", "ni", "lo", "ku"]
    words = {"benchy", "bracket", "clip", "hook", "vase", "gear", "box", "lid", "case",
             "holder", "stand", "mount", "knob", "spool", "cube", "tower", "dragon", "frog"}
    while len(words) < 3000:
        words.add("".join(rng.choice(syll) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def fill_catalogue(engine: object, rows: int, seed: int = 1) -> None:
    """Bulk rows straight into lib_model (FTS kept by its triggers)."""
    rng = random.Random(seed)
    words = vocabulary(rng)
    weights = [1 / (i + 1) for i in range(len(words))]   # Zipf-like: common words exist
    creators = [f"maker{i}" for i in range(5000)]
    licences = ["", "CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0", "MIT", "CC0-1.0"]
    fmts = ["stl", "stl", "stl", "3mf", "3mf", "obj", "gcode"]
    now = time.time()
    batch = 50_000
    with engine.begin() as conn:  # type: ignore[attr-defined]
        raw = conn.connection.driver_connection
        raw.execute("DROP TRIGGER lib_model_fts_ai")   # bulk: index once at the end
        start = raw.execute("SELECT coalesce(max(id), 0) FROM lib_model").fetchone()[0]
        for lo in range(0, rows, batch):
            vals = []
            for i in range(lo, min(rows, lo + batch)):
                title = " ".join(rng.choices(words, weights, k=rng.randint(1, 4))).title()
                desc = " ".join(rng.choices(words, weights, k=rng.randint(3, 12)))
                creator = rng.choice(creators)
                fmt = rng.choice(fmts)
                text = f"{title} {desc} {creator} {title.lower().replace(' ', '_')}.{fmt}"
                pc = rng.choice([0, 0, 0, 1, 2, 5])
                lic = rng.choice(licences)
                facets = catalog.facet_tokens(fmt, lic, pc)
                folded = catalog.fold(text)
                vals.append((start + i + 1, title, catalog.fold(title), desc, lic,
                             creator, now - rng.random() * 3e7, now, fmt,
                             rng.randint(10_000, 50_000_000), rng.randint(12, 2_000_000), pc,
                             rng.randint(0, pc), f" {folded} {facets} ",
                             catalog.prefix_mask(folded)))
            raw.executemany(
                "INSERT INTO lib_model (id, title, title_sort, description, category, licence, "
                "origin, creator, attribution, source_url, notes, created_at, updated_at, "
                "primary_format, total_size, triangles, print_count, success_count, search_text, "
                "prefix_mask) "
                "VALUES (?, ?, ?, ?, '', ?, 'imported', ?, '', '', '', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                vals)
    with engine.begin() as conn:  # type: ignore[attr-defined]
        conn.exec_driver_sql(schema.FTS_DDL[1])           # the trigger back
        conn.exec_driver_sql("INSERT INTO lib_fts(lib_fts) VALUES ('rebuild')")
        conn.exec_driver_sql("INSERT INTO lib_fts(lib_fts) VALUES ('optimize')")
        conn.exec_driver_sql("ANALYZE")


def search_latencies(engine: object, rng: random.Random) -> dict[str, tuple[float, float]]:
    words = vocabulary(random.Random(1))
    common = words[:40]
    queries: dict[str, list[search.Query]] = {
        "1 letter": [search.Query(rng.choice("bcdfghklmnprstvz")) for _ in range(150)],
        "2 letters": [search.Query(rng.choice(common)[:2]) for _ in range(150)],
        "3 letters": [search.Query(rng.choice(common)[:3]) for _ in range(150)],
        "rare word": [search.Query(rng.choice(words[1500:])[:5]) for _ in range(150)],
        "two words": [search.Query(f"{rng.choice(common)} {rng.choice(words)[:3]}")
                      for _ in range(150)],
        "3 letters + format + licence": [
            search.Query(rng.choice(common)[:3], search.Filters(format="3mf", licence="MIT"))
            for _ in range(150)],
        "3 letters, newest first": [search.Query(rng.choice(common)[:3], sort="added",
                                                 descending=True) for _ in range(150)],
        "2 letters, by size, printed": [
            search.Query(rng.choice(common)[:2], search.Filters(printed=True), sort="size")
            for _ in range(150)],
        "no text, filter + sort": [search.Query("", search.Filters(format="obj"),
                                                sort="triangles", descending=True)
                                   for _ in range(150)],
    }
    out = {}
    with engine.connect() as conn:  # type: ignore[attr-defined]
        for label, qs in queries.items():
            for q in qs[:10]:
                search.search(conn, q, 100)   # warm the page cache
            times = []
            for q in qs:
                t = time.perf_counter()
                search.search(conn, q, 100)
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            out[label] = (times[len(times) // 2], times[int(len(times) * 0.99) - 1])
    return out


def first_paint(basedir: Path) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LAYERLINE_NO_KEYRING="1")
    shot = basedir / "shot.png"
    res = subprocess.run([sys.executable, "-m", "app", "--basedir", str(basedir),
                          "--json-logging", "--no-error-dialogs", "--screenshot", str(shot)],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
                         check=False)
    for line in res.stderr.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("event") == "first-paint":
            return float(rec["message"].split()[2])
    raise SystemExit(f"no first-paint event: {res.stderr[-1500:]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true", help="a smaller corpus (quick check)")
    ap.add_argument("--skip-1m", action="store_true", help="skip the 1M-row search")
    ap.add_argument("--only", choices=("import", "thumbnails", "search", "window"),
                    help="run one part only")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="layerline-bench-"))
    try:
        print(f"machine: {os.cpu_count()} cores; temp {tmp}")
        def want(part: str) -> bool:
            return args.only in (None, part)

        if want("import"):
            run_import(tmp, args.small)
        if want("thumbnails"):
            print("\n== thumbnail per model (median of 5)")
            for n, t in thumbnail_times().items():
                print(f"  {n:>8,} triangles  {t * 1000:7.1f} ms")
        if want("search"):
            run_search(tmp, args.skip_1m)
        if want("window"):
            run_window(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_import(tmp: Path, small: bool) -> None:
    corpus = tmp / "corpus"
    tris, nbytes = make_corpus(corpus, small)
    files = len(list(corpus.iterdir()))
    print(f"\n== import: {files} files (STL and 3MF), {tris:,} triangles, "
          f"{nbytes / 1e6:.1f} MB")
    t_ll = layerline_import(corpus, tmp / "ll")
    t_tm = trimesh_import(corpus, tmp / "tm")
    for name, t in (("layerline (2 processes, numpy)", t_ll),
                    ("trimesh.load, single-threaded", t_tm)):
        print(f"  {name:<34} {t:7.2f} s  {nbytes / 1e6 / t:7.1f} MB/s  "
              f"{tris / t / 1e6:6.2f} M triangles/s")
    print(f"  speed-up over the trimesh importer: {t_tm / t_ll:.2f}x")


def run_search(tmp: Path, skip_1m: bool) -> None:
    from tests.library.conftest import make_engine


    sizes = [100_000] + ([] if skip_1m else [1_000_000])
    for rows in sizes:
        db = tmp / f"cat{rows}.db"
        engine = make_engine(db)
        schema.create_all(engine)
        t = time.perf_counter()
        fill_catalogue(engine, rows)
        print(f"\n== search at {rows:,} rows (built in {time.perf_counter() - t:.0f} s); "
              "page of 100, ms")
        for label, (p50, p99) in search_latencies(engine, random.Random(7)).items():
            print(f"  {label:<32} p50 {p50:7.2f}   p99 {p99:7.2f}")
        engine.dispose()


def run_window(tmp: Path) -> None:
    print("\n== first painted window (offscreen)")
    from app import db as app_db

    empty = tmp / "empty-base"
    big = tmp / "big-base"
    for base in (empty, big):
        (base / "data").mkdir(parents=True)
        engine, _ = app_db.open_database(base / "data" / "layerline.db")
        if base is big:
            fill_catalogue(engine, 100_000)
        engine.dispose()
    first_paint(empty)  # warm the disk cache for Python and Qt
    e = statistics.median(first_paint(empty) for _ in range(3))
    b = statistics.median(first_paint(big) for _ in range(3))
    print(f"  empty library      {e:6.3f} s")
    print(f"  100,000 models     {b:6.3f} s   ({b / e:.2f}x the empty library)")


if __name__ == "__main__":
    main()
