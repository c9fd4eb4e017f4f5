"""A registration's status: submitted, then approved, waitlisted or rejected by staff."""

from __future__ import annotations

from app import audit, db

DECISIONS = ("approved", "waitlisted", "rejected")


class UnknownRegistration(LookupError):
    """No registration of this event has that id."""


def pseudonym_and_status(connection: db.Connection, event_id: str, registration_id: str) -> tuple[str, str]:
    row = connection.execute(
        "SELECT pseudonym, status FROM registrations WHERE id = ? AND event_id = ?", (registration_id, event_id)
    ).fetchone()
    if row is None:
        raise UnknownRegistration(registration_id)
    return row


def decide(connection: db.Connection, event_id: str, registration_id: str, decision: str, actor: str) -> str:
    """Set the status and log it in one transaction; returns the pseudonym."""
    if decision not in DECISIONS:
        raise ValueError(decision)
    with db.transaction(connection):
        pseudonym, previous = pseudonym_and_status(connection, event_id, registration_id)
        connection.execute("UPDATE registrations SET status = ? WHERE id = ?", (decision, registration_id))
        audit.record(connection, actor, "status", pseudonym, {"from": previous, "to": decision})
    return pseudonym
