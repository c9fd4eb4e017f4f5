"""One registration as a record of a kit-sync or staff-export bundle: its ids and its sealed parts, compact.

    record = u8 type (1: a registration)
          || registration id (16 bytes: the 32 hexadecimal digits it is stored as)
          || u8 length || pseudonym (UTF-8)
          || u8 status (0 submitted, 1 approved, 2 waitlisted, 3 rejected)
          || u16 day submitted (days since 2000-01-01)
          || u8 length || codename look-up (32 bytes in a kit-sync bundle; none in a staff export)
          || u8 part count || part ...
    part   = u8 compartment (its position in the event definition's list of compartments)
          || u16 key generation
          || sealed data key (80 bytes: a sealed box holding a 32-byte key)
          || u8 field count || field ...
    field  = u8 field (its position in the event definition's list of fields)
          || u16 length || ciphertext (as crypto.records writes it)

A kit-sync bundle may also carry withdrawals, for registrations withdrawn on the kit after an earlier bundle
carried them: u8 type (2: a withdrawal) || registration id (16 bytes).

Integers are big-endian. Compartments and fields go by position, not by name, to keep a record small: both
ends must number them from the same event definition (a kit-sync bundle names its definition's hash; a staff
export carries the definition). Every ciphertext stays sealed to its compartment key.
"""

from __future__ import annotations

import datetime
import struct
from dataclasses import dataclass

import crypto
from app.event import Event

REGISTRATION = 1
WITHDRAWAL = 2
STATUSES = ("submitted", "approved", "waitlisted", "rejected")
SEALED_DATA_KEY_BYTES = 80
_EPOCH = datetime.date(2000, 1, 1)
_ID_BYTES = 16


class RecordMalformed(ValueError):
    """A record that does not decode; the message says what is wrong and holds none of its bytes."""


@dataclass(frozen=True)
class RegistrationRecord:
    registration_id: str
    pseudonym: str
    status: str
    submitted_day: str
    codename_lookup: bytes  # empty when not carried
    parts: tuple[tuple[int, crypto.SealedPart], ...]  # (key generation, part)

    def ciphertext_bytes(self) -> int:
        """The bytes of sealed data keys and field ciphertexts: what no encoding can make smaller."""
        return sum(
            len(part.sealed_data_key) + sum(len(c) for c in part.ciphertexts.values()) for _g, part in self.parts
        )


def encode(record: RegistrationRecord, event: Event) -> bytes:
    compartments = {compartment.name: position for position, compartment in enumerate(event.compartments)}
    fields = {field.key: position for position, field in enumerate(event.fields)}
    pseudonym = record.pseudonym.encode("utf-8")
    day = (datetime.date.fromisoformat(record.submitted_day) - _EPOCH).days
    out = [
        bytes([REGISTRATION]),
        bytes.fromhex(record.registration_id),
        bytes([len(pseudonym)]),
        pseudonym,
        struct.pack(">BHB", STATUSES.index(record.status), day, len(record.codename_lookup)),
        record.codename_lookup,
        bytes([len(record.parts)]),
    ]
    for generation, part in record.parts:
        if len(part.sealed_data_key) != SEALED_DATA_KEY_BYTES:
            raise ValueError("a sealed data key is 80 bytes")
        out += [struct.pack(">BH", compartments[part.compartment], generation), part.sealed_data_key]
        out.append(bytes([len(part.ciphertexts)]))
        for field_key, ciphertext in part.ciphertexts.items():
            out += [struct.pack(">BH", fields[field_key], len(ciphertext)), ciphertext]
    return b"".join(out)


def encode_withdrawal(registration_id: str) -> bytes:
    return bytes([WITHDRAWAL]) + bytes.fromhex(registration_id)


def decode_withdrawal(data: bytes) -> str:
    if len(data) != 1 + _ID_BYTES or data[0] != WITHDRAWAL:
        raise RecordMalformed("a withdrawal record is malformed")
    return data[1:].hex()


def decode(data: bytes, event: Event) -> RegistrationRecord:
    reader = _Reader(data)
    if reader.integer(1, "type") != REGISTRATION:
        raise RecordMalformed("a record is not a registration")
    registration_id = reader.take(_ID_BYTES, "registration id").hex()
    try:
        pseudonym = reader.take(reader.integer(1, "pseudonym length"), "pseudonym").decode("utf-8")
    except UnicodeDecodeError:
        raise RecordMalformed("a pseudonym is not UTF-8") from None
    status = _pick(STATUSES, reader.integer(1, "status"), "status")
    submitted_day = (_EPOCH + datetime.timedelta(days=reader.integer(2, "day"))).isoformat()
    lookup = reader.take(reader.integer(1, "look-up length"), "codename look-up")
    if len(lookup) not in (0, 32) or not pseudonym.strip():
        raise RecordMalformed("a registration record has a malformed pseudonym or codename look-up")
    parts = []
    seen_fields: set[str] = set()
    for _ in range(reader.integer(1, "part count")):
        compartment = _pick(event.compartments, reader.integer(1, "compartment"), "compartment").name
        generation = reader.integer(2, "key generation")
        sealed_data_key = reader.take(SEALED_DATA_KEY_BYTES, "sealed data key")
        ciphertexts = {}
        for _ in range(reader.integer(1, "field count")):
            field = _pick(event.fields, reader.integer(1, "field"), "field")
            if field.compartment != compartment or field.key in seen_fields:
                raise RecordMalformed("a field is in the wrong compartment, or appears twice")
            seen_fields.add(field.key)
            ciphertexts[field.key] = reader.take(reader.integer(2, "ciphertext length"), "ciphertext")
        if generation < 1 or not ciphertexts:
            raise RecordMalformed("a sealed part has no key generation or no field")
        parts.append((generation, crypto.SealedPart(compartment, sealed_data_key, ciphertexts)))
    if not reader.at_end():
        raise RecordMalformed("a registration record has bytes after its end")
    return RegistrationRecord(registration_id, pseudonym, status, submitted_day, lookup, tuple(parts))


def _pick(options, position: int, what: str):
    if position >= len(options):
        raise RecordMalformed(f"a registration record names a {what} this event does not have")
    return options[position]


class _Reader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._offset = 0

    def take(self, size: int, what: str) -> bytes:
        if self._offset + size > len(self._data):
            raise RecordMalformed(f"a registration record ends inside its {what}")
        chunk = self._data[self._offset : self._offset + size]
        self._offset += size
        return chunk

    def integer(self, size: int, what: str) -> int:
        return int.from_bytes(self.take(size, what), "big")

    def at_end(self) -> bool:
        return self._offset == len(self._data)
