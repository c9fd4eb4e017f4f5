"""Staff accounts: creating them with a generated passphrase and TOTP secret, listing, disabling, and what
the database says of an account now (which open sessions follow on every request)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pyotp
from argon2 import PasswordHasher

import crypto
from app.audit import log as audit
from app.common.errors import GatehouseError, NotFound
from app.storage import db
from app.storage.connection import Connection

ROLES = ("admin", "staff", "auditor")
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")


def password_hasher(cost: crypto.Argon2Cost = crypto.PRODUCTION_COST) -> PasswordHasher:
    """Argon2id for login hashes; verifying reads the cost stored in each hash."""
    return PasswordHasher(time_cost=cost.time_cost, memory_cost=cost.memory_kib, parallelism=cost.parallelism)


PASSWORD_HASHER = password_hasher()


class AccountError(GatehouseError):
    """A request about an account that cannot be carried out; the message is fit to show."""


class UnknownStaff(NotFound):
    """No account of that name (or none that is active, where an active one is needed)."""

    def __init__(self, username: str, *, active: bool = False) -> None:
        self.username = username
        super().__init__(f"there is no {'active ' if active else ''}account named {username}")


def normalise_username(typed: str) -> str:
    """Usernames are compared as typed on any front-end: surrounding spaces dropped, lower case."""
    return typed.strip().lower()


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


@dataclass(frozen=True)
class Standing:
    """What the database says of an account now: an open session follows it on its next request."""

    active: bool
    role: str
    grants: frozenset[tuple[str, int]]  # (compartment, generation) sealed to the account


_COLUMNS = "id, username, role, public_key, locked_private_key, disabled"


def _member(row: tuple) -> StaffMember:
    return StaffMember(row[0], row[1], row[2], row[3], row[4], bool(row[5]))


def add_staff(
    connection: Connection,
    username: str,
    role: str,
    public_key: bytes | None = None,
    cost: crypto.Argon2Cost = crypto.PRODUCTION_COST,
    actor: str = "cli",
) -> NewAccount:
    """Create an account and log it; with ``public_key`` the person's private key stays on their own machine.

    ``cost`` may be lowered by tests only: every command and page uses the production cost.
    """
    username = normalise_username(username)
    if not _USERNAME.fullmatch(username):
        raise AccountError("a username is 2 to 40 lowercase letters, digits, dots, hyphens or underscores")
    if role not in ROLES:
        raise AccountError(f"the role must be one of: {', '.join(ROLES)}")
    if public_key is not None and len(public_key) != 32:
        raise AccountError("a public key is 32 bytes, written as 64 hexadecimal digits")
    passphrase = crypto.new_passphrase()
    totp_secret = pyotp.random_base32()
    locked = None
    if public_key is None:
        private_key = crypto.new_key_pair()
        public_key, locked = bytes(private_key.public_key), crypto.lock_private_key(private_key, passphrase, cost)
    member = StaffMember(secrets.token_hex(16), username, role, public_key, locked, False)
    login_hash = password_hasher(cost).hash(passphrase)
    with db.transaction(connection):
        if find_staff(connection, username) is not None:
            raise AccountError(f"there is already an account named {username}")
        connection.execute(
            "INSERT INTO staff (id, username, role, public_key, locked_private_key, login_hash, totp_secret,"
            " created_day) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (member.id, username, role, public_key, locked, login_hash, totp_secret, connection.clock.today()),
        )
        audit.record(connection, actor, "staff-add", username, {"role": role})
    return NewAccount(member, passphrase, totp_secret)


def find_staff(connection: Connection, username: str) -> StaffMember | None:
    row = connection.execute(
        f"SELECT {_COLUMNS} FROM staff WHERE username = ?",  # noqa: S608 - the columns are ours
        (normalise_username(username),),
    ).fetchone()
    return _member(row) if row else None


def require_staff(connection: Connection, username: str, *, active: bool = False) -> StaffMember:
    """The account of that name; UnknownStaff if there is none (or it is disabled, with ``active``)."""
    member = find_staff(connection, username)
    if member is None or (active and member.disabled):
        raise UnknownStaff(normalise_username(username), active=active)
    return member


def staff_by_id(connection: Connection, staff_id: str) -> StaffMember | None:
    row = connection.execute(f"SELECT {_COLUMNS} FROM staff WHERE id = ?", (staff_id,)).fetchone()  # noqa: S608
    return _member(row) if row else None


def list_staff(connection: Connection) -> list[tuple[StaffMember, list[str]]]:
    """Every account with the compartments it holds, by username."""
    held: dict[str, set[str]] = {}
    for staff_id, compartment in connection.execute("SELECT staff_id, compartment FROM grants"):
        held.setdefault(staff_id, set()).add(compartment)
    members = [_member(row) for row in connection.execute(f"SELECT {_COLUMNS} FROM staff ORDER BY username")]  # noqa: S608
    return [(member, sorted(held.get(member.id, ()))) for member in members]


def disable_staff(connection: Connection, username: str, actor: str = "cli") -> StaffMember:
    """Disable an account and log it: it cannot log in, and its open sessions end at their next request."""
    with db.transaction(connection):
        member = require_staff(connection, username)
        connection.execute("UPDATE staff SET disabled = 1 WHERE id = ?", (member.id,))
        audit.record(connection, actor, "staff-disable", member.username)
    return member


def standing(connection: Connection, staff_id: str, event_id: str) -> Standing | None:
    """The account as the database has it now; None if it no longer exists."""
    member = staff_by_id(connection, staff_id)
    if member is None:
        return None
    grants = frozenset(
        (compartment, generation)
        for compartment, generation in connection.execute(
            "SELECT compartment, generation FROM grants WHERE staff_id = ? AND event_id = ?", (staff_id, event_id)
        )
    )
    return Standing(not member.disabled, member.role, grants)


def login_secrets(connection: Connection, staff_id: str) -> tuple[str, str, int]:
    """(login hash, TOTP secret, last TOTP step used) of an account: for the login check alone."""
    row = connection.execute(
        "SELECT login_hash, totp_secret, last_totp_step FROM staff WHERE id = ?", (staff_id,)
    ).fetchone()
    return row[0], row[1], row[2]


def export_key(
    connection: Connection, username: str, write: Callable[[bytes, bytes], None], actor: str = "cli"
) -> StaffMember:
    """Hand the key an account keeps on the server, still locked with its passphrase, to ``write``; log it."""
    member = find_staff(connection, username)
    if member is None or member.disabled or member.locked_private_key is None:
        raise NotFound(f"{normalise_username(username)} is not an active account with its key on this server")
    write(member.public_key, member.locked_private_key)
    audit.log(connection, actor, "key export", member.username)
    return member
