"""How the outbox transport reads the marketplace's answers, and what it does
with an item of the wrong shape (no network needed for these)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reviews.http_transport import HttpTransport, outcome_of
from reviews.outbox import Outbox
from reviews.sender import Delivered, Rejected, TransientError


def answer(status: int, body: object = None) -> httpx.Response:
    return httpx.Response(status, json=body) if body is not None else httpx.Response(status)


def test_answers_map_to_outcomes() -> None:
    assert outcome_of(answer(201, {"id": 3})) == Delivered({"id": 3})
    for status in (401, 408, 425, 429, 500, 502, 503):
        with pytest.raises(TransientError):
            outcome_of(answer(status, {"title": "x"}))
    invalid = outcome_of(answer(422, {
        "title": "Unprocessable content", "detail": "the request is not valid",
        "errors": [{"loc": ["body", "nozzle_diameter"], "msg": "less than or equal to 3"}]}))
    assert isinstance(invalid, Rejected) and invalid.fixable
    assert invalid.reason == ("the request is not valid: nozzle_diameter: "
                              "less than or equal to 3")
    # A conflict with what the service holds cannot be fixed by resending.
    for status, code in ((409, "receipt_used"), (404, "not_found"), (403, "forbidden")):
        refused = outcome_of(answer(status, {"title": "No", "detail": code}))
        assert isinstance(refused, Rejected) and not refused.fixable and refused.reason == code


def test_an_item_of_the_wrong_shape_is_rejected_as_fixable(outbox: Outbox,
                                                           tmp_path: Path) -> None:
    transport = HttpTransport("http://127.0.0.1:9")  # never reached
    try:
        outcome = transport.send(outbox.add("review", {"stars": 5}))
        assert isinstance(outcome, Rejected) and outcome.fixable
        assert "model_id" in outcome.reason
        unknown = transport.send(outbox.add("telepathy", {}))
        assert isinstance(unknown, Rejected) and not unknown.fixable
    finally:
        transport.close()
