"""FORMAT.md is enough to check a pass: the vectors verify with a reader written from its pass section alone.

Nothing here imports crypto.passes: every constant and step is taken from offline_bundle/FORMAT.md ("Check-in
passes"), with PyNaCl and hashlib as the primitives another implementation would use.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path

import nacl.exceptions
import pytest
from nacl.signing import SigningKey, VerifyKey

VECTORS = json.loads((Path(__file__).parent / "vectors" / "pass-v1.json").read_text("utf-8"))
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def forgiven(code: str) -> str:
    return code.replace("-", "").replace(" ", "").upper().translate(str.maketrans("OIL", "011"))


def read_by_the_spec(code: str, event_id: str, public_key: bytes) -> tuple[bytes, str, str]:
    """Pass id and validity days of a genuine pass for this event; ValueError naming why else."""
    text = forgiven(code)
    if len(text) != 134 or any(c not in ALPHABET for c in text):
        raise ValueError("mistyped")
    number = 0
    for c in text[:132]:
        number = number * 32 + ALPHABET.index(c)
    if number >= 2 ** (82 * 8):
        raise ValueError("mistyped")
    raw = number.to_bytes(82, "big")
    check = int.from_bytes(hashlib.blake2b(raw, person=b"gh.pass.check", digest_size=2).digest(), "big") >> 6
    if check != ALPHABET.index(text[132]) * 32 + ALPHABET.index(text[133]):
        raise ValueError("mistyped")
    tag = hashlib.blake2b(event_id.encode(), person=b"gh.pass.event", digest_size=4).digest()
    if raw[0] != 1:
        raise ValueError("not genuine")
    if raw[1:5] != tag:
        raise ValueError("another event")
    try:
        VerifyKey(public_key).verify(b"gatehouse pass 1\x00" + event_id.encode() + b"\x00" + raw[:18], raw[18:])
    except nacl.exceptions.BadSignatureError:
        raise ValueError("not genuine") from None
    first = datetime.date(2000, 1, 1) + datetime.timedelta(days=int.from_bytes(raw[15:17], "big"))
    return raw[5:15], first.isoformat(), (first + datetime.timedelta(days=raw[17] - 1)).isoformat()


def gf32_times(a: int, b: int) -> int:
    """Multiplication in GF(32) modulo x^5 + x^2 + 1, as FORMAT.md states it."""
    product = 0
    for bit in range(5):
        if b >> bit & 1:
            product ^= a << bit
    for bit in range(8, 4, -1):
        if product >> bit & 1:
            product ^= 0b100101 << (bit - 5)
    return product


def read_short_by_the_spec(code: str) -> bytes:
    """The pass id of a short code; ValueError("mistyped") if its length, a character or its check is wrong."""
    text = forgiven(code)
    if len(text) != 17 or any(c not in ALPHABET for c in text):
        raise ValueError("mistyped")
    check, alpha_power = 0, 1
    for c in text[:16]:
        alpha_power = gf32_times(alpha_power, 2)
        check ^= gf32_times(alpha_power, ALPHABET.index(c))
    if check != ALPHABET.index(text[16]):
        raise ValueError("mistyped")
    number = 0
    for c in text[:16]:
        number = number * 32 + ALPHABET.index(c)
    return number.to_bytes(10, "big")


def test_the_pass_key_is_derived_from_the_secret_as_specified():
    seed = hashlib.blake2b(b"", key=bytes.fromhex(VECTORS["pass_secret"]), person=b"gh.pass-sign", digest_size=32)
    assert bytes(SigningKey(seed.digest()).verify_key).hex() == VECTORS["pass_public_key"]


@pytest.mark.parametrize("vector", VECTORS["passes"], ids=lambda v: v["event"])
def test_each_vector_pass_verifies_and_says_its_id_and_days(vector):
    found = read_by_the_spec(vector["code"], vector["event"], bytes.fromhex(VECTORS["pass_public_key"]))
    assert found == (bytes.fromhex(vector["pass_id"]), vector["first_day"], vector["last_day"])
    assert len(vector["code"].replace("-", "")) == 134


@pytest.mark.parametrize("vector", VECTORS["passes"], ids=lambda v: v["event"])
def test_each_vector_short_code_is_its_pass_id_and_its_tag_is_as_specified(vector):
    pass_id = bytes.fromhex(vector["pass_id"])
    assert read_short_by_the_spec(vector["short_code"]) == pass_id
    assert len(vector["short_code"]) <= 32 and len(forgiven(vector["short_code"])) == 17
    tag = hashlib.blake2b(pass_id, person=b"gh.pass.tag", digest_size=16).digest()
    assert tag.hex() == vector["pass_tag"]


@pytest.mark.parametrize("vector", VECTORS["short_refused"], ids=lambda v: v["why"])
def test_each_refused_short_code_is_mistyped(vector):
    with pytest.raises(ValueError, match="mistyped"):
        read_short_by_the_spec(vector["code"])


def test_a_short_code_typed_in_any_forgiven_form_reads_the_same():
    for typed in VECTORS["short_typed_forms"]:
        assert read_short_by_the_spec(typed) == bytes.fromhex(VECTORS["passes"][0]["pass_id"])


@pytest.mark.parametrize("vector", VECTORS["refused"], ids=lambda v: v["why"])
def test_each_refused_vector_is_refused_for_its_reason(vector):
    with pytest.raises(ValueError) as refused:
        read_by_the_spec(vector["code"], vector["event"], bytes.fromhex(VECTORS["pass_public_key"]))
    assert vector["why"].startswith(str(refused.value))


def test_a_code_typed_in_any_forgiven_form_reads_the_same():
    good = VECTORS["passes"][0]
    for typed in VECTORS["typed_forms"]:
        found = read_by_the_spec(typed, good["event"], bytes.fromhex(VECTORS["pass_public_key"]))
        assert found[0] == bytes.fromhex(good["pass_id"])
