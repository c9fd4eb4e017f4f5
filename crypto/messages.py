"""Messages between the organisers and a participant: the participant's key, derived from the codename, and
each message sealed so that only the keys it is meant for open it.

Participant key: the X25519 private key is Argon2id(normalised codename, 16-byte salt drawn per registration),
with PARTICIPANT_KEY_COST; only the public half is stored. Any written form of a codename derives the same key.

Message format v1, per message:
- a fresh 32-byte message key, sealed (libsodium sealed box) to each reader: the ``messages_by`` compartment
  always, and the participant too for a message from the organisers (an answer is sealed to the compartment only);
- the body ``0x01 || nonce(24) || XChaCha20-Poly1305(message key, padded text, associated data)``, where the
  associated data binds the format version, event, registration, the message's number in its registration and
  its direction, so that a message moved to another registration, renumbered (reordered) or passed off as an
  answer does not open. Text is padded as field values are (crypto.records), so sizes do not tell texts apart.
No message key is kept once the body is sealed; callers never handle a nonce or associated data.
"""

from __future__ import annotations

from dataclasses import dataclass

import nacl.exceptions
import nacl.pwhash.argon2id
import nacl.utils
from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_decrypt, crypto_aead_xchacha20poly1305_ietf_encrypt
from nacl.public import PrivateKey, PublicKey

from crypto.errors import RecordTampered
from crypto.keys import open_sealed, seal_to
from crypto.names import normalise_codename
from crypto.records import _pad, _unpad

MESSAGE_FORMAT_VERSION = 1
SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES  # 16
_VERSION_BYTE = bytes([MESSAGE_FORMAT_VERSION])
_AD_LABEL = b"gatehouse.message.v1"
_NONCE_BYTES = 24
_KEY_BYTES = 32


@dataclass(frozen=True)
class ParticipantKeyCost:
    passes: int
    memory_bytes: int


# Measured on the 2-core development machine at 5 to 9 ms (SECURITY.md, "Messages"). Codenames carry 88 bits, so
# this is defence in depth for a codename partly known; kept low enough that /status stays fast and registering
# keeps its benchmark target (benchmarks/registration_throughput.py), which a costlier setting missed.
PARTICIPANT_KEY_COST = ParticipantKeyCost(passes=1, memory_bytes=8 * 1024 * 1024)


@dataclass(frozen=True)
class SealedMessage:
    """Everything stored of one message: nothing in it opens without the participant's or the compartment's key."""

    key_for_compartment: bytes
    key_for_participant: bytes | None  # None for an answer: the participant's own words go to the organisers only
    body: bytes


def new_message_salt() -> bytes:
    return nacl.utils.random(SALT_BYTES)


def participant_key(codename: str, salt: bytes, cost: ParticipantKeyCost = PARTICIPANT_KEY_COST) -> PrivateKey:
    """The participant's private key; InvalidCodename for text that is not a codename."""
    seed = nacl.pwhash.argon2id.kdf(
        _KEY_BYTES,
        normalise_codename(codename).encode("utf-8"),
        salt,
        opslimit=cost.passes,
        memlimit=cost.memory_bytes,
    )
    return PrivateKey(seed)


def seal_message(
    *,
    event_id: str,
    registration_id: str,
    number: int,
    text: str,
    compartment_key: bytes | PublicKey,
    participant_public_key: bytes | PublicKey | None,
) -> SealedMessage:
    """A message from the organisers (``participant_public_key`` given) or an answer (None), sealed."""
    from_participant = participant_public_key is None
    message_key = nacl.utils.random(_KEY_BYTES)
    nonce = nacl.utils.random(_NONCE_BYTES)
    ciphertext = crypto_aead_xchacha20poly1305_ietf_encrypt(
        _pad(text.encode("utf-8")),
        associated_data(event_id, registration_id, number, from_participant),
        nonce,
        message_key,
    )
    return SealedMessage(
        key_for_compartment=seal_to(compartment_key, message_key),
        key_for_participant=None if participant_public_key is None else seal_to(participant_public_key, message_key),
        body=_VERSION_BYTE + nonce + ciphertext,
    )


def open_message(
    *,
    event_id: str,
    registration_id: str,
    number: int,
    sealed: SealedMessage,
    private_key: PrivateKey,
    as_participant: bool,
) -> str:
    """The text, opened with the participant's key or the compartment's; RecordTampered if it does not open."""
    sealed_key = sealed.key_for_participant if as_participant else sealed.key_for_compartment
    if sealed_key is None:
        raise RecordTampered("this message is not sealed to the participant")
    body = sealed.body
    if len(body) < 1 + _NONCE_BYTES or body[:1] != _VERSION_BYTE:
        raise RecordTampered("a message is malformed")
    message_key = open_sealed(private_key, sealed_key)
    from_participant = sealed.key_for_participant is None
    try:
        padded = crypto_aead_xchacha20poly1305_ietf_decrypt(
            body[1 + _NONCE_BYTES :],
            associated_data(event_id, registration_id, number, from_participant),
            body[1 : 1 + _NONCE_BYTES],
            message_key,
        )
    except nacl.exceptions.CryptoError:
        raise RecordTampered("a message did not open: moved, reordered or altered") from None
    try:
        return _unpad(padded).decode("utf-8")
    except UnicodeDecodeError:
        raise RecordTampered("a message opened to bytes that are not text") from None


def associated_data(event_id: str, registration_id: str, number: int, from_participant: bool) -> bytes:
    """What a message's body is bound to; part of the wire format, passed by seal_message and open_message."""
    parts = (event_id.encode("utf-8"), registration_id.encode("utf-8"))
    return b"".join(
        (
            _AD_LABEL,
            _VERSION_BYTE,
            *(len(part).to_bytes(2, "big") + part for part in parts),
            number.to_bytes(8, "big"),
            b"\x01" if from_participant else b"\x00",
        )
    )
