"""The outbox under faults, against the real marketplace behind a fault proxy:
the service down, answering 500, timing out, dropping the connection after
committing; and the sending process killed and restarted.  200 submissions
end as exactly 200 items on the service: none twice, none lost."""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy.engine import Engine

from reviews.http_transport import HttpTransport
from reviews.outbox import Attachment, OutboxItem, State
from reviews.sender import Backoff, OutboxSender
from reviews.service import FinishedJob, ReviewsService
from tests.helpers.fault_proxy import FaultProxy, Faults
from tests.helpers.marketplace_server import PASSWORD, ROOT, MarketplaceProcess

TOTAL = 200
FAST = Backoff(base=0.02, cap=0.3)
SHORT = httpx.Timeout(5.0, read=0.6)


def small_photo(service: ReviewsService, tmp_path: Path, n: int) -> Attachment:
    rnd = random.Random(n)
    img = Image.new("RGB", (48, 36), (rnd.randrange(256), rnd.randrange(256), 90))
    for _ in range(6):
        x, y = rnd.randrange(40), rnd.randrange(28)
        img.paste((rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)),
                  (x, y, x + 8, y + 8))
    buf = io.BytesIO()
    img.save(buf, "JPEG")
    path = tmp_path / f"photo-{n}.jpg"
    path.write_bytes(buf.getvalue())
    return service.prepare_photos([path])[0]


def submissions(service: ReviewsService, model: int, tmp_path: Path,
                numbers: range) -> list[OutboxItem]:
    """Receipts of finished prints; every tenth also reviewed, with a small
    photo, carrying its receipt: 9 receipts + 1 review per 10 numbers."""
    out = []
    now = datetime.now(UTC)
    for n in numbers:
        if n % 10 == 9:
            receipt = out[-1]
            out.append(service.submit_review(
                model_id=model, profile_id=None, rating=1 + n % 5,
                description=f"submission {n}: printed fine", receipt_item_id=receipt.id,
                photos=[small_photo(service, tmp_path, n)]))
            continue
        item = service.record_print(FinishedJob(
            file_sha256=f"{n:064x}", printer_kind="marlin-serial", firmware="Marlin",
            started_at=now - timedelta(hours=1), ended_at=now - timedelta(seconds=n + 1),
            state="completed", lines_confirmed=n, title=f"print {n}", job_id=n), hold=0)
        assert item is not None
        out.append(item)
    return out


def assert_exactly_once(market: MarketplaceProcess, account: int,
                        items: list[OutboxItem], service: ReviewsService) -> None:
    assert service.outbox.counts()[State.DELIVERED] == TOTAL
    receipt_ids = sorted(i.payload["receipt"]["receipt_id"] for i in items
                         if i.kind == "receipt")
    held = market.query("SELECT receipt_id FROM receipts WHERE account_id = ? "
                        "ORDER BY receipt_id", account)
    assert [r[0] for r in held] == receipt_ids
    reviews = market.query("SELECT description, receipt_id FROM reviews WHERE author_id = ?",
                           account)
    expected = {i.payload["description"]: i.payload["receipt"]["receipt"]["receipt_id"]
                for i in items if i.kind == "review"}
    assert len(reviews) == len(expected) == TOTAL // 10, "a review arrived twice or not"
    assert dict(reviews) == expected
    photos = market.query("SELECT review_id FROM photos WHERE owner_id = ?", account)
    assert len(photos) == TOTAL // 10 and all(r[0] is not None for r in photos), \
        "a photo was uploaded twice (or left unattached)"
    assert len(receipt_ids) + len(expected) == TOTAL


def signed_in(service: ReviewsService, market: MarketplaceProcess) -> tuple[int, str]:
    name, account, _token = market.user("faulty")
    service.login(name, PASSWORD)
    token = service.client().token()
    assert token is not None
    return account, token


class Waiter:
    def __init__(self, service: ReviewsService) -> None:
        self.changed = threading.Condition()
        self.retries = 0
        service.outbox.add_listener(self._on)

    def _on(self, item: OutboxItem) -> None:
        with self.changed:
            if item.state is State.QUEUED and item.attempts > 0:
                self.retries += 1
            self.changed.notify_all()

    def until(self, check: Callable[[], bool], timeout: float = 180) -> None:
        with self.changed:
            assert self.changed.wait_for(check, timeout), "timed out"


def test_200_submissions_under_random_faults_and_an_outage_arrive_exactly_once(
        service: ReviewsService, marketplace: MarketplaceProcess, creator: tuple[str, int, str],
        tmp_path: Path) -> None:
    account, token = signed_in(service, marketplace)
    model = marketplace.published_model(creator[2])
    faults = Faults(error_500=0.06, stall_before=0.01, drop_after=0.06, stall_after=0.015,
                    seed=7)
    with FaultProxy(marketplace.url, faults=faults, stall_seconds=1.2) as proxy:
        transport = HttpTransport(proxy.url, token=lambda: token, timeout=SHORT)
        sender = OutboxSender(service.outbox, transport, backoff=FAST, rng=random.Random(3),
                              idle_wait=0.5)
        waiter = Waiter(service)
        sender.start()
        items: list[OutboxItem] = []
        try:
            for start in range(0, TOTAL, 10):
                items += submissions(service, model, tmp_path, range(start, start + 10))
                sender.wake()
                if start == 120:
                    # The service goes down for a while, then comes back.
                    waiter.until(lambda: service.outbox.counts()[State.DELIVERED] >= 100)
                    proxy.stop()
                    with waiter.changed:
                        wanted = waiter.retries + 3
                    waiter.until(lambda: waiter.retries >= wanted)  # noqa: B023
                    proxy.start()
                    sender.wake()
            waiter.until(lambda: service.outbox.counts()[State.DELIVERED] == TOTAL)
        finally:
            assert sender.stop()
            transport.close()
        seen = {f for _m, _p, _k, f, _s in proxy.requests if f}
    assert {"error_500", "drop_after", "stall_after"} <= seen
    assert any(i.attempts > 1 for i in service.outbox.items())
    assert_exactly_once(marketplace, account, items, service)


def start_worker(db_path: Path, url: str, token: str) -> subprocess.Popen[str]:
    env = dict(os.environ, LAYERLINE_TEST_TOKEN=token)
    env.pop("LAYERLINE_BLOCK_QT", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.outbox_worker", str(db_path), url, str(TOTAL)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # blocks until the worker is up (or died)
    assert line.startswith("ready"), (line, proc.stderr.read() if proc.stderr else "")
    return proc


def test_a_sending_process_killed_mid_request_and_restarted_delivers_each_item_once(
        service: ReviewsService, marketplace: MarketplaceProcess, creator: tuple[str, int, str],
        engine: Engine, tmp_path: Path) -> None:
    account, token = signed_in(service, marketplace)
    model = marketplace.published_model(creator[2])
    db_path = Path(str(engine.url.database))
    items = submissions(service, model, tmp_path, range(0, 100))
    faults = Faults(error_500=0.04, drop_after=0.04, seed=11)
    kill_at = {60, 140}  # the n-th request the service committed
    killed: list[str | None] = []
    current: list[subprocess.Popen[str]] = []
    committed = [0]

    def on_committed(method: str, path: str, key: str | None) -> None:
        # Committed on the service, the answer not yet written back: kill it.
        committed[0] += 1
        if committed[0] in kill_at and current:
            killed.append(key)  # before the kill: the test wakes up when it dies
            os.kill(current[-1].pid, signal.SIGKILL)
            current[-1].wait(timeout=30)

    with FaultProxy(marketplace.url, faults=faults) as proxy:
        proxy.on_committed = on_committed
        try:
            for round_ in range(3):
                proc = start_worker(db_path, proxy.url, token)
                current.append(proc)
                if round_ == 0:  # written while the other process sends
                    items += submissions(service, model, tmp_path, range(100, TOTAL))
                rc = proc.wait(timeout=300)
                if rc == 0:
                    break
                assert rc == -signal.SIGKILL
                # The item being sent when the process died is still `sending`.
                sending = service.outbox.items([State.SENDING])
                assert len(sending) == 1 and len(killed) == round_ + 1
                assert killed[-1] is not None
                assert killed[-1].startswith(sending[0].idempotency_key)
            else:
                pytest.fail("the sender did not finish after two restarts")
        finally:
            for p in current:
                if p.poll() is None:
                    p.kill()
                    p.wait(timeout=30)
                for stream in (p.stdout, p.stderr):
                    if stream:
                        stream.close()
        requests = list(proxy.requests)
    assert len(killed) == 2
    # The requests caught mid-way were sent again with the same key, and
    # answered from the service's stored first answer.
    for key in killed:
        assert sum(1 for _m, _p, k, _f, s in requests if k == key and s) >= 2
    assert_exactly_once(marketplace, account, items, service)
