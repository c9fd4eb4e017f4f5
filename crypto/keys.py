"""X25519 key pairs, sealed boxes, and recovery keys written as words."""

from __future__ import annotations

import hashlib

import nacl.exceptions
from nacl.public import PrivateKey, PublicKey, SealedBox

from crypto.errors import InvalidRecoveryWords, RecordTampered
from crypto.wordlist import codename_list, split_words

RECOVERY_WORD_COUNT = 24  # 256 key bits + 8 checksum bits = 24 words of 11 bits

__all__ = [
    "PrivateKey",
    "PublicKey",
    "new_key_pair",
    "open_sealed",
    "private_key_from_recovery_words",
    "recovery_words",
    "seal_to",
]


def new_key_pair() -> PrivateKey:
    return PrivateKey.generate()


def seal_to(public_key: bytes | PublicKey, plaintext: bytes) -> bytes:
    """Encrypt to a public key; only the holder of its private key can open it."""
    if not isinstance(public_key, PublicKey):
        public_key = PublicKey(public_key)
    return bytes(SealedBox(public_key).encrypt(plaintext))


def open_sealed(private_key: PrivateKey, sealed: bytes) -> bytes:
    try:
        return bytes(SealedBox(private_key).decrypt(sealed))
    except nacl.exceptions.CryptoError:
        raise RecordTampered("a sealed box did not open with this key") from None


def _checksum(key_bytes: bytes) -> int:
    return hashlib.blake2b(key_bytes, digest_size=1, person=b"gh.recovery").digest()[0]


def recovery_words(private_key: PrivateKey) -> list[str]:
    """The private key as 24 words with a checksum, to be written on paper."""
    key_bytes = bytes(private_key)
    number = (int.from_bytes(key_bytes, "big") << 8) | _checksum(key_bytes)
    return codename_list().encode(number, RECOVERY_WORD_COUNT)


def private_key_from_recovery_words(text: str) -> PrivateKey:
    words = split_words(text)
    if len(words) != RECOVERY_WORD_COUNT:
        raise InvalidRecoveryWords(f"a recovery key has {RECOVERY_WORD_COUNT} words, not {len(words)}")
    wordlist = codename_list()
    try:
        number = wordlist.decode([wordlist.canonical(word) for word in words])
    except KeyError:
        raise InvalidRecoveryWords("a word is not in the recovery word list") from None
    key_bytes = (number >> 8).to_bytes(32, "big")
    if number & 0xFF != _checksum(key_bytes):
        raise InvalidRecoveryWords("the recovery words do not match their checksum")
    return PrivateKey(key_bytes)
