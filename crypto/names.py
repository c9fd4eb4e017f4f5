"""Pseudonyms staff use, codenames participants keep, and keyed look-ups of both."""

from __future__ import annotations

import hashlib
import re
import secrets

from crypto.errors import InvalidCodename
from crypto.wordlist import codename_list, pseudonym_parts, split_words

CODENAME_WORD_COUNT = 8  # 8 words of 11 bits: 88 bits, beyond any online or offline guessing

_SUBMISSION_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def new_pseudonym() -> str:
    """A readable name such as "Quiet Heron 47", drawn at random; uniqueness is the caller's."""
    adjectives, nouns = pseudonym_parts()
    return f"{secrets.choice(adjectives)} {secrets.choice(nouns)} {10 + secrets.randbelow(90)}"


def new_submission_token() -> str:
    """A random token carried by one registration form, so a resent form is recognised."""
    return secrets.token_urlsafe(32)


def is_submission_token(text: str) -> bool:
    return bool(_SUBMISSION_TOKEN.fullmatch(text))


def codename_for_submission(receipt_key: bytes, submission_token: str) -> str:
    """The codename of the registration made by this form.

    Derived rather than stored, so a resent form is recognised by its codename's look-up
    and shown the same codename again, while the database holds only the keyed hash;
    the token alone, without the instance's receipt key, yields nothing.
    """
    wordlist = codename_list()
    bits = wordlist.bits_per_word * CODENAME_WORD_COUNT
    digest = hashlib.blake2b(
        submission_token.encode("ascii"), key=receipt_key, person=b"gh.codename.v1", digest_size=(bits + 7) // 8
    ).digest()
    number = int.from_bytes(digest, "big") >> (len(digest) * 8 - bits)
    return " ".join(wordlist.encode(number, CODENAME_WORD_COUNT))


def normalise_codename(text: str) -> str:
    """The canonical form of a typed codename: case, spacing, punctuation and word endings forgiven."""
    words = split_words(text)
    if len(words) != CODENAME_WORD_COUNT:
        raise InvalidCodename("a codename has eight words")
    wordlist = codename_list()
    try:
        return " ".join(wordlist.canonical(word) for word in words)
    except KeyError:
        raise InvalidCodename("a word is not in the codename list") from None


def codename_lookup(lookup_key: bytes, codename: str) -> bytes:
    """Keyed BLAKE2b of the normalised codename: the only form of it the server stores."""
    return hashlib.blake2b(
        normalise_codename(codename).encode("utf-8"), key=lookup_key, person=b"gh.codename", digest_size=32
    ).digest()


# Crockford's base32 alphabet: no I, L, O or U, so a code read aloud or copied by hand survives.
_INVITATION_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_INVITATION_LENGTH = 12  # 60 bits
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_invitation_code() -> str:
    """A short code such as "K7QM-3XD9-PA2F", easy to pass on by hand, phone or Signal."""
    code = "".join(secrets.choice(_INVITATION_ALPHABET) for _ in range(_INVITATION_LENGTH))
    return "-".join(code[i : i + 4] for i in range(0, _INVITATION_LENGTH, 4))


def invitation_lookup(lookup_key: bytes, typed: str) -> bytes | None:
    """Keyed hash of a typed code, forgiving case, spaces, dashes and O/0, I/L/1; None if it cannot be a code."""
    code = re.sub(r"[\s\-]", "", typed).upper().translate(_READ_AS)
    if len(code) != _INVITATION_LENGTH or any(c not in _INVITATION_ALPHABET for c in code):
        return None
    return hashlib.blake2b(code.encode("ascii"), key=lookup_key, person=b"gh.invitation", digest_size=32).digest()
