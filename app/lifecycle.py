"""A registration's status: submitted, then approved, waitlisted or rejected by staff; withdrawn by the participant."""

from __future__ import annotations

from dataclasses import dataclass

import crypto
from app import audit, db

DECISIONS = ("approved", "waitlisted", "rejected")


class CapacityReached(Exception):
    """As many registrations are approved as the event has places."""


def is_full(connection: db.Connection, event_id: str, capacity: int | None) -> bool:
    if capacity is None:
        return False
    approved = connection.execute(
        "SELECT count(*) FROM registrations WHERE event_id = ? AND status = 'approved'", (event_id,)
    ).fetchone()[0]
    return approved >= capacity


class UnknownRegistration(LookupError):
    """No registration of this event has that id."""


def pseudonym_and_status(connection: db.Connection, event_id: str, registration_id: str) -> tuple[str, str]:
    row = connection.execute(
        "SELECT pseudonym, status FROM registrations WHERE id = ? AND event_id = ?", (registration_id, event_id)
    ).fetchone()
    if row is None:
        raise UnknownRegistration(registration_id)
    return row


def decide(
    connection: db.Connection,
    event_id: str,
    registration_id: str,
    decision: str,
    actor: str,
    capacity: int | None = None,
) -> str:
    """Set the status and log it in one transaction; returns the pseudonym.

    Raises CapacityReached for an approval beyond the event's capacity.
    """
    if decision not in DECISIONS:
        raise ValueError(decision)
    with db.transaction(connection):
        pseudonym, previous = pseudonym_and_status(connection, event_id, registration_id)
        if decision == "approved" and previous != "approved" and is_full(connection, event_id, capacity):
            raise CapacityReached(event_id)
        day = audit.record(connection, actor, "status", pseudonym, {"from": previous, "to": decision})
        # Retention rules may count from this day (after approval, after rejection); repeating
        # the same decision does not move it later.
        if decision != previous:
            connection.execute(
                "UPDATE registrations SET status = ?, decided_day = ? WHERE id = ?", (decision, day, registration_id)
            )
    return pseudonym


@dataclass(frozen=True)
class Found:
    registration_id: str
    pseudonym: str
    status: str


def find_by_codename(connection: db.Connection, lookup_key: bytes, event_id: str, codename: str) -> Found | None:
    """The registration this codename belongs to; None for a codename that is malformed or unknown alike."""
    try:
        lookup = crypto.codename_lookup(lookup_key, codename)
    except crypto.InvalidCodename:
        return None
    row = connection.execute(
        "SELECT id, pseudonym, status FROM registrations WHERE codename_lookup = ? AND event_id = ?",
        (lookup, event_id),
    ).fetchone()
    return Found(*row) if row else None


def find_by_id(connection: db.Connection, registration_id: str) -> Found | None:
    row = connection.execute(
        "SELECT id, pseudonym, status FROM registrations WHERE id = ?", (registration_id,)
    ).fetchone()
    return Found(*row) if row else None


def has_values_for(connection: db.Connection, registration_id: str, field_keys: list[str]) -> bool:
    """Whether any of these fields holds a value in the record (which, is never shown)."""
    row = connection.execute(
        f"SELECT 1 FROM field_values WHERE registration_id = ? AND field_key IN ({', '.join('?' * len(field_keys))})",  # noqa: S608
        (registration_id, *field_keys),
    ).fetchone()
    return row is not None


def withdraw(connection: db.Connection, found: Found) -> None:
    """Destroy the record at once: its ciphertexts and sealed data keys go in one transaction.

    Only the audit entry with the pseudonym remains. The database is then scrubbed, so no
    copy of the deleted ciphertexts stays in the file or its WAL.
    """
    with db.transaction(connection):
        # On a field kit, a registration a bundle has already carried away is withdrawn by the next bundle too.
        connection.execute(
            "INSERT INTO kit_withdrawals (registration_id)"
            " SELECT id FROM registrations WHERE id = ? AND exported_in IS NOT NULL",
            (found.registration_id,),
        )
        connection.execute("DELETE FROM field_values WHERE registration_id = ?", (found.registration_id,))
        connection.execute("DELETE FROM data_keys WHERE registration_id = ?", (found.registration_id,))
        connection.execute("DELETE FROM registrations WHERE id = ?", (found.registration_id,))
        audit.record(connection, "participant", "withdrawn by participant", found.pseudonym)
    db.scrub(connection)
