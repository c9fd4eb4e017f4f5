"""Sealing a registration's fields to the compartments that may read them, and opening them.

Format v1, per compartment that receives values in one sealing:
- a fresh 32-byte data key, sealed (libsodium sealed box) to the compartment's X25519 public key;
- per field, ``0x01 || nonce(24) || XChaCha20-Poly1305(data key, padded value, associated data)``,
  where the associated data binds the format version, event, registration, compartment and field,
  so that no ciphertext opens anywhere but where it was written;
- values are UTF-8, padded (0x80 then zeros) to a power-of-two bucket of at least 32 bytes,
  so that ciphertext sizes do not tell names apart.
No data key is kept once its fields are sealed; only the sealed copy leaves this function.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import nacl.exceptions
import nacl.utils
from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_ABYTES,
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
    crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
)
from nacl.public import PrivateKey, PublicKey

from crypto.errors import RecordTampered
from crypto.keys import open_sealed, seal_to

FORMAT_VERSION = 1
MIN_BUCKET = 32
_VERSION_BYTE = bytes([FORMAT_VERSION])
_AD_LABEL = b"gatehouse.field.v1"
_NONCE_BYTES = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
_KEY_BYTES = crypto_aead_xchacha20poly1305_ietf_KEYBYTES


@dataclass(frozen=True)
class SealedPart:
    """The values one sealing wrote to one compartment, under one data key."""

    compartment: str
    sealed_data_key: bytes
    ciphertexts: Mapping[str, bytes]  # field key -> ciphertext


@dataclass(frozen=True)
class SealedRecord:
    """Everything stored of a registration's values: nothing in it opens without a compartment key."""

    parts: tuple[SealedPart, ...]


def seal_registration(
    event_id: str,
    registration_id: str,
    compartment_keys: Mapping[str, bytes | PublicKey],
    values: Mapping[str, Mapping[str, str]],
) -> SealedRecord:
    """Seal ``values`` (compartment -> field key -> text) to the compartments' public keys."""
    parts = []
    for compartment, fields in values.items():
        if not fields:
            continue
        data_key = nacl.utils.random(_KEY_BYTES)
        prefix = _associated_prefix(event_id, registration_id, compartment)
        ciphertexts = {
            field_key: encrypt_field(
                data_key, nacl.utils.random(_NONCE_BYTES), prefix + _length_prefixed(field_key), text
            )
            for field_key, text in fields.items()
        }
        parts.append(SealedPart(compartment, seal_to(compartment_keys[compartment], data_key), ciphertexts))
    return SealedRecord(tuple(parts))


def open_registration(
    event_id: str,
    registration_id: str,
    compartment_private_keys: Mapping[str, PrivateKey],
    record: SealedRecord,
) -> dict[str, dict[str, str]]:
    """Open the parts of ``record`` whose compartment key is given; others are left out.

    Raises RecordTampered if any part that should open does not.
    """
    opened: dict[str, dict[str, str]] = {}
    for part in record.parts:
        private_key = compartment_private_keys.get(part.compartment)
        if private_key is None:
            continue
        data_key = open_sealed(private_key, part.sealed_data_key)
        prefix = _associated_prefix(event_id, registration_id, part.compartment)
        fields = opened.setdefault(part.compartment, {})
        for field_key, ciphertext in part.ciphertexts.items():
            fields[field_key] = _decrypt_field(data_key, prefix + _named(field_key), ciphertext)
    return opened


def associated_data(event_id: str, registration_id: str, compartment: str, field_key: str) -> bytes:
    """The associated data one field's ciphertext is bound to. Part of the wire format, public for the
    known-answer vectors; callers never pass it by hand (seal_registration and open_registration do)."""
    return _associated_prefix(event_id, registration_id, compartment) + _named(field_key)


def _associated_prefix(event_id: str, registration_id: str, compartment: str) -> bytes:
    # Length-prefixed so that no two different tuples can produce the same bytes.
    return _event_prefix(event_id) + _length_prefixed(registration_id) + _named(compartment)


@functools.lru_cache(maxsize=64)
def _event_prefix(event_id: str) -> bytes:
    return _AD_LABEL + _VERSION_BYTE + _length_prefixed(event_id)


@functools.lru_cache(maxsize=1024)
def _named(name: str) -> bytes:
    """A compartment's or a field's name, length-prefixed: the same few names for every record opened."""
    return _length_prefixed(name)


def _length_prefixed(text: str) -> bytes:
    raw = text.encode("utf-8")
    return len(raw).to_bytes(2, "big") + raw


def encrypt_field(data_key: bytes, nonce: bytes, associated_data: bytes, text: str) -> bytes:
    """One field's ciphertext from a given key and nonce: for the known-answer vectors only, since
    seal_registration draws both itself."""
    ciphertext = crypto_aead_xchacha20poly1305_ietf_encrypt(
        _pad(text.encode("utf-8")), associated_data, nonce, data_key
    )
    return _VERSION_BYTE + nonce + ciphertext


def _decrypt_field(data_key: bytes, associated_data: bytes, stored: bytes) -> str:
    if len(stored) < 1 + _NONCE_BYTES or stored[:1] != _VERSION_BYTE:
        raise RecordTampered("a field ciphertext is malformed")
    nonce, ciphertext = stored[1 : 1 + _NONCE_BYTES], stored[1 + _NONCE_BYTES :]
    try:
        padded = crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, associated_data, nonce, data_key)
    except nacl.exceptions.CryptoError:
        raise RecordTampered("a field did not open: wrong key, or moved or altered") from None
    try:
        return _unpad(padded).decode("utf-8")
    except UnicodeDecodeError:
        # Only whoever sealed it could write this: a field kit's holder seals to public keys, as any kit does.
        raise RecordTampered("a field opened to bytes that are not text") from None


_FIELD_OVERHEAD = 1 + _NONCE_BYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES  # version byte, nonce, tag
MAX_SIZE_CLASS = 15


def ciphertext_length(size_class: int) -> int:
    """The length of a field ciphertext whose padded value is MIN_BUCKET × 2^size_class bytes."""
    return _FIELD_OVERHEAD + (MIN_BUCKET << size_class)


def ciphertext_size_class(length: int) -> int | None:
    """The size class of a field ciphertext this length (0 to MAX_SIZE_CLASS), or None if none has it."""
    for size_class in range(MAX_SIZE_CLASS + 1):
        if ciphertext_length(size_class) == length:
            return size_class
    return None


def ciphertext_is_well_formed(ciphertext: bytes) -> bool:
    """Whether these bytes could be a field ciphertext: a size class's length, and this format's version byte.

    What can be checked without a key; whether it opens is for a holder of its compartment to find.
    """
    return ciphertext_size_class(len(ciphertext)) is not None and ciphertext[:1] == _VERSION_BYTE


def _pad(raw: bytes) -> bytes:
    bucket = MIN_BUCKET
    while bucket < len(raw) + 1:
        bucket *= 2
    return raw + b"\x80" + b"\x00" * (bucket - len(raw) - 1)


def _unpad(padded: bytes) -> bytes:
    end = padded.rstrip(b"\x00")
    if not end.endswith(b"\x80"):
        raise RecordTampered("a field's padding is malformed")
    return end[:-1]
