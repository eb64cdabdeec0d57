"""Start-up time: process start to the first painted main window.

Prints, for an empty base directory, the median wall time from spawning
``python -m app`` to its ``first-paint`` log event, next to the median time
of ``python -c "import PySide6.QtWidgets"`` measured in the same run, and
their ratio.  Targets (issue 2): first window under 1.5 s, at most 3x the
bare import.

    .venv/bin/python bench/startup.py [--runs 7] [--xvfb] [--basedir DIR]

``--basedir`` measures an existing base directory (e.g. a big library)
instead of a fresh empty one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _env(xvfb: bool) -> dict[str, str]:
    env = dict(os.environ, LAYERLINE_NO_KEYRING="1")
    env["QT_QPA_PLATFORM"] = "xcb" if xvfb else "offscreen"
    return env


def time_import(env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import PySide6.QtWidgets"], check=True, env=env)
    return time.perf_counter() - t0


def time_first_paint(basedir: Path, env: dict[str, str], shot: Path) -> float:
    cmd = [sys.executable, "-m", "app", "--basedir", str(basedir), "--json-logging",
           "--no-error-dialogs", "--screenshot", str(shot)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    painted: float | None = None
    for line in proc.stderr:
        try:
            event = json.loads(line).get("event")
        except ValueError:
            continue
        if event == "first-paint" and painted is None:
            painted = time.perf_counter() - t0
    proc.wait(timeout=60)
    if painted is None:
        raise SystemExit(f"the app never reported its first paint (exit {proc.returncode})")
    return painted


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--xvfb", action="store_true", help="a real X window on Xvfb")
    ap.add_argument("--basedir", type=Path, help="measure this base directory")
    args = ap.parse_args()
    if args.xvfb and not os.environ.get("DISPLAY"):
        if shutil.which("xvfb-run") is None:
            raise SystemExit("xvfb-run not found")
        os.execvp("xvfb-run", ["xvfb-run", "-a", sys.executable, *sys.argv])
    env = _env(args.xvfb)
    # Warm the OS caches once for both, so neither pays for a cold disk.
    time_import(env)
    with tempfile.TemporaryDirectory(prefix="layerline-bench-") as tmp:
        shot = Path(tmp) / "shot.png"
        imports: list[float] = []
        paints: list[float] = []
        for i in range(args.runs):
            imports.append(time_import(env))
            base = args.basedir or Path(tmp) / f"empty-{i}"
            paints.append(time_first_paint(base, env, shot))
    imp = statistics.median(imports)
    paint = statistics.median(paints)
    platform = "xcb on Xvfb" if args.xvfb else "offscreen"
    what = f"base directory {args.basedir}" if args.basedir else "an empty base directory"
    print(f"platform: {platform}; {args.runs} runs each; medians; cores: {os.cpu_count()}")
    print(f"python -c 'import PySide6.QtWidgets'   {imp * 1000:8.0f} ms")
    print(f"layerline first painted window        {paint * 1000:8.0f} ms   ({what})")
    print(f"ratio first-paint / bare import       {paint / imp:8.2f} x   (target <= 3x)")
    print(f"target first window < 1500 ms:        {'met' if paint < 1.5 else 'NOT met'}")
    print(f"all first-paint runs (ms): {[round(p * 1000) for p in paints]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
