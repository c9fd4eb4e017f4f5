"""Staff login: passphrase and a one-time code, throttled per account, each code accepted once."""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from dataclasses import dataclass

import argon2
import pyotp

import crypto
from app import audit, db
from app.staff_accounts import PASSWORD_HASHER, StaffMember, find_staff

FAILURES_ALLOWED = 5
FAILURE_WINDOW_SECONDS = 60.0
TOTP_STEP_SECONDS = 30
# Verified when the username is unknown, so that the answer takes as long as for a real account.
_DUMMY_HASH = PASSWORD_HASHER.hash("no such account")


class LoginRefused(Exception):
    """One answer for every wrong detail, so a refusal tells nothing about which was wrong."""


class LoginThrottled(LoginRefused):
    """Too many failures for this account within the window; nothing was checked."""


class LoginThrottle:
    """Failed attempts per account, in memory: the sixth within a minute is refused unchecked.

    Per account rather than per address, since behind Tor every visitor has the same address.
    """

    def __init__(self, allowed: int = FAILURES_ALLOWED, window: float = FAILURE_WINDOW_SECONDS) -> None:
        self._allowed, self._window = allowed, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, account: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(account, deque())
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        return failures

    def check(self, account: str, now: float) -> None:
        with self._lock:
            if len(self._recent(account, now)) >= self._allowed:
                raise LoginThrottled()

    def fail(self, account: str, now: float) -> None:
        with self._lock:
            self._recent(account, now).append(now)
            if len(self._failures) > 10_000:  # bound memory against floods of invented usernames
                self._failures = {a: f for a, f in self._failures.items() if self._recent(a, now)}


@dataclass(frozen=True)
class LoggedIn:
    member: StaffMember
    staff_key: crypto.PrivateKey | None  # None when the person keeps their key offline


def authenticate(
    connection: db.Connection,
    throttle: LoginThrottle,
    username: str,
    passphrase: str,
    code: str,
    now: float | None = None,
) -> LoggedIn:
    now = time.time() if now is None else now
    throttle.check(username, now)
    member = find_staff(connection, username)
    row = connection.execute(
        "SELECT login_hash, totp_secret, last_totp_step FROM staff WHERE id = ?", (member.id if member else "",)
    ).fetchone()
    passphrase_right = passphrase_matches(row[0] if row else _DUMMY_HASH, passphrase) and row is not None
    # The code is checked only after the passphrase, so a guessed passphrase never burns a real code.
    step = _accepted_step(connection, member, row, code, now) if passphrase_right and member else None
    if member is None or member.disabled or not passphrase_right or step is None:
        throttle.fail(username, now)
        audit.log(connection, "anonymous", "login-failed", member.username if member else "unknown account")
        raise LoginRefused()
    staff_key = crypto.unlock_private_key(member.locked_private_key, passphrase) if member.locked_private_key else None
    audit.log(connection, member.username, "login")
    return LoggedIn(member, staff_key)


def passphrase_matches(login_hash: str, passphrase: str) -> bool:
    try:
        return PASSWORD_HASHER.verify(login_hash, passphrase)
    except argon2.exceptions.VerificationError:
        return False


def _accepted_step(connection: db.Connection, member: StaffMember, row: tuple, code: str, now: float) -> int | None:
    """The time step of a valid, unused code (one step of clock drift either way), claimed atomically."""
    totp = pyotp.TOTP(row[1])
    current = int(now // TOTP_STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP_SECONDS), code.strip()):
            with db.transaction(connection):
                claimed = connection.execute(
                    "UPDATE staff SET last_totp_step = ? WHERE id = ? AND last_totp_step < ?",
                    (step, member.id, step),
                ).rowcount
            return step if claimed else None
    return None
