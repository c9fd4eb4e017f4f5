"""Passphrases: generating them, and locking a private key under one with Argon2id.

Locked key format v1: ``0x01 || memory_kib(4) || time_cost(1) || parallelism(1) || salt(16)
|| nonce(24) || XChaCha20-Poly1305(argon2id(passphrase), private key, associated data = header)``.
The cost parameters travel with the key, so a key locked at a higher cost still opens.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import nacl.exceptions
from argon2.low_level import Type, hash_secret_raw
from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_decrypt, crypto_aead_xchacha20poly1305_ietf_encrypt
from nacl.public import PrivateKey

from crypto.errors import CryptoError
from crypto.wordlist import codename_list

PASSPHRASE_WORDS = 7  # 7 words of 11 bits: 77 bits, and Argon2id on top of every guess
_VERSION = 1
_SALT_BYTES = 16
_NONCE_BYTES = 24
_HEADER_BYTES = 1 + 4 + 1 + 1 + _SALT_BYTES


class WrongPassphrase(CryptoError):
    """The passphrase does not open this key (or the locked key was altered)."""


@dataclass(frozen=True)
class Argon2Cost:
    memory_kib: int
    time_cost: int
    parallelism: int

    def at_least(self, floor: Argon2Cost) -> bool:
        return (
            self.memory_kib >= floor.memory_kib
            and self.time_cost >= floor.time_cost
            and self.parallelism >= floor.parallelism
        )


# RFC 9106, second recommended option: 64 MiB, 3 passes, 4 lanes. Production never goes below it.
PRODUCTION_COST = Argon2Cost(memory_kib=64 * 1024, time_cost=3, parallelism=4)


def new_passphrase(words: int = PASSPHRASE_WORDS) -> str:
    wordlist = codename_list().words
    return " ".join(secrets.choice(wordlist) for _ in range(words))


def derive_key(passphrase: str, salt: bytes, cost: Argon2Cost) -> bytes:
    return hash_secret_raw(
        passphrase.encode("utf-8"),
        salt,
        time_cost=cost.time_cost,
        memory_cost=cost.memory_kib,
        parallelism=cost.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def lock_private_key(private_key: PrivateKey, passphrase: str, cost: Argon2Cost = PRODUCTION_COST) -> bytes:
    salt = secrets.token_bytes(_SALT_BYTES)
    header = bytes([_VERSION]) + cost.memory_kib.to_bytes(4, "big") + bytes([cost.time_cost, cost.parallelism]) + salt
    nonce = secrets.token_bytes(_NONCE_BYTES)
    ciphertext = crypto_aead_xchacha20poly1305_ietf_encrypt(
        bytes(private_key), header, nonce, derive_key(passphrase, salt, cost)
    )
    return header + nonce + ciphertext


def locked_key_cost(locked: bytes) -> Argon2Cost:
    if len(locked) < _HEADER_BYTES + _NONCE_BYTES or locked[0] != _VERSION:
        raise WrongPassphrase("this is not a locked Gatehouse key")
    return Argon2Cost(int.from_bytes(locked[1:5], "big"), locked[5], locked[6])


def unlock_private_key(locked: bytes, passphrase: str) -> PrivateKey:
    cost = locked_key_cost(locked)
    header, nonce = locked[:_HEADER_BYTES], locked[_HEADER_BYTES : _HEADER_BYTES + _NONCE_BYTES]
    salt = header[7:]
    try:
        raw = crypto_aead_xchacha20poly1305_ietf_decrypt(
            locked[_HEADER_BYTES + _NONCE_BYTES :], header, nonce, derive_key(passphrase, salt, cost)
        )
    except nacl.exceptions.CryptoError:
        raise WrongPassphrase("the passphrase does not open this key") from None
    return PrivateKey(raw)
