"""Staff login: passphrase and a one-time code, each code accepted once, under the limits of login_limits.py.

A wrong passphrase is never counted against an account (anyone can send one), so that nobody can keep an
account's owner out; guessing passphrases is bounded by the global Argon2 gate instead. Wrong codes after the
right passphrase are counted per account.
"""

from __future__ import annotations

import functools
import hmac
from dataclasses import dataclass

import argon2
import pyotp

import crypto
from app.audit import log as audit
from app.common.errors import GatehouseError
from app.staff.accounts import PASSWORD_HASHER, StaffMember, find_staff, login_secrets, normalise_username
from app.staff.login_limits import CodeChecksPaused, LoginLimits
from app.storage import db
from app.storage.connection import Connection

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


@dataclass(frozen=True)
class LoggedIn:
    member: StaffMember
    staff_key: crypto.PrivateKey | None  # None when the person keeps their key offline


@dataclass
class _Checked:
    """What the checks under the Argon2 gate found, logged once the gate is free again."""

    staff_key: crypto.PrivateKey | None = None
    accepted: bool = False
    paused: CodeChecksPaused | None = None
    paused_now: bool = False


def authenticate(
    connection: Connection,
    limits: LoginLimits,
    username: str,
    passphrase: str,
    code: str,
) -> LoggedIn:
    """Check a login and log it.

    LoginBusy when the Argon2 gate is full: nothing was checked, nothing is logged or counted.
    CodeChecksPaused when the passphrase was right but too many wrong codes followed it lately: the code was
    not checked. LoginRefused, with one message, for every wrong detail.
    """
    username = normalise_username(username)
    member = find_staff(connection, username)
    secrets = login_secrets(connection, member.id) if member else None
    checked = _Checked()
    with limits.argon2.slot():
        # The dummy hash too is made and verified under the gate: every Argon2id of a login runs here.
        passphrase_right = passphrase_matches(secrets[0] if secrets else _dummy_hash(), passphrase)
        # The code is checked only after the passphrase, so a guessed passphrase never burns a real code
        # and only someone who holds the passphrase can pause code checks.
        if passphrase_right and member is not None and secrets is not None and not member.disabled:
            checked = _second_factor(connection, limits, member, secrets[1], code, passphrase)
    if not checked.accepted or member is None:
        _log_failure(connection, member, checked)
        raise checked.paused or LoginRefused()
    audit.log(connection, member.username, "login")
    return LoggedIn(member, checked.staff_key)


def _log_failure(connection: Connection, member: StaffMember | None, checked: _Checked) -> None:
    with db.transaction(connection):
        subject = member.username if member else "unknown account"
        detail = {"code": "not checked: too many wrong codes lately"} if checked.paused else None
        audit.record(connection, "anonymous", "login-failed", subject, detail)
        if checked.paused_now:  # someone who holds this passphrase keeps giving wrong codes
            audit.record(connection, "system", "login-codes-paused", subject)


def _second_factor(
    connection: Connection, limits: LoginLimits, member: StaffMember, totp_secret: str, code: str, passphrase: str
) -> _Checked:
    """The code after the right passphrase, unless code checks are paused; then the key, still under the gate."""
    try:
        limits.codes.check(member.id)
    except CodeChecksPaused as paused:
        return _Checked(paused=paused)
    if _accepted_step(connection, member, totp_secret, code) is None:
        return _Checked(paused_now=limits.codes.fail(member.id))
    unlocked = crypto.unlock_private_key(member.locked_private_key, passphrase) if member.locked_private_key else None
    return _Checked(staff_key=unlocked, accepted=True)


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
