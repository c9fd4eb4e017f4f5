"""Pseudonyms staff use, codenames participants keep, and keyed look-ups of both."""

from __future__ import annotations

import hashlib
import re
import secrets

from crypto.codename import CODENAME_BITS, as_words, canonical_codename
from crypto.wordlist import pseudonym_parts

_SUBMISSION_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def new_pseudonym() -> str:
    """A readable name such as "Quiet Heron 47", drawn at random; uniqueness is the caller's."""
    adjectives, nouns = pseudonym_parts()
    return f"{secrets.choice(adjectives)} {secrets.choice(nouns)} {10 + secrets.randbelow(90)}"


def pseudonym_indices(pseudonym: str) -> bytes | None:
    """A pseudonym new_pseudonym could have drawn, as 3 bytes: adjective, noun and number − 10; else None."""
    adjectives, nouns = pseudonym_parts()
    words = pseudonym.split(" ")
    if len(words) != 3 or words[0] not in adjectives or words[1] not in nouns:
        return None
    if not (words[2].isascii() and words[2].isdigit() and 10 <= int(words[2]) <= 99 and words[2][0] != "0"):
        return None
    return bytes([adjectives.index(words[0]), nouns.index(words[1]), int(words[2]) - 10])


def pseudonym_from_indices(indices: bytes) -> str:
    """The pseudonym pseudonym_indices made these 3 bytes from; ValueError if no pseudonym has them."""
    adjectives, nouns = pseudonym_parts()
    if len(indices) != 3 or indices[0] >= len(adjectives) or indices[1] >= len(nouns) or indices[2] >= 90:
        raise ValueError("these bytes are not a pseudonym")
    return f"{adjectives[indices[0]]} {nouns[indices[1]]} {10 + indices[2]}"


def new_submission_token() -> str:
    """A random token carried by one registration form, so a resent form is recognised."""
    return secrets.token_urlsafe(32)


def is_submission_token(text: str) -> bool:
    return bool(_SUBMISSION_TOKEN.fullmatch(text))


def codename_for_submission(receipt_key: bytes, submission_token: str) -> str:
    """The codename of the registration made by this form.

    Derived rather than stored, so a resent form is recognised by its codename's look-up
    and shown the same codename again, while the database holds only the keyed hash;
    the token alone, without the instance's receipt key, yields nothing. Returned in its canonical form.
    """
    bits = CODENAME_BITS
    digest = hashlib.blake2b(
        submission_token.encode("ascii"), key=receipt_key, person=b"gh.codename.v1", digest_size=(bits + 7) // 8
    ).digest()
    number = int.from_bytes(digest, "big") >> (len(digest) * 8 - bits)
    return as_words(number)


def normalise_codename(text: str) -> str:
    """The canonical form of a codename typed in any of its forms (crypto.codename): words of any list, case,
    accents, spacing and word endings forgiven, or digit groups in any script, each group checked."""
    return canonical_codename(text)


CODENAME_LOOKUP_BYTES = 16  # 128 bits: no two registrations share one, and nobody without the key can make one


def codename_lookup(lookup_key: bytes, codename: str) -> bytes:
    """Keyed BLAKE2b of the normalised codename: the only form of it the server stores."""
    return hashlib.blake2b(
        normalise_codename(codename).encode("utf-8"),
        key=lookup_key,
        person=b"gh.codename",
        digest_size=CODENAME_LOOKUP_BYTES,
    ).digest()


def registration_id_for(lookup: bytes) -> str:
    """The registration id of the registration with this codename look-up: 32 hexadecimal digits.

    Derived, not drawn, so that a kit's bundle need not carry it: the central instance derives
    the same id, which every ciphertext of the registration binds. The id tells nothing the
    look-up beside it in the same row does not, and neither leads back to the codename.
    """
    if len(lookup) != CODENAME_LOOKUP_BYTES:
        raise ValueError("a codename look-up is 16 bytes")
    return hashlib.blake2b(lookup, person=b"gh.registration", digest_size=16).hexdigest()


# Crockford's base32 alphabet: no I, L, O or U, so a code read aloud or copied by hand survives.
CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_INVITATION_ALPHABET = CROCKFORD_ALPHABET
_INVITATION_LENGTH = 12  # 60 bits
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def crockford_characters(typed: str) -> str:
    """A code as typed, forgiving case, spaces, dashes and O/0, I/L/1: its characters, unchecked, in upper case."""
    return re.sub(r"[\s\-]", "", typed).upper().translate(_READ_AS)


def new_invitation_code() -> str:
    """A short code such as "K7QM-3XD9-PA2F", easy to pass on by hand, phone or Signal."""
    code = "".join(secrets.choice(_INVITATION_ALPHABET) for _ in range(_INVITATION_LENGTH))
    return "-".join(code[i : i + 4] for i in range(0, _INVITATION_LENGTH, 4))


def invitation_lookup(lookup_key: bytes, typed: str) -> bytes | None:
    """Keyed hash of a typed code, forgiving case, spaces, dashes and O/0, I/L/1; None if it cannot be a code."""
    code = crockford_characters(typed)
    if len(code) != _INVITATION_LENGTH or any(c not in _INVITATION_ALPHABET for c in code):
        return None
    return hashlib.blake2b(code.encode("ascii"), key=lookup_key, person=b"gh.invitation", digest_size=32).digest()
