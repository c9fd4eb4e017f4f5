"""Staff reading sealed records: opening one, or exporting every one, with a reason that the log keeps.

Each reading is logged before anything is decrypted, so that one which fails half-way is still on record.
Only the compartments whose keys the reader holds are opened; the others are never decrypted. A record that
does not open with those keys is set aside (app.registrations.set_aside) and logged by pseudonym, after the
reading's own entry: opening it says so in one sentence, and an export completes without it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import crypto
from app.audit import log as audit
from app.events.definition import Event
from app.keys import keyring
from app.keys.keyring import HeldKeys
from app.registrations import export, lifecycle, set_aside
from app.registrations.records import StoredRecord, load_fields, load_record, open_record
from app.storage import db
from app.storage.connection import Connection


def compartments_of(keys: HeldKeys) -> list[str]:
    return sorted({compartment for compartment, _generation in keys})


def open_registration(
    connection: Connection, event: Event, registration_id: str, *, keys: HeldKeys, actor: str, reason: str
) -> dict[str, dict[str, str]]:
    """The values of one registration in the compartments held, by compartment and field; logged first.

    RecordDoesNotOpen, once it is set aside and logged, for a record the keys held should open and do not.
    """
    pseudonym, _status = lifecycle.pseudonym_and_status(connection, event.id, registration_id)
    audit.log(connection, actor, "open", pseudonym, {"compartments": compartments_of(keys)}, reason.strip())
    return _open(connection, event, registration_id, pseudonym, keys=keys, actor=actor, reason=reason)


def open_again(
    connection: Connection, event: Event, registration_id: str, *, keys: HeldKeys, actor: str, reason: str
) -> dict[str, dict[str, str]]:
    """The values of a registration this reader opened with ``reason`` (open_registration) and still has open,
    decrypted again with no new entry: it is the same opening. The caller keeps what is open (the staff session).

    UnknownRegistration if it was withdrawn or destroyed since; RecordDoesNotOpen as open_registration.
    """
    pseudonym, _status = lifecycle.pseudonym_and_status(connection, event.id, registration_id)
    return _open(connection, event, registration_id, pseudonym, keys=keys, actor=actor, reason=reason)


def _open(
    connection: Connection,
    event: Event,
    registration_id: str,
    pseudonym: str,
    *,
    keys: HeldKeys,
    actor: str,
    reason: str,
) -> dict[str, dict[str, str]]:
    try:
        return open_record(
            event.id, load_record(connection, registration_id), keyring.matching(connection, event.id, keys)
        )
    except crypto.RecordTampered:
        with db.transaction(connection):
            set_aside.mark(connection, [registration_id])
            audit.record(
                connection, actor, "does not open", pseudonym, {"compartments": compartments_of(keys)}, reason.strip()
            )
        raise set_aside.RecordDoesNotOpen(pseudonym) from None


def export_csv(connection: Connection, event: Event, *, keys: HeldKeys, actor: str, reason: str) -> Iterator[str]:
    """Every registration's held fields as formula-safe CSV, streamed a batch of records at a time; logged first.

    The entry is written before this returns, so before a line is sent. Records that do not open keep a marked
    row and are set aside; an entry after the last line names them.
    """
    audit.log(connection, actor, "export", event.id, {"compartments": compartments_of(keys)}, reason.strip())
    return _exported(connection, event, keyring.matching(connection, event.id, keys), actor, reason)


def _exported(connection: Connection, event: Event, keys: HeldKeys, actor: str, reason: str) -> Iterator[str]:
    found: list[export.SetAside] = []
    yield from export.stream_csv(connection, event, keys, found)
    if found:
        with db.transaction(connection):
            set_aside.mark(connection, (aside.registration_id for aside in found))
            pseudonyms = sorted(aside.pseudonym for aside in found)
            detail = {"set aside": len(found), "pseudonyms": pseudonyms}
            audit.record(connection, actor, "export set aside", event.id, detail, reason.strip())


@dataclass(frozen=True)
class OpenedFields:
    values: dict[str, dict[str, str]]  # by pseudonym: field key -> value
    set_aside: tuple[str, ...]  # pseudonyms whose records did not open: set aside and logged
    not_opened: tuple[str, ...]  # pseudonyms sealed under a key generation the reader does not hold


def open_fields(
    connection: Connection,
    event: Event,
    chosen: Mapping[str, str],
    *,
    status: str,
    compartments: Sequence[str],
    fields: Sequence[str],
    keys: HeldKeys,
    actor: str,
    action: str,
    reason: str,
) -> OpenedFields:
    """These fields of these registrations (id -> pseudonym, all of this status), for an opening the caller has
    logged already (badges, letters). Only these fields are read and only these compartments' keys offered:
    nothing else opens. A record that does not open is set aside, in one entry "ACTION set aside"."""
    offered = {(c, g): key for (c, g), key in keys.items() if c in compartments}
    matching = keyring.matching(connection, event.id, offered)
    records = {record.registration_id: record for record in load_fields(connection, event.id, status, fields)}
    opened: dict[str, dict[str, str]] = {}
    tampered: dict[str, str] = {}
    not_opened: list[str] = []
    for registration_id, pseudonym in chosen.items():
        record = records.get(registration_id, StoredRecord(registration_id, ()))  # purged: nothing left to open
        try:
            parts = open_record(event.id, record, matching)
        except crypto.RecordTampered:
            tampered[registration_id] = pseudonym
            continue
        if {part.compartment for _generation, part in record.parts} - set(parts):
            not_opened.append(pseudonym)
            continue
        opened[pseudonym] = {key: value for part in parts.values() for key, value in part.items()}
    aside = tuple(sorted(tampered.values()))
    if tampered:
        with db.transaction(connection):
            set_aside.mark(connection, tampered)
            detail = {"set aside": len(aside), "pseudonyms": list(aside)}
            audit.record(connection, actor, f"{action} set aside", event.id, detail, reason)
    return OpenedFields(opened, aside, tuple(sorted(not_opened)))
