"""Visa letters: a keyed hash of a passport number, and a short verification code signed by the letter key.

One 32-byte letter secret per instance gives two keys, each derived with its own BLAKE2b personalisation (as
crypto.kdf derives the instance's keys from its master secret): an Ed25519 signing key and the key of the
passport hash. The code is the first 100 bits of the Ed25519 signature over

    b"gatehouse letter 1" 0x00 reference 0x00 day 0x00 event starts 0x00 event ends 0x00 passport hash (32 bytes)

(days as YYYY-MM-DD), written as 20 Crockford base-32 characters in four groups of five. Ed25519 signatures are
deterministic, so whoever holds the letter secret checks a code by signing again and comparing; the public key
alone cannot check a cut signature, and need not: only the organisers answer a consulate.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass

from nacl.signing import SigningKey

LETTER_SECRET_BYTES = 32
CODE_BITS = 100  # 2**-100 to guess a code: each guess must go through the organisers, who also see the day
CODE_GROUP = 5
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U to misread over a telephone
_READ_AS = {"O": "0", "I": "1", "L": "1"}
_DOMAIN = b"gatehouse letter 1"


@dataclass(frozen=True)
class LetterKeys:
    """The keys one letter secret gives: the signing key and the key of the passport hash."""

    signing_key: SigningKey
    passport_hash_key: bytes

    @property
    def public_key(self) -> bytes:
        return bytes(self.signing_key.verify_key)


def new_letter_secret() -> bytes:
    return secrets.token_bytes(LETTER_SECRET_BYTES)


def letter_keys(secret: bytes) -> LetterKeys:
    if len(secret) != LETTER_SECRET_BYTES:
        raise ValueError("a letter secret is 32 bytes")
    return LetterKeys(
        signing_key=SigningKey(_derive(secret, b"gh.letter-sign")),
        passport_hash_key=_derive(secret, b"gh.passport"),
    )


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return hashlib.blake2b(b"", key=secret, person=purpose, digest_size=32).digest()


def normalise_passport(number: str) -> str:
    """The passport number as compared: compatibility form, capitals, without spaces, dashes or dots."""
    return re.sub(r"[\s\-./]", "", unicodedata.normalize("NFKC", number)).upper()


def passport_hash(keys: LetterKeys, number: str) -> bytes:
    """A keyed hash: without the letter secret, a list of passport numbers cannot be tested against it."""
    typed = normalise_passport(number).encode("utf-8")
    return hashlib.blake2b(typed, key=keys.passport_hash_key, digest_size=32).digest()


def verification_code(
    keys: LetterKeys,
    *,
    reference: str,
    day: datetime.date,
    starts: datetime.date,
    ends: datetime.date,
    hashed_passport: bytes,
) -> str:
    parts = (reference.encode("utf-8"), *(d.isoformat().encode() for d in (day, starts, ends)), hashed_passport)
    signature = keys.signing_key.sign(b"\x00".join((_DOMAIN, *parts))).signature
    number = int.from_bytes(signature[: (CODE_BITS + 7) // 8], "big") >> (8 - CODE_BITS % 8) % 8
    text = "".join(_ALPHABET[(number >> shift) & 31] for shift in range(CODE_BITS - 5, -1, -5))
    return "-".join(text[i : i + CODE_GROUP] for i in range(0, len(text), CODE_GROUP))


def normalise_code(typed: str) -> str:
    """A code as typed (any case, spaces or dashes, O for 0, I or L for 1), in the form it is printed."""
    text = "".join(_READ_AS.get(c, c) for c in re.sub(r"[\s\-]", "", typed.upper()))
    return "-".join(text[i : i + CODE_GROUP] for i in range(0, len(text), CODE_GROUP))


def codes_match(printed: str, typed: str) -> bool:
    return hmac.compare_digest(printed.encode(), normalise_code(typed).encode("utf-8", "replace"))
