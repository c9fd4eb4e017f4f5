"""Storing sealed records and opening them with the compartment keys a holder has."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import crypto
from app import db
from app.keyring import HeldKeys


@dataclass(frozen=True)
class StoredRecord:
    """A registration's sealed values as stored: each part with the key generation it is sealed to."""

    registration_id: str
    parts: tuple[tuple[int, crypto.SealedPart], ...]


def store_sealed_parts(
    connection: db.Connection, registration_id: str, sealed: crypto.SealedRecord, generations: dict[str, int]
) -> None:
    for part in sealed.parts:
        data_key_id = secrets.token_hex(16)
        connection.execute(
            "INSERT INTO data_keys (registration_id, id, compartment, key_generation, sealed_data_key)"
            " VALUES (?, ?, ?, ?, ?)",
            (registration_id, data_key_id, part.compartment, generations[part.compartment], part.sealed_data_key),
        )
        connection.executemany(
            "INSERT INTO field_values (registration_id, field_key, data_key_id, ciphertext) VALUES (?, ?, ?, ?)",
            [(registration_id, key, data_key_id, ciphertext) for key, ciphertext in part.ciphertexts.items()],
        )


def load_record(connection: db.Connection, registration_id: str) -> StoredRecord:
    return next(
        _records(connection, "WHERE registration_id = ?", (registration_id,)), StoredRecord(registration_id, ())
    )


def load_all_records(connection: db.Connection, event_id: str) -> Iterator[StoredRecord]:
    """Every record of an event, read in two passes over the tables rather than one query per record."""
    return _records(
        connection, "WHERE registration_id IN (SELECT id FROM registrations WHERE event_id = ?)", (event_id,)
    )


def _records(connection: db.Connection, where: str, parameters: tuple) -> Iterator[StoredRecord]:
    ciphertexts: dict[str, dict[str, bytes]] = {}
    for data_key_id, field_key, ciphertext in connection.execute(
        f"SELECT data_key_id, field_key, ciphertext FROM field_values {where}",
        parameters,  # noqa: S608
    ):
        ciphertexts.setdefault(data_key_id, {})[field_key] = ciphertext
    parts: dict[str, list[tuple[int, crypto.SealedPart]]] = {}
    for registration_id, data_key_id, compartment, generation, sealed_data_key in connection.execute(
        "SELECT registration_id, id, compartment, key_generation, sealed_data_key FROM data_keys"
        f" {where} ORDER BY registration_id, id",  # noqa: S608
        parameters,
    ):
        part = crypto.SealedPart(compartment, sealed_data_key, ciphertexts.get(data_key_id, {}))
        parts.setdefault(registration_id, []).append((generation, part))
    for registration_id, record_parts in parts.items():
        yield StoredRecord(registration_id, tuple(record_parts))


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
