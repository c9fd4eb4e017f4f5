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
