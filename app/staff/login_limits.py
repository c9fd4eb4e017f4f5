"""What bounds login attempts: a global gate on Argon2id work, and a pause on code checks per account.

Two attacks, two limits, neither of which an outsider can turn against an account's owner:

- Every login runs a 64 MiB Argon2id, for an invented username too (against a dummy hash), so that
  the answer does not tell which usernames exist. Left unbounded, a few bogus logins a second take
  every server thread and hundreds of MB. ``Argon2Gate`` lets ``at_once`` logins run Argon2id at a
  time and ``waiting`` more wait at most ``wait_seconds`` for their turn; any other login is answered
  ``LoginBusy`` at once, without Argon2id, and is not a failure. This also bounds how fast anyone can
  guess passphrases, whatever the usernames they try: a generated passphrase has 77 bits.
- A wrong passphrase is not counted against the account: anyone may send one, for any username, and
  counting it would let them lock the owner out. A wrong or replayed code after the *right* passphrase
  is counted, per account: only someone who holds the passphrase can cause one. ``CodeLock`` lets
  ``allowed`` of them through in any ``window_seconds``; beyond that no code is checked for that
  account until the oldest falls out of the window (``CodeChecksPaused``), which bounds guessing the
  six-digit code to ``allowed`` guesses per window. SECURITY.md gives the arithmetic.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from app.common.clock import SYSTEM_CLOCK, Clock
from app.common.errors import GatehouseError

ARGON2_AT_ONCE = 1  # 64 MiB each: the server (about 70 MB) stays under 150 MB with one, not with two
ARGON2_WAITING = 1  # so two staff logging in at once both get in; at most 2 of 4 threads on logins
ARGON2_WAIT_SECONDS = 0.5
WRONG_CODES_ALLOWED = 5
WRONG_CODES_WINDOW_SECONDS = 3600.0


class LoginBusy(GatehouseError):
    """Too many logins are being checked right now; nothing was checked, nothing is counted against anyone."""

    def __init__(self) -> None:
        super().__init__("too many logins are being checked right now: try again in a moment")


class CodeChecksPaused(GatehouseError):
    """The passphrase was right, but too many wrong codes followed it lately: the code was not checked."""

    def __init__(self, retry_after_seconds: float) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(f"too many wrong codes for this account: try again in {self.minutes_to_wait} minute(s)")

    @property
    def minutes_to_wait(self) -> int:
        return max(1, math.ceil(self.retry_after_seconds / 60))


class Argon2Gate:
    """At most ``at_once`` Argon2id runs for logins at a time; ``waiting`` more may wait ``wait_seconds``."""

    def __init__(
        self, at_once: int = ARGON2_AT_ONCE, waiting: int = ARGON2_WAITING, wait_seconds: float = ARGON2_WAIT_SECONDS
    ) -> None:
        if at_once < 1 or waiting < 0 or wait_seconds < 0:
            raise ValueError("at least one Argon2id run at a time, and no negative queue or wait")
        self._slots = threading.BoundedSemaphore(at_once)
        self._waiting_allowed, self._wait_seconds = waiting, wait_seconds
        self._waiting = 0
        self._lock = threading.Lock()

    @property
    def waiting(self) -> int:
        """How many logins wait for a turn now."""
        with self._lock:
            return self._waiting

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a turn to run Argon2id; LoginBusy, at once or after the short wait, when there is none."""
        if not self._slots.acquire(blocking=False):
            with self._lock:
                if self._waiting >= self._waiting_allowed:
                    raise LoginBusy()
                self._waiting += 1
            try:
                acquired = self._slots.acquire(timeout=self._wait_seconds)
            finally:
                with self._lock:
                    self._waiting -= 1
            if not acquired:
                raise LoginBusy()
        try:
            yield
        finally:
            self._slots.release()


class CodeLock:
    """Wrong or replayed codes given with the right passphrase, per account, in memory."""

    def __init__(
        self,
        allowed: int = WRONG_CODES_ALLOWED,
        window_seconds: float = WRONG_CODES_WINDOW_SECONDS,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if allowed < 1 or window_seconds <= 0:
            raise ValueError("at least one wrong code in a window of some length")
        self._allowed, self._window, self._clock = allowed, window_seconds, clock
        self._failures: dict[str, deque[float]] = {}  # by staff id: only real accounts ever get here
        self._lock = threading.Lock()

    def _recent(self, staff_id: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(staff_id, deque())
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        return failures

    def check(self, staff_id: str) -> None:
        """CodeChecksPaused while ``allowed`` wrong codes lie within the window."""
        now = self._clock.monotonic()
        with self._lock:
            failures = self._recent(staff_id, now)
            if len(failures) >= self._allowed:
                raise CodeChecksPaused(failures[0] + self._window - now)

    def fail(self, staff_id: str) -> bool:
        """Count a wrong code; True when this one pauses code checks for the account."""
        now = self._clock.monotonic()
        with self._lock:
            failures = self._recent(staff_id, now)
            failures.append(now)
            return len(failures) >= self._allowed


@dataclass(frozen=True)
class LoginLimits:
    """Both limits, as the web application holds them (config keys in app.web.application)."""

    argon2: Argon2Gate = field(default_factory=Argon2Gate)
    codes: CodeLock = field(default_factory=CodeLock)
