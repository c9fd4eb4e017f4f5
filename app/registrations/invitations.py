"""Invitation codes: issued by organisers, each usable a set number of times before a day."""

from __future__ import annotations

import datetime

import crypto
from app.audit import log as audit
from app.common.errors import GatehouseError
from app.instance.folder import Instance
from app.storage import db
from app.storage.connection import Connection


class InvitationRefused(GatehouseError):
    """Unknown, used up or expired: one refusal for all three, so probing learns nothing."""


def issue(
    connection: Connection, instance: Instance, count: int, uses: int, expires: datetime.date, actor: str = "cli"
) -> list[str]:
    """New codes, each good for ``uses`` registrations until ``expires``; only their keyed hashes are stored."""
    today = connection.clock.today()
    if expires.isoformat() < today:
        raise GatehouseError("the expiry day has already passed")
    codes = [crypto.new_invitation_code() for _ in range(count)]
    with db.transaction(connection):
        connection.executemany(
            "INSERT INTO invitations (lookup, uses_left, expires_day, created_day) VALUES (?, ?, ?, ?)",
            [
                (crypto.invitation_lookup(instance.secrets.invitation_key, code), uses, expires.isoformat(), today)
                for code in codes
            ],
        )
        audit.record(connection, actor, "invitations issued", instance.event.id, {"count": count, "uses": uses})
    return codes


def redeem(connection: Connection, lookup_key: bytes, typed: str) -> None:
    """Use up one use of the code, inside the caller's transaction, or raise InvitationRefused."""
    lookup = crypto.invitation_lookup(lookup_key, typed)
    used = connection.execute(
        "UPDATE invitations SET uses_left = uses_left - 1 WHERE lookup = ? AND uses_left > 0 AND expires_day >= ?",
        (lookup, connection.clock.today()),
    ).rowcount
    if lookup is None or used != 1:
        raise InvitationRefused
