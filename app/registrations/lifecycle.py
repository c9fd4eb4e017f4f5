"""A registration's status: submitted, then approved, waitlisted or rejected by staff; withdrawn by the participant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import crypto
from app.audit import log as audit
from app.common.actor import Actor
from app.common.errors import GatehouseError, NotAllowed, NotFound
from app.events.definition import Event
from app.registrations import records
from app.storage import db
from app.storage.connection import Connection

DECISIONS = ("approved", "waitlisted", "rejected")


class CapacityReached(GatehouseError):
    """As many registrations are approved as the event has places."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        super().__init__(f"all {capacity} places are taken: nobody more can be approved")


def is_full(connection: Connection, event_id: str, capacity: int | None) -> bool:
    if capacity is None:
        return False
    approved = connection.execute(
        "SELECT count(*) FROM registrations WHERE event_id = ? AND status = 'approved'", (event_id,)
    ).fetchone()[0]
    return approved >= capacity


class DecidedMeanwhile(GatehouseError):
    """The registration's status is no longer the one the decider was shown: someone else decided since."""

    def __init__(self, status: str) -> None:
        self.status = status
        super().__init__(f"this registration is {status} now: it was decided by someone else since")


class UnknownRegistration(NotFound):
    """No registration of this event has that id."""

    def __init__(self) -> None:
        super().__init__("there is no registration with that id")


def pseudonym_and_status(connection: Connection, event_id: str, registration_id: str) -> tuple[str, str]:
    row = connection.execute(
        "SELECT pseudonym, status FROM registrations WHERE id = ? AND event_id = ?", (registration_id, event_id)
    ).fetchone()
    if row is None:
        raise UnknownRegistration()
    return row


def pseudonyms_of(connection: Connection, registration_ids: Sequence[str]) -> dict[str, str]:
    """The pseudonym of each of these registrations that exists, by id."""
    if not registration_ids:
        return {}
    return dict(
        connection.execute(
            f"SELECT id, pseudonym FROM registrations WHERE id IN ({', '.join('?' * len(registration_ids))})",  # noqa: S608
            list(registration_ids),
        ).fetchall()
    )


def decide(
    connection: Connection,
    event_id: str,
    registration_id: str,
    decision: str,
    actor: str,
    capacity: int | None = None,
    shown_status: str | None = None,
) -> str:
    """Set the status and log it in one transaction; returns the pseudonym.

    Raises CapacityReached for an approval beyond the event's capacity, and DecidedMeanwhile when a
    ``shown_status`` is given (what the decider saw) and the status is another one now.
    """
    if decision not in DECISIONS:
        raise ValueError(decision)
    with db.transaction(connection):
        pseudonym, previous = pseudonym_and_status(connection, event_id, registration_id)
        if shown_status is not None and previous != shown_status:
            raise DecidedMeanwhile(previous)
        if decision == "approved" and previous != "approved" and is_full(connection, event_id, capacity):
            raise CapacityReached(capacity or 0)
        day = audit.record(connection, actor, "status", pseudonym, {"from": previous, "to": decision})
        # Retention rules may count from this day (after approval, after rejection); repeating
        # the same decision does not move it later.
        if decision != previous:
            connection.execute(
                "UPDATE registrations SET status = ?, decided_day = ? WHERE id = ?", (decision, day, registration_id)
            )
    return pseudonym


class MayNotDecide(NotAllowed):
    def __init__(self, compartment: str) -> None:
        super().__init__(f"deciding needs the {compartment} compartment")


def may_decide(actor: Actor, event: Event) -> bool:
    """Whoever holds the event's deciding compartment decides; pages ask this to offer the form at all."""
    return actor.holds(event.decided_by)


def decide_as(
    connection: Connection,
    event: Event,
    registration_id: str,
    decision: str,
    actor: Actor,
    shown_status: str | None = None,
) -> str:
    """A staff member's decision: refused unless they may decide (may_decide); returns the pseudonym.

    With ``shown_status``, DecidedMeanwhile if the status is no longer the one the decider was shown."""
    if not may_decide(actor, event):
        raise MayNotDecide(event.decided_by)
    return decide(connection, event.id, registration_id, decision, actor.name, event.capacity, shown_status)


class Summary(NamedTuple):
    """A registration as the staff list shows it: nothing sealed."""

    registration_id: str
    pseudonym: str
    status: str
    submitted_day: str
    source_kit: str | None
    set_aside: bool  # its record did not open with a holder's keys (app.registrations.set_aside)


def summaries(connection: Connection, event_id: str) -> list[Summary]:
    return [
        Summary(registration_id, pseudonym, status, day, kit, aside_on is not None)
        for registration_id, pseudonym, status, day, kit, aside_on in connection.execute(
            "SELECT r.id, r.pseudonym, r.status, r.submitted_day, r.source_kit, s.day FROM registrations AS r"
            " LEFT JOIN set_aside AS s ON s.registration_id = r.id WHERE r.event_id = ? ORDER BY r.pseudonym",
            (event_id,),
        )
    ]


@dataclass(frozen=True)
class Found:
    registration_id: str
    pseudonym: str
    status: str


def find_by_codename(connection: Connection, lookup_key: bytes, event_id: str, codename: str) -> Found | None:
    """The registration this codename belongs to; None for a codename that is malformed or unknown alike.

    A codename with a digit group or a word that cannot be right raises crypto.CodenameMistake, decided from the
    text alone before any look-up, so that naming the mistake tells nothing about any registration.
    """
    try:
        lookup = crypto.codename_lookup(lookup_key, codename)
    except crypto.CodenameMistake:
        raise
    except crypto.InvalidCodename:
        return None
    row = connection.execute(
        "SELECT id, pseudonym, status FROM registrations WHERE codename_lookup = ? AND event_id = ?",
        (lookup, event_id),
    ).fetchone()
    return Found(*row) if row else None


def find_by_id(connection: Connection, registration_id: str) -> Found | None:
    row = connection.execute(
        "SELECT id, pseudonym, status FROM registrations WHERE id = ?", (registration_id,)
    ).fetchone()
    return Found(*row) if row else None


def has_values_for(connection: Connection, registration_id: str, field_keys: list[str]) -> bool:
    """Whether any of these fields holds a value in the record (which, is never shown)."""
    chosen = ", ".join("?" * len(field_keys))  # placeholders only
    row = connection.execute(
        f"SELECT 1 FROM field_value_slots WHERE registration_id = ? AND field_key IN ({chosen})",  # noqa: S608
        (registration_id, *field_keys),
    ).fetchone()
    return row is not None


def withdraw(connection: Connection, found: Found) -> None:
    """Destroy the record at once: its ciphertexts and sealed data keys go in one transaction.

    Only the audit entry with the pseudonym remains. Each value is zeroed where it stands, in its slot
    (app.storage.slots), as its row is deleted; the WAL is then emptied (db.checkpoint), so no copy of the deleted
    ciphertexts stays in the file or its WAL. No VACUUM is needed, so the cost does not grow with the event.
    """
    with db.destroying(connection):
        # On a field kit, a registration a bundle has already carried away is withdrawn by the next bundle too.
        connection.execute(
            "INSERT INTO kit_withdrawals (registration_id)"
            " SELECT id FROM registrations WHERE id = ? AND exported_in IS NOT NULL",
            (found.registration_id,),
        )
        records.destroy(connection, found.registration_id)
        audit.record(connection, "participant", "withdrawn by participant", found.pseudonym)
    db.checkpoint(connection)
