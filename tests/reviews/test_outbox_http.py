"""The outbox over real HTTP on 127.0.0.1, against tests/helpers' honest fake
marketplace: faults, outages, and a sending process killed mid-request."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from app import db
from reviews.http_transport import HttpTransport
from reviews.outbox import Attachment, Outbox, OutboxItem, State
from reviews.sender import Backoff, OutboxSender, TransientError
from tests.helpers.fake_marketplace import FakeMarketplace, Faults, Record
from tests.helpers.proc import ROOT

FAST = Backoff(base=0.02, cap=0.3)
SHORT = httpx.Timeout(2.0, read=0.5)


@pytest.fixture
def market() -> Iterator[FakeMarketplace]:
    with FakeMarketplace() as fake:
        yield fake


class Waiter:
    def __init__(self, outbox: Outbox) -> None:
        self.changed = threading.Condition()
        self.retries = 0
        outbox.add_listener(self._on)

    def _on(self, item: OutboxItem) -> None:
        with self.changed:
            if item.state is State.QUEUED and item.attempts:
                self.retries += 1
            self.changed.notify_all()

    def until(self, predicate, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
        with self.changed:
            assert self.changed.wait_for(predicate, timeout), "timed out"


def send_all(outbox: Outbox, transport: HttpTransport) -> None:
    OutboxSender(outbox, transport, backoff=FAST).run_until_idle()


def test_an_item_is_delivered_with_its_key_and_the_answer_kept(
        outbox: Outbox, market: FakeMarketplace) -> None:
    market.token = "t0k"
    transport = HttpTransport(market.url, token=lambda: "t0k", timeout=SHORT)
    item = outbox.add("review", {"rating": 5, "text": "Schön — 完璧, twenty chars+"})
    send_all(outbox, transport)
    done = outbox.get(item.id)
    assert done.state is State.DELIVERED
    [record] = market.records
    assert record.key == item.idempotency_key and record.path == "/api/v1/reviews"
    assert record.payload == item.payload
    assert done.answer == {"id": record.id, "path": "/api/v1/reviews"}
    transport.close()


def test_photos_travel_as_multipart_and_changed_files_are_refused(
        outbox: Outbox, market: FakeMarketplace, tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8 not really a jpeg \xff\xd9")
    transport = HttpTransport(market.url, timeout=SHORT)
    item = outbox.add("review", {"n": 1}, files=[Attachment.of(photo, role="photo",
                                                               media_type="image/jpeg")])
    send_all(outbox, transport)
    assert outbox.get(item.id).state is State.DELIVERED
    assert market.records[0].files == (("photo-0.jpg", photo.read_bytes()),)
    changed = outbox.add("review", {"n": 2}, files=[Attachment.of(photo)])
    photo.write_bytes(b"something else")
    send_all(outbox, transport)
    refused = outbox.get(changed.id)
    assert refused.state is State.REJECTED and refused.fixable
    assert "changed" in (refused.last_error or "")
    assert len(market.records) == 1
    # Fixed by attaching the file again, and resent.
    outbox.edit(changed.id, files=[Attachment.of(photo)])
    outbox.requeue(changed.id)
    send_all(outbox, transport)
    assert outbox.get(changed.id).state is State.DELIVERED
    assert market.records[1].files[0][1] == b"something else"
    transport.close()


def test_a_rejection_shows_why_and_a_fixed_item_is_delivered(
        outbox: Outbox, market: FakeMarketplace) -> None:
    transport = HttpTransport(market.url, timeout=SHORT)
    fixable = outbox.add("review", {"reject": "a description needs at least 20 characters"})
    final = outbox.add("vote", {"forbid": True})
    send_all(outbox, transport)
    a, b = outbox.get(fixable.id), outbox.get(final.id)
    assert (a.state, a.fixable, a.last_error) == (
        State.REJECTED, True, "a description needs at least 20 characters")
    assert a.answer["status"] == 422
    assert (b.state, b.fixable, b.last_error) == (State.REJECTED, False, "not yours")
    outbox.edit(a.id, payload={"text": "now long enough, really"})
    outbox.requeue(a.id)
    send_all(outbox, transport)
    assert outbox.get(a.id).state is State.DELIVERED
    assert [r.payload for r in market.records] == [{"text": "now long enough, really"}]
    transport.close()


def test_not_signed_in_waits_instead_of_failing(outbox: Outbox,
                                                market: FakeMarketplace) -> None:
    market.token = "secret"
    token: list[str | None] = [None]
    transport = HttpTransport(market.url, token=lambda: token[0], timeout=SHORT)
    item = outbox.add("review", {"n": 1})
    with pytest.raises(TransientError, match="not signed in"):
        transport.send(outbox.get(item.id))
    send_all(outbox, transport)
    assert outbox.get(item.id).state is State.QUEUED
    token[0] = "secret"
    outbox.hurry()
    send_all(outbox, transport)
    assert outbox.get(item.id).state is State.DELIVERED
    transport.close()


def test_unknown_kinds_and_unreachable_services(outbox: Outbox, tmp_path: Path) -> None:
    free = FakeMarketplace().start()
    url = free.url
    free.stop()  # nothing listens there any more
    transport = HttpTransport(url, timeout=SHORT)
    item = outbox.add("review", {})
    with pytest.raises(TransientError, match="cannot be reached"):
        transport.send(outbox.get(item.id))
    odd = outbox.add("telepathy", {})
    assert transport.send(outbox.get(odd.id)).fixable is False  # type: ignore[union-attr]
    transport.close()


def assert_exactly_once(market: FakeMarketplace, outbox: Outbox, total: int) -> None:
    counts = market.payload_counts("n")
    assert sorted(counts) == list(range(total)), "lost or foreign items"
    assert set(counts.values()) == {1}, "an item arrived twice"
    by_n = {r.payload["n"]: r for r in market.records}
    items = outbox.items()
    assert len(items) == total
    for item in items:
        assert item.state is State.DELIVERED
        record: Record = by_n[item.payload["n"]]
        assert record.key == item.idempotency_key
        assert item.answer == {"id": record.id, "path": record.path}


def test_200_submissions_under_random_faults_and_an_outage_arrive_exactly_once(
        outbox: Outbox, market: FakeMarketplace) -> None:
    market.faults = Faults(error_500=0.08, drop_before=0.05, drop_after=0.08,
                           stall_before=0.01, stall_after=0.02, stall_seconds=1.0, seed=7)
    transport = HttpTransport(market.url, timeout=SHORT)
    sender = OutboxSender(outbox, transport, backoff=FAST, rng=random.Random(3))
    waiter = Waiter(outbox)
    sender.start()
    try:
        for n in range(200):
            outbox.add("review", {"n": n, "text": f"submission {n}"})
            sender.wake()
            if n == 120:
                # The service goes down for a while, then comes back on the same port.
                market.wait_for_records(60, 120)
                market.stop()
                with waiter.changed:
                    wanted = waiter.retries + 3
                waiter.until(lambda: waiter.retries >= wanted)  # noqa: B023 (used at once)
                market.start()
                sender.wake()
        waiter.until(lambda: outbox.counts()[State.DELIVERED] == 200)
    finally:
        assert sender.stop()
        transport.close()
    assert_exactly_once(market, outbox, 200)
    faults = [f for _k, _p, f in market.requests if f]
    # The faults really happened, including after-commit losses answered
    # later from the stored first answer.
    assert {"error_500", "drop_before", "drop_after", "stall_after"} <= set(faults)
    assert len(market.requests) > 200
    assert any(i.attempts > 1 for i in outbox.items())


def start_worker(db_path: Path, url: str, total: int) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.pop("LAYERLINE_BLOCK_QT", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.outbox_worker", str(db_path), url, str(total)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # blocks until the worker is up (or died)
    assert line.startswith("ready"), (line, proc.stderr.read() if proc.stderr else "")
    return proc


@pytest.mark.slow
def test_a_sender_killed_mid_request_and_restarted_delivers_each_item_once(
        engine: Engine, tmp_path: Path) -> None:
    total = 200
    db_path = Path(str(engine.url.database))
    outbox = Outbox(db.session_factory(engine))
    faults = Faults(error_500=0.05, drop_before=0.03, drop_after=0.05, stall_after=0.02,
                    stall_seconds=1.0, seed=11)
    kill_at = {60, 140}
    killed: list[int] = []
    with FakeMarketplace(faults=faults) as market:
        current: list[subprocess.Popen[str]] = []

        def on_commit(record: Record) -> None:
            # Committed on the service, answer not yet written: kill the sender.
            if record.id in kill_at and current:
                os.kill(current[-1].pid, signal.SIGKILL)
                killed.append(record.id)

        market.on_commit = on_commit
        for n in range(100):
            outbox.add("review", {"n": n})
        for round_ in range(3):
            proc = start_worker(db_path, market.url, total)
            current.append(proc)
            if round_ == 0:
                for n in range(100, total):  # written while the other process sends
                    outbox.add("review", {"n": n})
            rc = proc.wait(timeout=300)
            if rc == 0:
                break
            assert rc == -signal.SIGKILL
            # The item being sent when the process died is still `sending`.
            sending = outbox.items([State.SENDING])
            assert len(sending) == 1
            committed = next(r for r in market.records if r.id == killed[-1])
            assert sending[0].idempotency_key == committed.key
        else:
            pytest.fail("the sender did not finish after two restarts")
        for p in current:
            if p.stdout:
                p.stdout.close()
            if p.stderr:
                p.stderr.close()
    assert killed == [60, 140]
    assert_exactly_once(market, outbox, total)
    # The two items caught mid-request were sent again with the same key.
    for record_id in killed:
        key = market.records[record_id - 1].key
        assert sum(1 for k, _p, _f in market.requests if k == key) >= 2
