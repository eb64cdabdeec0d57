from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from printers import schema
from printers.store import PrinterStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[PrinterStore]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'l.db'}")
    schema.metadata.create_all(engine)
    sessions: sessionmaker[Any] = sessionmaker(engine, expire_on_commit=False)
    yield PrinterStore(sessions)
    engine.dispose()


def write_gcode(path: Path, moves: int, *, layers: int = 5, extra: str = "") -> list[str]:
    """A small print: header, ``moves`` G1 lines over ``layers`` layers; the
    commands the printer should execute, in order."""
    lines = [";FLAVOR:Marlin", f";LAYER_COUNT:{layers}", "M104 S200 ; hotend", "G28",
             "", "M109 S200"]
    per = max(1, moves // layers)
    for i in range(moves):
        if i % per == 0:
            lines.append(f";LAYER:{i // per}")
        lines.append(f"G1 X{i % 100}.{i % 10} Y{(i * 7) % 100}.5 E{i * 0.02:.3f} ; move {i}")
    if extra:
        lines += extra.splitlines()
    lines.append("M104 S0")
    path.write_text("\n".join(lines) + "\n")
    return [ln.split(";")[0].strip() for ln in lines if ln.split(";")[0].strip()]
