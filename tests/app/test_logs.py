from __future__ import annotations

import json
import logging

import pytest

from app import logs


@pytest.fixture
def restore_logging():  # type: ignore[no-untyped-def]
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in saved[0]:
        root.addHandler(h)
    root.setLevel(saved[1])


def test_secrets_are_masked_everywhere(restore_logging, capsys) -> None:  # type: ignore[no-untyped-def]
    ring = logs.setup(json_logging=True)
    logging.getLogger("layerline.test").warning("calling with X-Api-Key: ABCDEF123456 now")
    logging.getLogger("layerline.test").warning("Authorization: Bearer tok.en-123")
    err = capsys.readouterr().err
    assert "ABCDEF123456" not in err and "tok.en-123" not in err
    assert "ABCDEF123456" not in ring.tail()
    first = json.loads(err.splitlines()[0])
    assert first["logger"] == "layerline.test" and first["level"] == "WARNING"


def test_ring_buffer_keeps_the_last_lines_and_notifies() -> None:
    ring = logs.RingBuffer(capacity=3)
    seen: list[str] = []
    ring.subscribe(seen.append)
    logger = logging.getLogger("layerline.ringtest")
    logger.addHandler(ring)
    logger.setLevel(logging.INFO)
    try:
        for i in range(5):
            logger.info("line %d", i)
    finally:
        logger.removeHandler(ring)
    assert [line.rsplit(" ", 1)[1] for line in ring.lines()] == ["2", "3", "4"]
    assert len(seen) == 5


def test_gcode_traffic_is_off_by_default(restore_logging) -> None:  # type: ignore[no-untyped-def]
    ring = logs.setup()
    logging.getLogger(logs.GCODE_LOGGER).info("N1 G28*18")
    assert "G28" not in ring.tail()
    ring = logs.setup(gcode_traffic=True)
    logging.getLogger(logs.GCODE_LOGGER).info("N1 G28*18")
    assert "G28" in ring.tail()
