"""Sealing and opening records: round trips, binding to their place, padding, and known answers."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import crypto
from crypto.records import associated_data, encrypt_field

EVENT = "forum-2027"
VECTORS = Path(__file__).parent / "vectors" / "record-v1.json"


@pytest.fixture
def keys():
    return {name: crypto.new_key_pair() for name in ("identity", "needs")}


def _public(keys):
    return {name: key.public_key for name, key in keys.items()}


VALUES = {"identity": {"full_name": "Ana Example", "country": "Examplestan"}, "needs": {"diet": "vegan"}}


def test_every_field_comes_back_exactly_with_the_compartment_keys(keys):
    values = {"identity": {"full_name": "Ана 👩🏽‍⚖️ مثال", "country": ""}, "needs": {"diet": "x" * 4000}}
    sealed = crypto.seal_registration(EVENT, "r1", _public(keys), values)
    assert crypto.open_registration(EVENT, "r1", keys, sealed) == values


def test_only_the_compartments_whose_keys_are_held_are_opened(keys):
    sealed = crypto.seal_registration(EVENT, "r1", _public(keys), VALUES)
    assert crypto.open_registration(EVENT, "r1", {"needs": keys["needs"]}, sealed) == {"needs": VALUES["needs"]}
    assert crypto.open_registration(EVENT, "r1", {}, sealed) == {}


def test_another_key_opens_nothing(keys):
    sealed = crypto.seal_registration(EVENT, "r1", _public(keys), VALUES)
    with pytest.raises(crypto.RecordTampered):
        crypto.open_registration(EVENT, "r1", {"identity": crypto.new_key_pair()}, sealed)


def _identity_part(sealed):
    return next(part for part in sealed.parts if part.compartment == "identity")


def test_a_ciphertext_moved_to_another_field_does_not_open(keys):
    sealed = crypto.seal_registration(EVENT, "r1", _public(keys), VALUES)
    part = _identity_part(sealed)
    swapped = {"full_name": part.ciphertexts["country"], "country": part.ciphertexts["full_name"]}
    moved = crypto.SealedRecord((replace(part, ciphertexts=swapped),))
    with pytest.raises(crypto.RecordTampered):
        crypto.open_registration(EVENT, "r1", keys, moved)


def test_a_record_moved_to_another_registration_or_event_does_not_open(keys):
    sealed = crypto.seal_registration(EVENT, "r1", _public(keys), VALUES)
    with pytest.raises(crypto.RecordTampered):
        crypto.open_registration(EVENT, "r2", keys, sealed)
    with pytest.raises(crypto.RecordTampered):
        crypto.open_registration("other-event", "r1", keys, sealed)


def test_a_ciphertext_moved_into_another_record_does_not_open(keys):
    first = crypto.seal_registration(EVENT, "r1", _public(keys), VALUES)
    second = crypto.seal_registration(EVENT, "r2", _public(keys), VALUES)
    stolen = _identity_part(first).ciphertexts["full_name"]
    target = _identity_part(second)
    planted = crypto.SealedRecord((replace(target, ciphertexts={**target.ciphertexts, "full_name": stolen}),))
    with pytest.raises(crypto.RecordTampered):
        crypto.open_registration(EVENT, "r2", keys, planted)


def test_a_ciphertext_moved_to_another_compartment_does_not_open():
    # Same key for both compartments, so only the associated data can tell them apart.
    shared = crypto.new_key_pair()
    keys = {"identity": shared, "needs": shared}
    sealed = crypto.seal_registration(EVENT, "r1", _public(keys), {"identity": {"diet": "vegan"}})
    part = sealed.parts[0]
    relabelled = crypto.SealedRecord((replace(part, compartment="needs"),))
    with pytest.raises(crypto.RecordTampered):
        crypto.open_registration(EVENT, "r1", keys, relabelled)


@pytest.mark.parametrize("position", [0, 1, 30, -1])
def test_a_flipped_byte_does_not_open(keys, position):
    sealed = crypto.seal_registration(EVENT, "r1", _public(keys), VALUES)
    part = _identity_part(sealed)
    damaged = bytearray(part.ciphertexts["full_name"])
    damaged[position] ^= 0x01
    broken = crypto.SealedRecord((replace(part, ciphertexts={**part.ciphertexts, "full_name": bytes(damaged)}),))
    with pytest.raises(crypto.RecordTampered):
        crypto.open_registration(EVENT, "r1", keys, broken)


def test_sizes_do_not_tell_short_names_apart(keys):
    names = ["", "Li", "Ana Example", "Maria del Carmen Ruiz", "Александра Ив"]
    sizes = set()
    for name in names:
        sealed = crypto.seal_registration(EVENT, "r1", _public(keys), {"identity": {"full_name": name}})
        sizes.add(len(sealed.parts[0].ciphertexts["full_name"]))
    assert len(sizes) == 1


def test_each_sealing_draws_a_fresh_data_key_and_nonces(keys):
    """The data keys themselves differ (the sealed copies would differ even for one reused key), and so do
    the nonces, within one sealing and between two."""
    sealings = [crypto.seal_registration(EVENT, "r1", _public(keys), VALUES) for _ in range(2)]
    data_keys = [
        crypto.open_sealed(keys[part.compartment], part.sealed_data_key) for sealed in sealings for part in sealed.parts
    ]
    assert len(set(data_keys)) == len(data_keys) == 4, "every compartment of every sealing has its own data key"
    nonces = [
        ciphertext[1:25] for sealed in sealings for part in sealed.parts for ciphertext in part.ciphertexts.values()
    ]
    assert len(set(nonces)) == len(nonces) == 6, "every field of every sealing has its own nonce"


def testassociated_data_cannot_be_confused_by_moving_separators():
    assert associated_data("a", "bc", "d", "e") != associated_data("ab", "c", "d", "e")


# Known answers: another implementation must produce and open exactly these bytes.


def test_known_answer_field_encryption():
    vectors = json.loads(VECTORS.read_text())
    for vector in vectors["field_encryption"]:
        associated = associated_data(vector["event"], vector["registration"], vector["compartment"], vector["field"])
        assert associated.hex() == vector["associated_data"]
        produced = encrypt_field(
            bytes.fromhex(vector["data_key"]), bytes.fromhex(vector["nonce"]), associated, vector["value"]
        )
        assert produced.hex() == vector["ciphertext"]


def test_known_answer_sealed_record_opens_to_its_values():
    vectors = json.loads(VECTORS.read_text())
    for vector in vectors["sealed_records"]:
        keys = {name: crypto.PrivateKey(bytes.fromhex(hexkey)) for name, hexkey in vector["compartment_keys"].items()}
        record = crypto.SealedRecord(
            tuple(
                crypto.SealedPart(
                    part["compartment"],
                    bytes.fromhex(part["sealed_data_key"]),
                    {key: bytes.fromhex(value) for key, value in part["ciphertexts"].items()},
                )
                for part in vector["parts"]
            )
        )
        assert crypto.open_registration(vector["event"], vector["registration"], keys, record) == vector["values"]
