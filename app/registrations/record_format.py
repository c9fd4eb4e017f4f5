"""One registration as a record of a kit-sync or staff-export bundle: its ids and its sealed parts, compact.

A record carries what no encoding can shrink (sealed data keys and field ciphertexts) and as little
beside them as the other end needs: about 30 bytes for a registration of the demo event.

    record     = u8 head || u16 day submitted (days since 2000-01-01) || pseudonym
              || key (16 bytes) || [message key] || field map || keys || size classes || ciphertext ...
    head       = type (bits 7-6: 01 a registration) | L (bit 5) | P (bit 4) | M (bit 3) | status (bits 1-0:
                 0 submitted, 1 approved, 2 waitlisted, 3 rejected); bit 2 is zero
    pseudonym  = P clear: 3 bytes, adjective index || noun index || number − 10 (crypto's word lists)
                 P set:   u8 length || UTF-8, for a pseudonym not drawn from the word lists (a kit-sync
                          importer renames such a registration: staff see only pseudonyms of the grammar)
    key        = L set:   the codename look-up; the registration id is derived from it
                          (crypto.registration_id_for), so a kit-sync record need not carry both
                 L clear: the registration id (a staff export carries no look-up)
    message key = M set only: the participant's X25519 public key (32 bytes) || the salt it was derived with
                 (16 bytes; crypto.messages), so that messages reach a registration made on a field kit
    field map  = one bit per field of the event definition, in its order, most significant bit first,
                 padded with zero bits to whole bytes: set for each field the record carries
    keys       = for each compartment that holds a carried field, in the definition's order:
                 varint (generation × 2) || sealed data key (80 bytes: a sealed box of a 32-byte key)
                 when one data key guards all its carried fields (always so in a kit-sync bundle); else
                 varint (n × 2 + 1) || n × (varint generation || sealed data key)
                 || one u8 per carried field of the compartment, in the definition's order: the position
                 (0 to n − 1) of the data key that guards it; every one of the n guards at least one field
    size class = 4 bits per carried field, in the definition's order, two to a byte, high bits first,
                 the last four bits zero when the count is odd; a field's ciphertext is
                 crypto.ciphertext_length(class) bytes long (its padded value is 32 × 2^class bytes)
    varint     = 7 bits a byte, least significant group first, the high bit set on every byte but the last

A kit-sync bundle may also carry withdrawals, for registrations withdrawn on the kit after an earlier bundle
carried them: u8 head (type 10, every other bit zero) || registration id (16 bytes).

Integers are big-endian except varints. Compartments and fields go by position, not by name: both ends must
number them from the same event definition (a kit-sync bundle names its definition's hash; a staff export
carries the definition). A record that holds any other byte, or any byte more or less, does not decode.
Every ciphertext stays sealed to its compartment key.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import crypto
from app.events.definition import Event
from offline_bundle.framing import encode_varint

REGISTRATION = 0b01
WITHDRAWAL = 0b10
STATUSES = ("submitted", "approved", "waitlisted", "rejected")
SEALED_DATA_KEY_BYTES = 80
_EPOCH = datetime.date(2000, 1, 1)
_ID_BYTES = 16
_HAS_LOOKUP = 0b0010_0000
_PSEUDONYM_AS_TEXT = 0b0001_0000
_HAS_MESSAGE_KEY = 0b0000_1000
MESSAGE_KEY_BYTES = 32 + 16  # public key, salt
_STATUS_BITS = 0b0000_0011
_MAX_GENERATION = 0xFFFF


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
    message_key: bytes = b""  # public key || salt (MESSAGE_KEY_BYTES), or empty: not carried

    def ciphertext_bytes(self) -> int:
        """The bytes of sealed data keys, field ciphertexts and the message key: what no encoding can make smaller."""
        return len(self.message_key) + sum(
            len(part.sealed_data_key) + sum(len(c) for c in part.ciphertexts.values()) for _g, part in self.parts
        )


def is_registration(data: bytes) -> bool:
    return data[:1] != b"" and data[0] >> 6 == REGISTRATION


def encode(record: RegistrationRecord, event: Event) -> bytes:
    """The record's bytes; ValueError if the registration cannot be written as one (which its store rules out)."""
    head = REGISTRATION << 6 | STATUSES.index(record.status)
    if record.codename_lookup:
        if crypto.registration_id_for(record.codename_lookup) != record.registration_id:
            raise ValueError("a registration's id is not the one its codename look-up gives")
        head, key = head | _HAS_LOOKUP, record.codename_lookup
    else:
        key = bytes.fromhex(record.registration_id)
    pseudonym = crypto.pseudonym_indices(record.pseudonym)
    if pseudonym is None:
        text = record.pseudonym.encode("utf-8")
        head, pseudonym = head | _PSEUDONYM_AS_TEXT, bytes([len(text)]) + text
    day = (datetime.date.fromisoformat(record.submitted_day) - _EPOCH).days
    if record.message_key:
        if len(record.message_key) != MESSAGE_KEY_BYTES:
            raise ValueError("a message key is a 32-byte public key and a 16-byte salt")
        head, key = head | _HAS_MESSAGE_KEY, key + record.message_key

    guard = {}  # field key -> position of its part in record.parts
    for position, (generation, part) in enumerate(record.parts):
        if len(part.sealed_data_key) != SEALED_DATA_KEY_BYTES or not 1 <= generation <= _MAX_GENERATION:
            raise ValueError("a sealed data key is 80 bytes, under a key generation from 1 to 65,535")
        if not part.ciphertexts:
            raise ValueError("a sealed data key guards no field")
        guard.update(dict.fromkeys(part.ciphertexts, position))
    fields = [field for field in event.fields if field.key in guard]
    if len(fields) != len(guard) or sum(len(part.ciphertexts) for _g, part in record.parts) != len(guard):
        raise ValueError("a registration holds a field this event does not have, or one field twice")
    out = [bytes([head]), day.to_bytes(2, "big"), pseudonym, key, _bits([field.key in guard for field in event.fields])]
    for compartment in event.compartments:
        mine = [field for field in fields if field.compartment == compartment.name]
        keys = list(dict.fromkeys(guard[field.key] for field in mine))  # positions in record.parts
        if any(record.parts[position][1].compartment != compartment.name for position in keys):
            raise ValueError("a field is sealed to another compartment than its own")
        if len(keys) == 1:
            generation, part = record.parts[keys[0]]
            out += [encode_varint(generation * 2), part.sealed_data_key]
        elif keys:
            out.append(encode_varint(len(keys) * 2 + 1))
            for position in keys:
                generation, part = record.parts[position]
                out += [encode_varint(generation), part.sealed_data_key]
            out.append(bytes(keys.index(guard[field.key]) for field in mine))
    classes = []
    for field in fields:
        size_class = crypto.ciphertext_size_class(len(record.parts[guard[field.key]][1].ciphertexts[field.key]))
        if size_class is None:
            raise ValueError("a field ciphertext has a length no sealing gives")
        classes.append(size_class)
    out.append(_nibbles(classes))
    out += [record.parts[guard[field.key]][1].ciphertexts[field.key] for field in fields]
    return b"".join(out)


def encode_withdrawal(registration_id: str) -> bytes:
    return bytes([WITHDRAWAL << 6]) + bytes.fromhex(registration_id)


def decode_withdrawal(data: bytes) -> str:
    if len(data) != 1 + _ID_BYTES or data[0] != WITHDRAWAL << 6:
        raise RecordMalformed("a withdrawal record is malformed")
    return data[1:].hex()


def decode(data: bytes, event: Event) -> RegistrationRecord:
    reader = _Reader(data)
    head = reader.integer(1, "head")
    if head >> 6 != REGISTRATION or head & 0b0100:
        raise RecordMalformed("a record is not a registration")
    status = STATUSES[head & _STATUS_BITS]
    submitted_day = (_EPOCH + datetime.timedelta(days=reader.integer(2, "day"))).isoformat()
    if head & _PSEUDONYM_AS_TEXT:
        try:
            pseudonym = reader.take(reader.integer(1, "pseudonym length"), "pseudonym").decode("utf-8")
        except UnicodeDecodeError:
            raise RecordMalformed("a pseudonym is not UTF-8") from None
        if not pseudonym.strip() or crypto.pseudonym_indices(pseudonym) is not None:
            raise RecordMalformed("a pseudonym is written as text where its indices belong, or is empty")
    else:
        try:
            pseudonym = crypto.pseudonym_from_indices(reader.take(3, "pseudonym"))
        except ValueError:
            raise RecordMalformed("a pseudonym's indices name no word") from None
    key = reader.take(_ID_BYTES, "look-up or id")
    lookup, registration_id = (key, crypto.registration_id_for(key)) if head & _HAS_LOOKUP else (b"", key.hex())
    message_key = reader.take(MESSAGE_KEY_BYTES, "message key") if head & _HAS_MESSAGE_KEY else b""

    carried_bits = _unbits(reader.take((len(event.fields) + 7) // 8, "field map"), len(event.fields))
    fields = [field for field, carried in zip(event.fields, carried_bits, strict=True) if carried]
    if not fields:
        raise RecordMalformed("a registration record carries no field")
    keys: list[tuple[str, int, bytes]] = []  # (compartment, key generation, sealed data key)
    guarded_by: dict[str, int] = {}  # field key -> position in keys
    for compartment in event.compartments:
        mine = [field for field in fields if field.compartment == compartment.name]
        if not mine:
            continue
        count = reader.varint("key generation")
        if count % 2 == 0:
            keys.append((compartment.name, _generation(count // 2), reader.take(SEALED_DATA_KEY_BYTES, "data key")))
            guarded_by.update((field.key, len(keys) - 1) for field in mine)
            continue
        count //= 2
        if not 2 <= count <= len(mine):
            raise RecordMalformed("a compartment's count of data keys is out of range")
        first = len(keys)
        for _ in range(count):
            generation = _generation(reader.varint("key generation"))
            keys.append((compartment.name, generation, reader.take(SEALED_DATA_KEY_BYTES, "data key")))
        positions = reader.take(len(mine), "data key positions")
        if set(positions) != set(range(count)):
            raise RecordMalformed("a data key guards no field, or a field names no data key")
        guarded_by.update((field.key, first + position) for field, position in zip(mine, positions, strict=True))
    classes = _unnibbles(reader.take((len(fields) + 1) // 2, "size classes"), len(fields))
    ciphertexts: list[dict[str, bytes]] = [{} for _ in keys]
    for field, size_class in zip(fields, classes, strict=True):
        ciphertext = reader.take(crypto.ciphertext_length(size_class), "ciphertext")
        ciphertexts[guarded_by[field.key]][field.key] = ciphertext
    if not reader.at_end():
        raise RecordMalformed("a registration record has bytes after its end")
    parts = tuple(
        (generation, crypto.SealedPart(name, sealed_key, guarded))
        for (name, generation, sealed_key), guarded in zip(keys, ciphertexts, strict=True)
    )
    return RegistrationRecord(registration_id, pseudonym, status, submitted_day, lookup, parts, message_key)


def _generation(value: int) -> int:
    if not 1 <= value <= _MAX_GENERATION:
        raise RecordMalformed("a sealed part's key generation is out of range")
    return value


def _bits(flags: list[bool]) -> bytes:
    padded = flags + [False] * (-len(flags) % 8)
    return bytes(sum(bit << (7 - i) for i, bit in enumerate(padded[at : at + 8])) for at in range(0, len(padded), 8))


def _unbits(data: bytes, count: int) -> list[bool]:
    flags = [bool(byte >> (7 - i) & 1) for byte in data for i in range(8)]
    if any(flags[count:]):
        raise RecordMalformed("a registration record's field map sets a bit past the last field")
    return flags[:count]


def _nibbles(values: list[int]) -> bytes:
    padded = values + [0] * (len(values) % 2)
    return bytes(padded[i] << 4 | padded[i + 1] for i in range(0, len(padded), 2))


def _unnibbles(data: bytes, count: int) -> list[int]:
    values = [half for byte in data for half in (byte >> 4, byte & 0x0F)]
    if any(values[count:]) or any(value > crypto.MAX_SIZE_CLASS for value in values):
        raise RecordMalformed("a registration record's size classes are malformed")
    return values[:count]


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

    def varint(self, what: str) -> int:
        """A varint of at most three bytes (up to 2^21 − 1), written in its shortest form."""
        value = 0
        for shift in (0, 7, 14):
            byte = self.integer(1, what)
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                if byte == 0 and shift:
                    raise RecordMalformed(f"a registration record's {what} is not in its shortest form")
                return value
        raise RecordMalformed(f"a registration record's {what} is too long")

    def at_end(self) -> bool:
        return self._offset == len(self._data)
