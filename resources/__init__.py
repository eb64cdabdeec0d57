"""Packaged resources: the demo library's sample models (``samples/``,
made by ``python -m resources.make_samples``)."""

from __future__ import annotations

from pathlib import Path


def samples_dir() -> Path:
    return Path(__file__).with_name("samples")
