"""Check-in passes: a pass id and the days it is valid, signed by the event's pass key, and the pass id as a short code.

One 32-byte pass secret per instance gives the Ed25519 pass key (BLAKE2b personalisation ``gh.pass-sign``, as
crypto.letters derives the letter key). A pass is 82 bytes:

    u8 version (01) || event tag (4) || pass id (10) || u16 first day || u8 days || Ed25519 signature (64)

where the event tag is BLAKE2b-32 of the event id (personalisation ``gh.pass.event``), days count from
2000-01-01, and the signature is over ``b"gatehouse pass 1" 0x00 event id (UTF-8) 0x00`` followed by the first
18 bytes. The pass names no person: no pseudonym, name or registration id.

Its long code (the QR code's content) is the 132 Crockford base-32 characters of the 82 bytes, most significant
bit first, then two check characters (the first 10 bits of BLAKE2b-16 of the 82 bytes, personalisation
``gh.pass.check``). The check tells a mistyped code from a forged one; the signature alone says whether a pass is
genuine. Its short code, for typing, is the 80-bit pass id in 16 characters and a check character that catches
any one character mistyped and any two swapped; a desk can only look a short code up in the list central gave it.
Desks keep a pass's tag (BLAKE2b-128 of the pass id, personalisation ``gh.pass.tag``), never its id: what a desk
holds cannot be typed back as a short code. offline_bundle/FORMAT.md holds the known-answer vectors.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

import nacl.exceptions
from nacl.signing import SigningKey, VerifyKey

from crypto.errors import CryptoError
from crypto.names import CROCKFORD_ALPHABET, crockford_characters

PASS_SECRET_BYTES = 32
PASS_ID_BYTES = 10  # 80 bits: beyond guessing at a door, and 16 characters to type
PASS_BYTES = 82
PASS_TAG_BYTES = 16
CODE_CHARACTERS = 134  # 132 for the pass, 2 for the check
SHORT_CODE_CHARACTERS = 17  # 16 for the pass id, 1 for the check
GROUP = 5
SHORT_GROUP = 4
VERSION = 1
_SIGNED_BYTES = 18
_DOMAIN = b"gatehouse pass 1"
_EPOCH = datetime.date(2000, 1, 1)


class PassMistyped(CryptoError):
    """Text that is not a pass code: wrong length, a character no code has, or a check that does not match."""


class PassNotGenuine(CryptoError):
    """A well-typed code whose signature is not the event's pass key's: forged, altered, or of another key."""


class PassForAnotherEvent(CryptoError):
    """A well-typed code made for another event than the one it was checked for."""


@dataclass(frozen=True)
class Pass:
    """What a genuine pass says: its id and the days it is valid."""

    pass_id: bytes
    first_day: datetime.date
    last_day: datetime.date

    def valid_on(self, day: datetime.date) -> bool:
        return self.first_day <= day <= self.last_day


def new_pass_secret() -> bytes:
    return secrets.token_bytes(PASS_SECRET_BYTES)


def new_pass_id() -> bytes:
    return secrets.token_bytes(PASS_ID_BYTES)


def pass_signing_key(secret: bytes) -> SigningKey:
    if len(secret) != PASS_SECRET_BYTES:
        raise ValueError("a pass secret is 32 bytes")
    return SigningKey(hashlib.blake2b(b"", key=secret, person=b"gh.pass-sign", digest_size=32).digest())


def event_tag(event_id: str) -> bytes:
    return hashlib.blake2b(event_id.encode("utf-8"), person=b"gh.pass.event", digest_size=4).digest()


def make_pass(
    signing_key: SigningKey, *, event_id: str, pass_id: bytes, first_day: datetime.date, last_day: datetime.date
) -> bytes:
    """The 82 bytes of a pass; deterministic, so the same inputs always give the same pass."""
    days = (last_day - first_day).days + 1
    if len(pass_id) != PASS_ID_BYTES or not 1 <= days <= 255 or first_day < _EPOCH:
        raise ValueError("a pass id is 10 bytes, and a pass is valid for 1 to 255 days from 2000-01-01 on")
    head = bytes([VERSION]) + event_tag(event_id) + pass_id
    head += (first_day - _EPOCH).days.to_bytes(2, "big") + bytes([days])
    return head + signing_key.sign(_signed(event_id, head)).signature


def _signed(event_id: str, head: bytes) -> bytes:
    return _DOMAIN + b"\x00" + event_id.encode("utf-8") + b"\x00" + head


def code_of(raw: bytes) -> str:
    """The long code a pass's QR code holds: 134 characters in groups of five."""
    if len(raw) != PASS_BYTES:
        raise ValueError("a pass is 82 bytes")
    text = _base32(int.from_bytes(raw, "big"), CODE_CHARACTERS - 2)
    check = _check(raw)
    text += CROCKFORD_ALPHABET[check >> 5] + CROCKFORD_ALPHABET[check & 31]
    return "-".join(text[i : i + GROUP] for i in range(0, len(text), GROUP))


def _check(raw: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(raw, person=b"gh.pass.check", digest_size=2).digest(), "big") >> 6


def _base32(number: int, characters: int) -> str:
    return "".join(CROCKFORD_ALPHABET[(number >> shift) & 31] for shift in range(characters * 5 - 5, -1, -5))


def _number(text: str) -> int:
    number = 0
    for character in text:
        number = number << 5 | CROCKFORD_ALPHABET.index(character)
    return number


def is_short_code(typed: str) -> bool:
    """Whether typed text has a short code's length (forgiven as read_code forgives); its check is not looked at."""
    return len(crockford_characters(typed)) == SHORT_CODE_CHARACTERS


def read_code(typed: str) -> bytes:
    """The 82 bytes of a scanned or typed long code (forgiven as crockford_characters forgives); PassMistyped if not."""
    text = _characters(typed, CODE_CHARACTERS)
    number = _number(text[:-2])
    if number >> (PASS_BYTES * 8):  # the first character holds one bit: anything else is a slip
        raise PassMistyped("check")
    raw = number.to_bytes(PASS_BYTES, "big")
    if _number(text[-2:]) != _check(raw):
        raise PassMistyped("check")
    return raw


def _characters(typed: str, length: int) -> str:
    text = crockford_characters(typed)
    if len(text) != length:
        raise PassMistyped("length")
    if any(character not in CROCKFORD_ALPHABET for character in text):
        raise PassMistyped("character")
    return text


def pass_id_of(raw: bytes) -> bytes:
    """The pass id a pass carries (whether the pass is genuine is verify_pass's to say)."""
    return raw[5 : 5 + PASS_ID_BYTES]


def pass_tag(pass_id: bytes) -> bytes:
    """What a desk keeps of a pass: one way, so that a lost desk's list and arrivals give no short code."""
    return hashlib.blake2b(pass_id, person=b"gh.pass.tag", digest_size=PASS_TAG_BYTES).digest()


def short_code_of(pass_id: bytes) -> str:
    """The short code a participant may read out or type: 17 characters, e.g. ``Y3GX-5GXM-MPB8-EY0F1``."""
    if len(pass_id) != PASS_ID_BYTES:
        raise ValueError("a pass id is 10 bytes")
    text = _base32(int.from_bytes(pass_id, "big"), SHORT_CODE_CHARACTERS - 1)
    text += CROCKFORD_ALPHABET[_short_check(text)]
    return "-".join(text[i : i + SHORT_GROUP] for i in range(0, 12, SHORT_GROUP)) + "-" + text[12:]


def read_short_code(typed: str) -> bytes:
    """The pass id of a typed short code (forgiven as read_code forgives); PassMistyped if not one."""
    text = _characters(typed, SHORT_CODE_CHARACTERS)
    if CROCKFORD_ALPHABET.index(text[-1]) != _short_check(text[:-1]):
        raise PassMistyped("check")
    return _number(text[:-1]).to_bytes(PASS_ID_BYTES, "big")


def _short_check(text: str) -> int:
    """The sum over GF(32) of each character's value times alpha^(position + 1), alpha a root of x^5 + x^2 + 1.

    The weights are distinct and non-zero, so one character changed, or any two swapped, changes the sum.
    """
    total, weight = 0, 1
    for character in text:
        weight = _times(weight, 2)
        total ^= _times(weight, CROCKFORD_ALPHABET.index(character))
    return total


def _times(a: int, b: int) -> int:
    product = 0
    while b:
        if b & 1:
            product ^= a
        b >>= 1
        a <<= 1
        if a & 32:
            a ^= 0b100101
    return product


def verify_pass(verify_key: bytes, event_id: str, raw: bytes) -> Pass:
    """What the pass says, if the event's pass key signed it for this event; PassNotGenuine or PassForAnotherEvent."""
    if len(raw) != PASS_BYTES or raw[0] != VERSION:
        raise PassNotGenuine()
    head, signature = raw[:_SIGNED_BYTES], raw[_SIGNED_BYTES:]
    if head[1:5] != event_tag(event_id):
        raise PassForAnotherEvent()
    try:
        VerifyKey(verify_key).verify(_signed(event_id, head), signature)
    except nacl.exceptions.BadSignatureError:
        raise PassNotGenuine() from None
    first_day = _EPOCH + datetime.timedelta(days=int.from_bytes(head[15:17], "big"))
    days = head[17]
    if days == 0:
        raise PassNotGenuine()
    return Pass(pass_id_of(raw), first_day, first_day + datetime.timedelta(days=days - 1))
