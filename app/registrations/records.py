"""Storing sealed records and opening them with the compartment keys a holder has."""

from __future__ import annotations

import itertools
import operator
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import crypto
from app.keys.keyring import HeldKeys
from app.registrations import destroyed
from app.storage import slots
from app.storage.connection import Connection


@dataclass(frozen=True)
class StoredRecord:
    """A registration's sealed values as stored: each part with the key generation it is sealed to."""

    registration_id: str
    parts: tuple[tuple[int, crypto.SealedPart], ...]


def store_sealed_parts(
    connection: Connection, registration_id: str, sealed: crypto.SealedRecord, generations: dict[str, int]
) -> None:
    """Inside the caller's transaction: each sealed data key and ciphertext into a slot of its own (app.storage.slots),
    and the rows that say whose they are."""
    taken = iter(
        slots.put_together(
            connection,
            [value for part in sealed.parts for value in (part.sealed_data_key, *part.ciphertexts.values())],
        )
    )
    for part in sealed.parts:
        data_key_id = secrets.token_hex(16)
        connection.execute(
            "INSERT INTO data_key_slots (registration_id, id, compartment, key_generation, slot)"
            " VALUES (?, ?, ?, ?, ?)",
            (registration_id, data_key_id, part.compartment, generations[part.compartment], next(taken)),
        )
        connection.executemany(
            "INSERT INTO field_value_slots (registration_id, field_key, data_key_id, slot) VALUES (?, ?, ?, ?)",
            [(registration_id, key, data_key_id, next(taken)) for key in part.ciphertexts],
        )


def load_record(connection: Connection, registration_id: str) -> StoredRecord:
    return next(
        _records(connection, "WHERE d.registration_id = ?", (registration_id,)), StoredRecord(registration_id, ())
    )


def load_records(connection: Connection, registration_ids: Sequence[str]) -> Iterator[StoredRecord]:
    """The records of these registrations (a batch: at most a few hundred ids), in one query."""
    chosen = ", ".join("?" * len(registration_ids))  # placeholders only: every id is bound as a parameter
    return _records(connection, f"WHERE d.registration_id IN ({chosen})", tuple(registration_ids))


def load_all_records(connection: Connection, event_id: str) -> Iterator[StoredRecord]:
    """Every record of an event, in one query rather than one per record."""
    return _records(
        connection, "WHERE d.registration_id IN (SELECT id FROM registrations WHERE event_id = ?)", (event_id,)
    )


def load_fields(
    connection: Connection, event_id: str, status: str, field_keys: Sequence[str]
) -> Iterator[StoredRecord]:
    """These fields only, of every record of an event with this status: no other ciphertext is read."""
    chosen = ", ".join("?" * len(field_keys))  # placeholders only: every key is bound as a parameter
    where = "WHERE d.registration_id IN (SELECT id FROM registrations WHERE event_id = ? AND status = ?)"
    where += f" AND f.field_key IN ({chosen})"
    return _records(connection, where, (event_id, status, *field_keys))


_JOIN = (
    "SELECT d.registration_id, d.id, d.compartment, d.key_generation, d.sealed_data_key, f.field_key, f.ciphertext"
    " FROM data_keys AS d JOIN field_values AS f ON f.registration_id = d.registration_id AND f.data_key_id = d.id"
)


def _records(connection: Connection, where: str, parameters: tuple) -> Iterator[StoredRecord]:
    """Records streamed from one join, in key order, so that no table is held whole in memory."""
    # `where` is fixed text and placeholders only (see the callers above); every value is bound as a parameter.
    rows = connection.execute(f"{_JOIN} {where} ORDER BY d.registration_id, d.id", parameters)  # noqa: S608
    for registration_id, record_rows in itertools.groupby(rows, key=operator.itemgetter(0)):
        parts = []
        for _data_key_id, part_rows in itertools.groupby(record_rows, key=operator.itemgetter(1)):
            first, *rest = part_rows
            ciphertexts = {row[5]: row[6] for row in (first, *rest)}
            parts.append((first[3], crypto.SealedPart(first[2], first[4], ciphertexts)))
        yield StoredRecord(registration_id, tuple(parts))


def open_record(event_id: str, record: StoredRecord, keys: HeldKeys) -> dict[str, dict[str, str]]:
    """The values of the compartments whose keys are held, by compartment and field; others are left out."""
    opened: dict[str, dict[str, str]] = {}
    for generation in sorted({generation for generation, _part in record.parts}):
        keys_of_generation = {c: key for (c, g), key in keys.items() if g == generation}
        subset = crypto.SealedRecord(tuple(part for g, part in record.parts if g == generation))
        for compartment, fields in crypto.open_registration(
            event_id, record.registration_id, keys_of_generation, subset
        ).items():
            opened.setdefault(compartment, {}).update(fields)
    return opened


# The tables of a registration's rows, in the order they are deleted. Deleting a row of the first three zeroes its
# values where they stand, in their slots (migration 0015). What the registration's own row holds (its id, derived
# from the codename's look-up, the look-up, the message public key and salt) is what destroyed_ids keeps of it
# anyway, so that no restore brings it back; pseudonyms, statuses and days are in the log.
DESTROYED_WITH_A_REGISTRATION = ("message_slots", "field_value_slots", "data_key_slots", "registrations")


def destroy(connection: Connection, registration_id: str) -> None:
    """Inside db.destroying(): a registration with every ciphertext, sealed data key and message it had."""
    destroy_all(connection, [registration_id])


def destroy_all(connection: Connection, registration_ids: Sequence[str]) -> None:
    """Inside db.destroying(): these registrations, each value zeroed where it stands as the row naming it goes."""
    if not registration_ids:
        return
    chosen = f"({', '.join('?' * len(registration_ids))})"  # placeholders only: every id is bound
    for table in DESTROYED_WITH_A_REGISTRATION:
        where = f"{'id' if table == 'registrations' else 'registration_id'} IN {chosen}"
        connection.execute(f"DELETE FROM {table} WHERE {where}", tuple(registration_ids))  # noqa: S608
    for registration_id in registration_ids:
        destroyed.record_registration(connection, registration_id)  # a restore must not bring it back
