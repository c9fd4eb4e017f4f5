"""Check-in passes: a pass id and the days it is valid, signed by the event's pass key, written as a code.

One 32-byte pass secret per instance gives the Ed25519 pass key (BLAKE2b personalisation ``gh.pass-sign``, as
crypto.letters derives the letter key). A pass is 80 bytes:

    u8 version (01) || event tag (4) || pass id (8) || u16 first day || u8 days || Ed25519 signature (64)

where the event tag is BLAKE2b-32 of the event id (personalisation ``gh.pass.event``), days count from
2000-01-01, and the signature is over ``b"gatehouse pass 1" 0x00 event id (UTF-8) 0x00`` followed by the first
16 bytes. The pass names no person: no pseudonym, name or registration id. Its code is the 128 Crockford
base-32 characters of the 80 bytes, most significant bit first, then two check characters (the first 10 bits of
BLAKE2b-16 of the 80 bytes, personalisation ``gh.pass.check``), in groups of five joined by dashes. The check
tells a mistyped code from a forged one; the signature alone says whether a pass is genuine.
offline_bundle/FORMAT.md holds the known-answer vectors.
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
PASS_ID_BYTES = 8
PASS_BYTES = 80
CODE_CHARACTERS = 130  # 128 for the pass, 2 for the check
GROUP = 5
VERSION = 1
_SIGNED_BYTES = 16
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
    """The 80 bytes of a pass; deterministic, so the same inputs always give the same pass."""
    days = (last_day - first_day).days + 1
    if len(pass_id) != PASS_ID_BYTES or not 1 <= days <= 255 or first_day < _EPOCH:
        raise ValueError("a pass id is 8 bytes, and a pass is valid for 1 to 255 days from 2000-01-01 on")
    head = bytes([VERSION]) + event_tag(event_id) + pass_id
    head += (first_day - _EPOCH).days.to_bytes(2, "big") + bytes([days])
    return head + signing_key.sign(_signed(event_id, head)).signature


def _signed(event_id: str, head: bytes) -> bytes:
    return _DOMAIN + b"\x00" + event_id.encode("utf-8") + b"\x00" + head


def code_of(raw: bytes) -> str:
    """The code a participant is shown and a desk is given: 130 characters in groups of five."""
    if len(raw) != PASS_BYTES:
        raise ValueError("a pass is 80 bytes")
    number = int.from_bytes(raw, "big")
    text = "".join(CROCKFORD_ALPHABET[(number >> shift) & 31] for shift in range(PASS_BYTES * 8 - 5, -1, -5))
    check = _check(raw)
    text += CROCKFORD_ALPHABET[check >> 5] + CROCKFORD_ALPHABET[check & 31]
    return "-".join(text[i : i + GROUP] for i in range(0, len(text), GROUP))


def _check(raw: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(raw, person=b"gh.pass.check", digest_size=2).digest(), "big") >> 6


def read_code(typed: str) -> bytes:
    """The 80 bytes of a typed or scanned code (case, spaces, dashes, O/0 and I/L/1 forgiven); PassMistyped if not."""
    text = crockford_characters(typed)
    if len(text) != CODE_CHARACTERS:
        raise PassMistyped("length")
    if any(character not in CROCKFORD_ALPHABET for character in text):
        raise PassMistyped("character")
    number = 0
    for character in text[:-2]:
        number = number << 5 | CROCKFORD_ALPHABET.index(character)
    raw = number.to_bytes(PASS_BYTES, "big")
    check = CROCKFORD_ALPHABET.index(text[-2]) << 5 | CROCKFORD_ALPHABET.index(text[-1])
    if check != _check(raw):
        raise PassMistyped("check")
    return raw


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
    first_day = _EPOCH + datetime.timedelta(days=int.from_bytes(head[13:15], "big"))
    days = head[15]
    if days == 0:
        raise PassNotGenuine()
    return Pass(head[5:13], first_day, first_day + datetime.timedelta(days=days - 1))
