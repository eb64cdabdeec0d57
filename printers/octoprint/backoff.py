"""Exponential backoff with jitter, for reconnecting to a server that went
away.  Pure state: the caller sleeps (on an event it can interrupt)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """``next_delay()`` returns ``initial``, then doubles (times ``factor``) up to
    ``maximum``, each with plus or minus ``jitter`` relative noise so that a farm of
    printers does not reconnect in lock-step; ``reset()`` after a success."""

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 0.2
    attempts: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def next_delay(self) -> float:
        base = min(self.maximum, self.initial * (self.factor ** self.attempts))
        self.attempts += 1
        spread = base * self.jitter
        return max(0.0, base + self._rng.uniform(-spread, spread))

    def reset(self) -> None:
        self.attempts = 0
