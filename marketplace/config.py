"""Settings of one marketplace service instance."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from marketplace.ratelimit import Limit


def system_clock() -> datetime:
    return datetime.now(UTC)


class ContentCheck(Protocol):
    """Section 7: a pluggable check that may flag a model or review for a jury."""

    def flags(self, target_type: str, text: str) -> bool: ...


class NoContentCheck:
    """The default content check never flags anything."""

    def flags(self, target_type: str, text: str) -> bool:
        return False


@dataclass
class Config:
    database_url: str
    storage: Path
    auto_approve: bool = True
    launch_date: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    token_ttl: timedelta = timedelta(days=30)
    # Cheap password hashing, for tests and benchmarks only (thousands of accounts).
    fast_hashing: bool = False
    max_model_file: int = 100 * 1024 * 1024
    max_photo: int = 20 * 1024 * 1024
    escalation_interval: float = 300.0  # seconds between runs of the jury escalation job
    clock: Callable[[], datetime] = system_clock
    content_check: ContentCheck = field(default_factory=NoContentCheck)
    # Photo processing: worker processes (0: one per core, at most 2) and how many
    # photos may wait for them before uploads are refused with 503.
    photo_workers: int = 0
    photo_queue: int = 64
    # Write requests (POST/PUT/PATCH/DELETE): token buckets per account and per
    # client address (rate per second, burst); a rate of 0 turns a limit off.
    write_limit_account: Limit = field(default_factory=lambda: Limit(rate=10.0, burst=120))
    write_limit_ip: Limit = field(default_factory=lambda: Limit(rate=100.0, burst=600))
