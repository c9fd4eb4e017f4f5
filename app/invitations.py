"""Invitation codes: issued by organisers, each usable a set number of times before a day."""

from __future__ import annotations

import datetime

import crypto
from app import db
from app.days import today


class InvitationRefused(Exception):
    """Unknown, used up or expired: one refusal for all three, so probing learns nothing."""


def issue(connection: db.Connection, lookup_key: bytes, count: int, uses: int, expires: datetime.date) -> list[str]:
    codes = [crypto.new_invitation_code() for _ in range(count)]
    with db.transaction(connection):
        connection.executemany(
            "INSERT INTO invitations (lookup, uses_left, expires_day, created_day) VALUES (?, ?, ?, ?)",
            [(crypto.invitation_lookup(lookup_key, code), uses, expires.isoformat(), today()) for code in codes],
        )
    return codes


def redeem(connection: db.Connection, lookup_key: bytes, typed: str) -> None:
    """Use up one use of the code, inside the caller's transaction, or raise InvitationRefused."""
    lookup = crypto.invitation_lookup(lookup_key, typed)
    used = connection.execute(
        "UPDATE invitations SET uses_left = uses_left - 1 WHERE lookup = ? AND uses_left > 0 AND expires_day >= ?",
        (lookup, today()),
    ).rowcount
    if lookup is None or used != 1:
        raise InvitationRefused
