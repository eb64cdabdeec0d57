"""Running the real app as a subprocess (end-to-end tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def layerline(
    *args: str,
    basedir: Path | None = None,
    timeout: float = 120,
    env: dict[str, str] | None = None,
    input: str | None = None,
    prefix: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m app`` with ``args`` and capture its output."""
    cmd = [*prefix, sys.executable, "-m", "app"]
    if basedir is not None:
        cmd += ["--basedir", str(basedir)]
    cmd += list(args)
    full_env = dict(os.environ)
    full_env.setdefault("QT_QPA_PLATFORM", "offscreen")
    full_env["LAYERLINE_NO_KEYRING"] = "1"
    full_env.pop("LAYERLINE_BLOCK_QT", None)
    if env:
        full_env.update(env)
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=full_env, cwd=ROOT, input=input,
        check=False,
    )
