"""Records that do not open with the keys that should open them: set aside, and destroyed one at a time.

Whoever holds a field kit and its passphrase can sign a record whose sealed data key is 80 random bytes, or
which is sealed properly to a compartment's public key over bytes that are not text. The import cannot tell
(it holds no private key, and the sizes are right). A holder of the compartment finds out on opening or
exporting it, with a key that matches the compartment's public key (app.keys.keyring.matching), so the
record is at fault: it is set aside here (its id and the day), the reading goes on without it, and the log
names it by pseudonym. An administrator, or a holder of the event's deciding compartment, can then destroy
that one record with a reason. Nothing else is destroyed this way: a record that opens is withdrawn by its
participant, rejected, or purged.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.audit import log as audit
from app.common.actor import Actor
from app.common.errors import GatehouseError, NotAllowed
from app.events.definition import Event
from app.registrations import records
from app.registrations.lifecycle import pseudonym_and_status
from app.storage import db
from app.storage.connection import Connection

MAX_REASON = 300


class RecordDoesNotOpen(GatehouseError):
    """A record the keys held should open and do not: damaged, or forged by whoever held the kit that brought it."""

    def __init__(self, pseudonym: str) -> None:
        self.pseudonym = pseudonym
        super().__init__(
            f"the record of {pseudonym} does not open with your keys: it is damaged, or was forged by whoever held"
            " the field kit that brought it; it is set aside"
        )


class MayNotDestroy(NotAllowed):
    def __init__(self, compartment: str) -> None:
        super().__init__(
            f"destroying a record that does not open needs the admin role or the {compartment} compartment"
        )


class NotSetAside(GatehouseError):
    def __init__(self) -> None:
        super().__init__("this record has not been found not to open: only a record set aside is destroyed this way")


class ReasonRequired(GatehouseError):
    def __init__(self) -> None:
        super().__init__(f"say why, in 4 to {MAX_REASON} characters: the reason is kept in the audit log")


def mark(connection: Connection, registration_ids: Iterable[str]) -> None:
    """Set these registrations aside, inside the caller's transaction (once: a second finding changes nothing)."""
    day = audit.current_day(connection)
    connection.executemany(
        "INSERT OR IGNORE INTO set_aside (registration_id, day) VALUES (?, ?)",
        [(registration_id, day) for registration_id in registration_ids],
    )


def set_aside_on(connection: Connection, registration_id: str) -> str | None:
    """The day this registration was found not to open, or None."""
    row = connection.execute("SELECT day FROM set_aside WHERE registration_id = ?", (registration_id,)).fetchone()
    return row[0] if row else None


def set_aside_ids(connection: Connection, registration_ids: Iterable[str]) -> set[str]:
    wanted = set(registration_ids)
    return {
        registration_id for (registration_id,) in connection.execute("SELECT registration_id FROM set_aside")
    } & wanted


def may_destroy(actor: Actor, event: Event) -> bool:
    """An administrator, or whoever may decide on registrations (a holder of the event's deciding compartment)."""
    return actor.role == "admin" or actor.holds(event.decided_by)


def destroy(connection: Connection, event: Event, registration_id: str, *, actor: Actor, reason: str) -> str:
    """Destroy one registration set aside as not opening, in one transaction, logged with its pseudonym and the
    reason; then empty the WAL as a withdrawal does (its values were zeroed in their slots). Returns the pseudonym.

    Refused, with nothing changed: MayNotDestroy for anyone but an admin or a holder of the deciding compartment,
    ReasonRequired without a reason, UnknownRegistration, and NotSetAside for a record not found not to open.
    """
    if not may_destroy(actor, event):
        raise MayNotDestroy(event.decided_by)
    reason = reason.strip()
    if not 4 <= len(reason) <= MAX_REASON:
        raise ReasonRequired()
    with db.destroying(connection):
        pseudonym, status = pseudonym_and_status(connection, event.id, registration_id)
        day = set_aside_on(connection, registration_id)
        if day is None:
            raise NotSetAside()
        (kit,) = connection.execute("SELECT source_kit FROM registrations WHERE id = ?", (registration_id,)).fetchone()
        # A kit's registration stays listed in kit_registrations: the same bundle sent again does not bring it back.
        records.destroy(connection, registration_id)
        detail = {"set aside on": day, "status": status, "kit": kit or ""}
        audit.record(connection, actor.name, "destroyed: does not open", pseudonym, detail, reason)
    db.checkpoint(connection)
    return pseudonym
