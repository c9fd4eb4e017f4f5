"""A global budget of failed codename look-ups per minute.

Not per address: behind Tor every visitor comes from the same one. With codenames of
88 bits, a budget of a few hundred failures a minute makes guessing pointless even
for a botnet, while a person who mistypes is only asked to wait a moment.
"""

from __future__ import annotations

import threading
from collections import deque

from app.common.clock import SYSTEM_CLOCK, Clock

DEFAULT_FAILURES_PER_MINUTE = 300


class GlobalBudget:
    def __init__(self, failures_per_minute: int = DEFAULT_FAILURES_PER_MINUTE, clock: Clock = SYSTEM_CLOCK) -> None:
        self._allowed = failures_per_minute
        self._clock = clock
        self._failures: deque[float] = deque()
        self._lock = threading.Lock()

    def exhausted(self) -> bool:
        now = self._clock.monotonic()
        with self._lock:
            while self._failures and self._failures[0] <= now - 60:
                self._failures.popleft()
            return len(self._failures) >= self._allowed

    def spend(self) -> None:
        with self._lock:
            self._failures.append(self._clock.monotonic())
