"""The compact record a kit-sync or staff-export bundle carries per registration: exact, strict and small."""

from __future__ import annotations

import dataclasses

import pytest
from nacl.public import PrivateKey

import crypto
from app.events.definition import demo_event_source, load_event
from app.registrations.record_format import RecordMalformed, RegistrationRecord, decode, encode
from benchmarks.sample import ANSWERS
from offline_bundle.framing import encode_varint

EVENT = load_event(demo_event_source())
KEYS = {compartment.name: PrivateKey.generate() for compartment in EVENT.compartments}


def _sealed(registration_id: str, fields, answers=ANSWERS, generation: int = 1) -> list[tuple[int, crypto.SealedPart]]:
    values: dict[str, dict[str, str]] = {}
    for field in fields:
        values.setdefault(field.compartment, {})[field.key] = answers.get(field.key, "")
    public = {name: KEYS[name].public_key for name in values}
    return [(generation, part) for part in crypto.seal_registration(EVENT.id, registration_id, public, values).parts]


def _kit_record(pseudonym: str | None = None) -> RegistrationRecord:
    lookup = crypto.codename_lookup(bytes(32), " ".join(["food"] * 8))
    registration_id = crypto.registration_id_for(lookup)
    parts = _sealed(registration_id, EVENT.registration_fields())
    return RegistrationRecord(
        registration_id, pseudonym or crypto.new_pseudonym(), "submitted", "2027-03-01", lookup, tuple(parts)
    )


def _same(first: RegistrationRecord, second: RegistrationRecord) -> bool:
    def order(part):
        return part[1].compartment, sorted(part[1].ciphertexts)

    return dataclasses.replace(first, parts=()) == dataclasses.replace(second, parts=()) and sorted(
        first.parts, key=order
    ) == sorted(second.parts, key=order)


def test_a_kit_registration_carries_about_thirty_bytes_beside_its_ciphertexts():
    record = _kit_record()
    data = encode(record, EVENT)
    assert _same(decode(data, EVENT), record)
    beside = len(data) - record.ciphertext_bytes()
    # head 1, day 2, pseudonym 3, look-up 16, field map 2, one byte of key generation per compartment
    # held (4 here), one size class per field in half a byte (10 fields: 5).
    assert beside == 1 + 2 + 3 + 16 + (len(EVENT.fields) + 7) // 8 + 4 + 5
    assert beside <= 0.035 * record.ciphertext_bytes()


def test_the_registration_id_travels_only_as_its_look_up_and_is_derived_again():
    record = _kit_record()
    data = encode(record, EVENT)
    assert bytes.fromhex(record.registration_id) not in data and record.codename_lookup in data
    assert decode(data, EVENT).registration_id == record.registration_id
    with pytest.raises(ValueError, match="not the one its codename look-up gives"):
        encode(dataclasses.replace(record, registration_id="00" * 16), EVENT)


def test_a_staff_export_record_carries_the_id_any_pseudonym_and_several_data_keys_in_one_compartment():
    registration_id = "ab" * 16
    first = _sealed(registration_id, EVENT.registration_fields())
    later = _sealed(registration_id, EVENT.follow_up_fields(), {"passport_name": "Ana Example"}, generation=300)
    # A second sealing into a compartment that already holds a field: two data keys for one compartment.
    identity = next(part for _g, part in first if part.compartment == "identity")
    extra = _sealed(registration_id, [f for f in EVENT.fields if f.key == "badge_name"], {"badge_name": "A" * 70})
    without_badge = crypto.SealedPart(
        "identity",
        identity.sealed_data_key,
        {key: value for key, value in identity.ciphertexts.items() if key != "badge_name"},
    )
    parts = [(g, p) for g, p in first if p.compartment != "identity"] + [(1, without_badge)] + extra + later
    for pseudonym in ("Renamed by staff", crypto.new_pseudonym()):
        record = RegistrationRecord(registration_id, pseudonym, "approved", "2027-01-02", b"", tuple(parts))
        assert _same(decode(encode(record, EVENT), EVENT), record)


@pytest.mark.parametrize(
    "change, what",
    [
        (lambda data: bytes([data[0] | 0b1000]) + data[1:], "reserved bit"),
        (lambda data: bytes([data[0] & 0x3F]) + data[1:], "another type"),
        (lambda data: data[:5] + bytes([90]) + data[6:], "a number past 99"),
        (lambda data: data[:22] + bytes(2) + data[24:], "no field"),
        (lambda data: data + b"\x00", "a byte after the end"),
    ],
)
def test_a_record_with_any_other_byte_does_not_decode(change, what):
    data = encode(_kit_record(), EVENT)
    with pytest.raises(RecordMalformed):
        decode(change(data), EVENT)


def test_only_one_encoding_decodes_for_each_record():
    record = _kit_record()
    data = encode(record, EVENT)
    map_at = 1 + 2 + 3 + 16
    map_bytes = (len(EVENT.fields) + 7) // 8
    keys_at = map_at + map_bytes
    assert data[keys_at] == 2  # key generation 1, written doubled: one data key for the compartment
    longer = data[:keys_at] + bytes([0x82, 0x00]) + data[keys_at + 1 :]  # the same number, not in its shortest form
    with pytest.raises(RecordMalformed, match="shortest form"):
        decode(longer, EVENT)
    spare_bits = 8 * map_bytes - len(EVENT.fields)
    assert spare_bits, "the demo event leaves bits to spare in its field map"
    field_map = int.from_bytes(data[map_at:keys_at], "big") | 1
    with pytest.raises(RecordMalformed, match="past the last field"):
        decode(data[:map_at] + field_map.to_bytes(map_bytes, "big") + data[keys_at:], EVENT)
    # A pseudonym from the word lists written as text would be a second encoding of the same record.
    as_text = record.pseudonym.encode("utf-8")
    second = bytes([data[0] | 0b1_0000]) + data[1:3] + bytes([len(as_text)]) + as_text + data[6:]
    with pytest.raises(RecordMalformed, match="written as text"):
        decode(second, EVENT)


def test_every_cut_of_a_record_is_malformed():
    data = encode(_kit_record(), EVENT)
    for cut in range(len(data)):
        with pytest.raises(RecordMalformed):
            decode(data[:cut], EVENT)


def test_varints_are_seven_bits_a_byte_least_significant_first():
    assert [encode_varint(n) for n in (0, 1, 127, 128, 300, 16_383, 16_384)] == [
        b"\x00",
        b"\x01",
        b"\x7f",
        b"\x80\x01",
        b"\xac\x02",
        b"\xff\x7f",
        b"\x80\x80\x01",
    ]
