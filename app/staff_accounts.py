"""Staff accounts: creating them with a generated passphrase and TOTP secret, listing, disabling."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import pyotp
from argon2 import PasswordHasher

import crypto
from app import db
from app.days import today

ROLES = ("admin", "staff", "auditor")
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")


def password_hasher(cost: crypto.Argon2Cost = crypto.PRODUCTION_COST) -> PasswordHasher:
    """Argon2id for login hashes; verifying reads the cost stored in each hash."""
    return PasswordHasher(time_cost=cost.time_cost, memory_cost=cost.memory_kib, parallelism=cost.parallelism)


PASSWORD_HASHER = password_hasher()


class AccountError(Exception):
    """A request about an account that cannot be carried out; the message is fit to show."""


@dataclass(frozen=True)
class StaffMember:
    id: str
    username: str
    role: str
    public_key: bytes
    locked_private_key: bytes | None
    disabled: bool

    @property
    def keeps_key_offline(self) -> bool:
        return self.locked_private_key is None


@dataclass(frozen=True)
class NewAccount:
    """What is shown once to the new staff member and never stored in the clear."""

    member: StaffMember
    passphrase: str
    totp_secret: str

    def totp_uri(self, issuer: str) -> str:
        return pyotp.TOTP(self.totp_secret).provisioning_uri(name=self.member.username, issuer_name=issuer)


_COLUMNS = "id, username, role, public_key, locked_private_key, disabled"


def _member(row: tuple) -> StaffMember:
    return StaffMember(row[0], row[1], row[2], row[3], row[4], bool(row[5]))


def add_staff(
    connection: db.Connection,
    username: str,
    role: str,
    public_key: bytes | None = None,
    cost: crypto.Argon2Cost = crypto.PRODUCTION_COST,
) -> NewAccount:
    """Create an account; with ``public_key`` the person's private key stays on their own machine.

    ``cost`` may be lowered by tests only: every command and page uses the production cost.
    """
    if not _USERNAME.fullmatch(username):
        raise AccountError("a username is 2 to 40 lowercase letters, digits, dots, hyphens or underscores")
    if role not in ROLES:
        raise AccountError(f"the role must be one of: {', '.join(ROLES)}")
    if public_key is not None and len(public_key) != 32:
        raise AccountError("a public key is 32 bytes, written as 64 hexadecimal digits")
    if find_staff(connection, username) is not None:
        raise AccountError(f"there is already an account named {username}")
    passphrase = crypto.new_passphrase()
    totp_secret = pyotp.random_base32()
    locked = None
    if public_key is None:
        private_key = crypto.new_key_pair()
        public_key, locked = bytes(private_key.public_key), crypto.lock_private_key(private_key, passphrase, cost)
    member = StaffMember(secrets.token_hex(16), username, role, public_key, locked, False)
    connection.execute(
        "INSERT INTO staff (id, username, role, public_key, locked_private_key, login_hash, totp_secret, created_day)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (member.id, username, role, public_key, locked, password_hasher(cost).hash(passphrase), totp_secret, today()),
    )
    return NewAccount(member, passphrase, totp_secret)


def find_staff(connection: db.Connection, username: str) -> StaffMember | None:
    row = connection.execute(f"SELECT {_COLUMNS} FROM staff WHERE username = ?", (username,)).fetchone()  # noqa: S608
    return _member(row) if row else None


def staff_by_id(connection: db.Connection, staff_id: str) -> StaffMember | None:
    row = connection.execute(f"SELECT {_COLUMNS} FROM staff WHERE id = ?", (staff_id,)).fetchone()  # noqa: S608
    return _member(row) if row else None


def list_staff(connection: db.Connection) -> list[StaffMember]:
    return [_member(row) for row in connection.execute(f"SELECT {_COLUMNS} FROM staff ORDER BY username")]  # noqa: S608


def disable_staff(connection: db.Connection, username: str) -> StaffMember:
    member = find_staff(connection, username)
    if member is None:
        raise AccountError(f"there is no account named {username}")
    connection.execute("UPDATE staff SET disabled = 1 WHERE id = ?", (member.id,))
    return member
