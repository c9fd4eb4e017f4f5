"""Staff login: passphrase and a one-time code, throttled per account, each code accepted once."""

from __future__ import annotations

import functools
import hmac
import threading
from collections import deque
from dataclasses import dataclass

import argon2
import pyotp

import crypto
from app.audit import log as audit
from app.common.clock import SYSTEM_CLOCK, Clock
from app.common.errors import GatehouseError
from app.staff.accounts import PASSWORD_HASHER, StaffMember, find_staff, login_secrets, normalise_username
from app.storage import db
from app.storage.connection import Connection

FAILURES_ALLOWED = 5
FAILURE_WINDOW_SECONDS = 60.0
TOTP_STEP_SECONDS = 30


@functools.cache
def _dummy_hash() -> str:
    """Verified when the username is unknown, so that the answer takes as long as for a real account.

    Made on first use, not at import: every command would otherwise pay for a 64 MiB Argon2id.
    """
    return PASSWORD_HASHER.hash("no such account")


class LoginRefused(GatehouseError):
    """One answer for every wrong detail, so a refusal tells nothing about which was wrong."""

    def __init__(self) -> None:
        super().__init__("the username, passphrase or code is not right")


class LoginThrottled(LoginRefused):
    """Too many failures for this account within the window; nothing was checked."""


class LoginThrottle:
    """Failed attempts per account, in memory: the sixth within a minute is refused unchecked.

    Per account rather than per address, since behind Tor every visitor has the same address.
    """

    def __init__(
        self, allowed: int = FAILURES_ALLOWED, window: float = FAILURE_WINDOW_SECONDS, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self._allowed, self._window, self._clock = allowed, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, account: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(account, deque())
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        return failures

    def check(self, account: str) -> None:
        with self._lock:
            if len(self._recent(account, self._clock.monotonic())) >= self._allowed:
                raise LoginThrottled()

    def fail(self, account: str) -> None:
        now = self._clock.monotonic()
        with self._lock:
            self._recent(account, now).append(now)
            if len(self._failures) > 10_000:  # bound memory against floods of invented usernames
                self._failures = {a: f for a, f in self._failures.items() if self._recent(a, now)}


@dataclass(frozen=True)
class LoggedIn:
    member: StaffMember
    staff_key: crypto.PrivateKey | None  # None when the person keeps their key offline


def authenticate(
    connection: Connection,
    throttle: LoginThrottle,
    username: str,
    passphrase: str,
    code: str,
) -> LoggedIn:
    """Check a login and log it; LoginRefused (or LoginThrottled) with one message for every wrong detail."""
    username = normalise_username(username)
    throttle.check(username)
    member = find_staff(connection, username)
    secrets = login_secrets(connection, member.id) if member else None
    passphrase_right = passphrase_matches(secrets[0] if secrets else _dummy_hash(), passphrase) and secrets is not None
    # The code is checked only after the passphrase, so a guessed passphrase never burns a real code.
    step = _accepted_step(connection, member, secrets[1], code) if passphrase_right and member and secrets else None
    if member is None or member.disabled or not passphrase_right or step is None:
        throttle.fail(username)
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


def _accepted_step(connection: Connection, member: StaffMember, totp_secret: str, code: str) -> int | None:
    """The time step of a valid, unused code (one step of clock drift either way), claimed atomically."""
    totp = pyotp.TOTP(totp_secret)
    current = int(connection.clock.unix() // TOTP_STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP_SECONDS), code.strip()):
            with db.transaction(connection):
                claimed = connection.execute(
                    "UPDATE staff SET last_totp_step = ? WHERE id = ? AND last_totp_step < ?",
                    (step, member.id, step),
                ).rowcount
            return step if claimed else None
    return None
