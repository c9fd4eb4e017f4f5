"""Passes: genuine ones verify, and no altered, forged, mistyped or other-event pass is taken for one."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from crypto import passes

VECTORS = json.loads((Path(__file__).parent / "vectors" / "pass-v1.json").read_text("utf-8"))
KEY = passes.pass_signing_key(bytes.fromhex(VECTORS["pass_secret"]))
EVENT = "stockholm-forum-2027"


def a_pass() -> bytes:
    return passes.make_pass(
        KEY, event_id=EVENT, pass_id=bytes(10), first_day=datetime.date(2027, 5, 4), last_day=datetime.date(2027, 5, 7)
    )


def test_the_implementation_writes_the_frozen_vectors_byte_for_byte():
    assert bytes(KEY.verify_key).hex() == VECTORS["pass_public_key"]
    for vector in VECTORS["passes"]:
        raw = passes.make_pass(
            KEY,
            event_id=vector["event"],
            pass_id=bytes.fromhex(vector["pass_id"]),
            first_day=datetime.date.fromisoformat(vector["first_day"]),
            last_day=datetime.date.fromisoformat(vector["last_day"]),
        )
        assert raw.hex() == vector["pass"]
        assert passes.code_of(raw) == vector["code"]
        assert passes.read_code(vector["code"]) == raw
        assert passes.short_code_of(passes.pass_id_of(raw)) == vector["short_code"]
        assert passes.pass_tag(passes.pass_id_of(raw)).hex() == vector["pass_tag"]


def test_every_byte_of_a_pass_flipped_is_refused_as_not_genuine():
    raw = a_pass()
    public = bytes(KEY.verify_key)
    for position in range(len(raw)):
        for flip in (0x01, 0x80):
            changed = bytearray(raw)
            changed[position] ^= flip
            with pytest.raises((passes.PassNotGenuine, passes.PassForAnotherEvent)):
                passes.verify_pass(public, EVENT, passes.read_code(passes.code_of(bytes(changed))))


def test_every_character_of_a_code_mistyped_is_refused_as_mistyped_or_not_genuine():
    code = passes.code_of(a_pass())
    public = bytes(KEY.verify_key)
    for position, character in enumerate(code):
        if character == "-":
            continue
        wrong = "Z" if character not in "Z" else "Y"
        typed = code[:position] + wrong + code[position + 1 :]
        with pytest.raises((passes.PassMistyped, passes.PassNotGenuine, passes.PassForAnotherEvent)):
            passes.verify_pass(public, EVENT, passes.read_code(typed))


def test_a_pass_signed_by_another_key_is_not_genuine():
    forged = passes.make_pass(
        passes.pass_signing_key(bytes(32)),
        event_id=EVENT,
        pass_id=bytes(10),
        first_day=datetime.date(2027, 5, 4),
        last_day=datetime.date(2027, 5, 7),
    )
    with pytest.raises(passes.PassNotGenuine):
        passes.verify_pass(bytes(KEY.verify_key), EVENT, forged)


def test_a_pass_of_another_event_is_refused_as_such():
    with pytest.raises(passes.PassForAnotherEvent):
        passes.verify_pass(bytes(KEY.verify_key), "another-event", a_pass())


@pytest.mark.parametrize("typed", ["", "12345", "!" * 134, "U" * 134, "0" * 135, "Z" * 134])
def test_text_that_cannot_be_a_code_is_mistyped(typed):
    with pytest.raises(passes.PassMistyped):
        passes.read_code(typed)


def test_case_spaces_dashes_and_look_alike_letters_are_forgiven():
    raw = a_pass()
    code = passes.code_of(raw)
    for typed in (code.lower(), " ".join(code.split("-")), code.replace("0", "o").replace("1", "I")):
        assert passes.read_code(typed) == raw


def test_a_pass_carries_the_days_it_is_valid():
    found = passes.verify_pass(bytes(KEY.verify_key), EVENT, a_pass())
    assert found.valid_on(datetime.date(2027, 5, 4)) and found.valid_on(datetime.date(2027, 5, 7))
    assert not found.valid_on(datetime.date(2027, 5, 3)) and not found.valid_on(datetime.date(2027, 5, 8))


SHORT = passes.short_code_of(bytes.fromhex("f0e1d2c3b4a59687780f"))


def test_a_short_code_is_at_most_32_characters_and_reads_back_as_its_pass_id():
    assert len(SHORT) <= 32
    assert passes.read_short_code(SHORT) == bytes.fromhex("f0e1d2c3b4a59687780f")


def test_every_character_of_a_short_code_mistyped_is_caught_by_its_check():
    text = SHORT.replace("-", "")
    for position, character in enumerate(text):
        for wrong in passes.CROCKFORD_ALPHABET.replace(character, ""):
            with pytest.raises(passes.PassMistyped, match="check"):
                passes.read_short_code(text[:position] + wrong + text[position + 1 :])


def test_any_two_characters_of_a_short_code_swapped_are_caught_by_its_check():
    text = SHORT.replace("-", "")
    for first in range(len(text)):
        for second in range(first + 1, len(text)):
            if text[first] != text[second]:
                swapped = list(text)
                swapped[first], swapped[second] = text[second], text[first]
                with pytest.raises(passes.PassMistyped, match="check"):
                    passes.read_short_code("".join(swapped))


@pytest.mark.parametrize("typed", ["", "12345", "!" * 17, "U" * 17, "0" * 18])
def test_text_that_cannot_be_a_short_code_is_mistyped(typed):
    with pytest.raises(passes.PassMistyped):
        passes.read_short_code(typed)


def test_a_short_code_forgives_case_spaces_dashes_and_look_alike_letters():
    for typed in (SHORT.lower(), SHORT.replace("-", " "), SHORT.replace("0", "o").replace("1", "l")):
        assert passes.read_short_code(typed) == bytes.fromhex("f0e1d2c3b4a59687780f")
