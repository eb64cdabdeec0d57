"""The outbox's store: states, keys, edits, recovery, listeners."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from app import db
from reviews.errors import OutboxError
from reviews.outbox import Attachment, Outbox, OutboxItem, State


def test_an_added_item_is_queued_with_its_own_key(outbox: Outbox) -> None:
    seen: list[OutboxItem] = []
    outbox.add_listener(seen.append)
    a = outbox.add("review", {"rating": 5, "text": "Schön — 完璧"}, title="Benchy")
    b = outbox.add("review", {"rating": 4})
    assert a.state is State.QUEUED and a.attempts == 0
    assert uuid.UUID(a.idempotency_key) and a.idempotency_key != b.idempotency_key
    assert outbox.get(a.id).payload == {"rating": 5, "text": "Schön — 完璧"}
    assert outbox.get(a.id).title == "Benchy"
    assert [i.id for i in seen] == [a.id, b.id]
    assert [i.id for i in outbox.items()] == [b.id, a.id]  # newest first
    assert outbox.counts() == {State.QUEUED: 2, State.SENDING: 0, State.DELIVERED: 0,
                               State.REJECTED: 0}


def test_bad_items_are_refused(outbox: Outbox) -> None:
    with pytest.raises(OutboxError):
        outbox.add("review", {"x": object()})
    with pytest.raises(OutboxError):
        outbox.add("review", {"x": float("nan")})
    with pytest.raises(OutboxError):
        outbox.add("no such kind!", {})
    with pytest.raises(OutboxError):
        outbox.get(999)
    assert outbox.items() == []


def test_attachments_are_kept_in_order_with_their_hashes(outbox: Outbox,
                                                         tmp_path: Path) -> None:
    paths = []
    for i in range(3):
        p = tmp_path / f"p{i}.jpg"
        p.write_bytes(bytes([i]) * 100)
        paths.append(p)
    files = [Attachment.of(p, role="photo", media_type="image/jpeg") for p in paths]
    item = outbox.add("review", {}, files=files)
    assert outbox.get(item.id).files == tuple(files)
    assert files[1].size == 100 and len(files[1].sha256) == 64
    with pytest.raises(OutboxError):
        Attachment.of(tmp_path / "missing.jpg")


def test_claiming_is_atomic_across_threads(outbox: Outbox) -> None:
    ids = {outbox.add("vote", {"n": i}).id for i in range(60)}
    claimed: list[int] = []
    guard = threading.Lock()

    def worker() -> None:
        while (item := outbox.claim_next()) is not None:
            with guard:
                claimed.append(item.id)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(claimed) == sorted(ids)  # each exactly once
    assert outbox.counts()[State.SENDING] == 60


def test_an_item_left_sending_is_retried_with_the_same_key(engine: Engine) -> None:
    first = Outbox(db.session_factory(engine))
    item = first.add("receipt", {"receipt": {}})
    claimed = first.claim_next()
    assert claimed is not None and claimed.state is State.SENDING and claimed.attempts == 1
    # The process dies here.  A new one starts on the same database:
    again = Outbox(db.session_factory(engine))
    assert again.recover() == [item.id]
    back = again.get(item.id)
    assert back.state is State.QUEUED and back.idempotency_key == item.idempotency_key
    assert back.attempts == 1
    assert again.claim_next() == again.get(item.id)


def test_rejected_items_keep_the_reason_can_be_edited_and_requeued(outbox: Outbox) -> None:
    item = outbox.add("review", {"text": "short"})
    claimed = outbox.claim_next()
    assert claimed is not None
    rejected = outbox.mark_rejected(claimed, "the description needs 20 characters",
                                    fixable=True, answer={"status": 422})
    assert rejected.state is State.REJECTED and rejected.fixable is True
    assert rejected.last_error == "the description needs 20 characters"
    assert rejected.answer == {"status": 422}
    edited = outbox.edit(item.id, payload={"text": "a much longer description"})
    assert edited.state is State.REJECTED and edited.last_error is not None
    again = outbox.requeue(item.id)
    assert again.state is State.QUEUED and again.attempts == 0 and again.last_error is None
    assert again.idempotency_key != item.idempotency_key
    assert again.payload == {"text": "a much longer description"}


def test_only_unsent_or_rejected_items_can_change(outbox: Outbox) -> None:
    fresh = outbox.add("review", {"v": 1})
    assert outbox.edit(fresh.id, payload={"v": 2}, title="t").payload == {"v": 2}
    claimed = outbox.claim_next()
    assert claimed is not None
    with pytest.raises(OutboxError, match="sending"):
        outbox.edit(fresh.id, payload={"v": 3})
    tried = outbox.mark_retry(claimed, "timeout", delay=60)
    # Tried once: the service may hold it already, so it is frozen.
    assert tried.state is State.QUEUED and tried.attempts == 1
    with pytest.raises(OutboxError, match="after 1 attempt"):
        outbox.edit(fresh.id, payload={"v": 3})
    with pytest.raises(OutboxError):
        outbox.discard(fresh.id)
    with pytest.raises(OutboxError, match="not rejected"):
        outbox.requeue(fresh.id)
    assert outbox.hurry() == 1
    claimed = outbox.claim_next()
    assert claimed is not None and claimed.attempts == 2
    delivered = outbox.mark_delivered(claimed, {"id": 7})
    assert delivered.answer == {"id": 7} and delivered.last_error is None
    for change in (lambda: outbox.edit(fresh.id, payload={}),
                   lambda: outbox.requeue(fresh.id), lambda: outbox.discard(fresh.id)):
        with pytest.raises(OutboxError):
            change()
    assert outbox.get(fresh.id).payload == {"v": 2}


def test_discarding_a_rejected_item(outbox: Outbox, tmp_path: Path) -> None:
    p = tmp_path / "a.jpg"
    p.write_bytes(b"x")
    item = outbox.add("review", {}, files=[Attachment.of(p)])
    claimed = outbox.claim_next()
    assert claimed is not None
    outbox.mark_rejected(claimed, "forbidden", fixable=False)
    outbox.discard(item.id)
    assert outbox.items() == []


def test_retry_waits_until_due(outbox: Outbox) -> None:
    now = [1000.0]
    clocked = Outbox(outbox._sessions, clock=lambda: now[0])
    item = clocked.add("vote", {})
    claimed = clocked.claim_next()
    assert claimed is not None
    clocked.mark_retry(claimed, "HTTP 500", delay=30)
    assert clocked.claim_next() is None
    assert clocked.next_due_at() == 1030.0
    now[0] = 1030.0
    again = clocked.claim_next()
    assert again is not None and again.id == item.id and again.last_error == "HTTP 500"


def test_a_listener_that_raises_does_not_break_the_outbox(outbox: Outbox) -> None:
    calls: list[int] = []

    def bad(item: OutboxItem) -> None:
        calls.append(item.id)
        raise RuntimeError("listener bug")

    remove = outbox.add_listener(bad)
    item = outbox.add("vote", {})
    assert calls == [item.id]
    remove()
    outbox.add("vote", {})
    assert calls == [item.id]


def test_old_delivered_items_can_be_pruned(outbox: Outbox, tmp_path: Path) -> None:
    now = [5000.0]
    clocked = Outbox(outbox._sessions, clock=lambda: now[0])
    p = tmp_path / "a.jpg"
    p.write_bytes(b"x")
    old = clocked.add("vote", {"n": 1}, files=[Attachment.of(p)])
    claimed = clocked.claim_next()
    assert claimed is not None
    clocked.mark_delivered(claimed, {"id": 1})
    pending = clocked.add("vote", {"n": 2})
    now[0] += 1000
    recent = clocked.add("vote", {"n": 3})
    claimed = clocked.claim_next()
    assert claimed is not None and claimed.id == pending.id
    clocked.mark_delivered(claimed, {"id": 2})
    assert clocked.prune_delivered(older_than=500) == 1
    assert [i.id for i in clocked.items()] == [recent.id, pending.id]
    assert [i.id for i in clocked.items(limit=1)] == [recent.id]
    with pytest.raises(OutboxError):
        clocked.get(old.id)
