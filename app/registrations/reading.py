"""Staff reading sealed records: opening one, or exporting every one, with a reason that the log keeps.

Each reading is logged before anything is decrypted, so that one which fails half-way is still on record.
Only the compartments whose keys the reader holds are opened; the others are never decrypted.
"""

from __future__ import annotations

from app.audit import log as audit
from app.events.definition import Event
from app.keys.keyring import HeldKeys
from app.registrations import export, lifecycle
from app.registrations.records import load_record, open_record
from app.storage.connection import Connection


def compartments_of(keys: HeldKeys) -> list[str]:
    return sorted({compartment for compartment, _generation in keys})


def open_registration(
    connection: Connection, event: Event, registration_id: str, *, keys: HeldKeys, actor: str, reason: str
) -> dict[str, dict[str, str]]:
    """The values of one registration in the compartments held, by compartment and field; logged first."""
    pseudonym, _status = lifecycle.pseudonym_and_status(connection, event.id, registration_id)
    audit.log(connection, actor, "open", pseudonym, {"compartments": compartments_of(keys)}, reason.strip())
    return open_record(event.id, load_record(connection, registration_id), keys)


def export_csv(connection: Connection, event: Event, *, keys: HeldKeys, actor: str, reason: str) -> tuple[str, int]:
    """Every registration's held fields as formula-safe CSV, and the number of rows; logged first."""
    audit.log(connection, actor, "export", event.id, {"compartments": compartments_of(keys)}, reason.strip())
    return export.export_csv(connection, event, keys)
