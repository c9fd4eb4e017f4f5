"""One part of a bundle: its clear header, its signature, and its encryption to the recipient.

Every part is authenticated on its own, so a damaged one can be named and sent again alone.
See FORMAT.md for the byte layout; the constants here are the ones it names.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass

import nacl.exceptions
from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_ABYTES,
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
    crypto_scalarmult,
    crypto_scalarmult_base,
)
from nacl.signing import SigningKey, VerifyKey

from offline_bundle.errors import NotABundle, UnsupportedVersion

MAGIC = b"\x89GHB\r\n\x1a\n"  # high bit and CR LF / LF catch 7-bit and text-mode transfers, as PNG's does
FORMAT_VERSION = 2
SIGNED_ONLY = 1
ENCRYPTED = 2
BUNDLE_ID_BYTES = 16
MAX_PARTS = 65_535
KEY_BYTES = 32
KEY_CHECK_BYTES = 16
SIGNATURE_BYTES = 64
TAG_BYTES = crypto_aead_xchacha20poly1305_ietf_ABYTES
NONCE_BYTES = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES

_BASE_HEADER = struct.Struct(">8sBB16sHH")
_HEADER_BYTES = {SIGNED_ONLY: _BASE_HEADER.size, ENCRYPTED: _BASE_HEADER.size + KEY_BYTES + KEY_CHECK_BYTES}
# How the magic starts after an LF -> CRLF, a CRLF -> LF or a 7-bit transfer.
_TEXT_MODE_MAGICS = (b"\x89GHB\r\r\n", b"\x89GHB\n\x1a", b"\x09GHB\r\n")
_SIGNATURE_LABEL = b"gatehouse.bundle.part.v1"
_KEY_PERSON = b"gh.bundle.key"
_CHECK_PERSON = b"gh.bundle.check"


class PartUnreadable(Exception):
    """Internal: this part failed; the reader turns it into a BundleError once it has seen every part."""

    def __init__(self, *, not_for_this_key: bool = False) -> None:
        self.not_for_this_key = not_for_this_key


@dataclass(frozen=True)
class PartHeader:
    """The clear header of a part. Nothing in it is trusted until the part opens."""

    raw: bytes
    mode: int
    bundle_id: bytes
    number: int
    count: int
    ephemeral_public_key: bytes = b""
    key_check: bytes = b""


@dataclass(frozen=True)
class BundleKey:
    """The symmetric key of one encrypted bundle, and the check that tells a reader it holds the right one."""

    recipient_public_key: bytes
    ephemeral_public_key: bytes
    aead_key: bytes
    key_check: bytes


@dataclass(frozen=True)
class OpenedPart:
    header: PartHeader
    signer: bytes
    chunk: bytes


def overhead(mode: int) -> int:
    """Bytes a part adds around its chunk of the body."""
    return _HEADER_BYTES[mode] + KEY_BYTES + SIGNATURE_BYTES + (TAG_BYTES if mode == ENCRYPTED else 0)


def key_for_writer(ephemeral_secret: bytes, recipient_public_key: bytes) -> BundleKey:
    return _derive(
        crypto_scalarmult(ephemeral_secret, recipient_public_key),
        crypto_scalarmult_base(ephemeral_secret),
        recipient_public_key,
    )


def key_for_reader(recipient_secret: bytes, recipient_public_key: bytes, ephemeral_public_key: bytes) -> BundleKey:
    try:
        shared = crypto_scalarmult(recipient_secret, ephemeral_public_key)
    except nacl.exceptions.CryptoError:  # a low-order point: libsodium refuses an all-zero shared secret
        raise PartUnreadable() from None
    return _derive(shared, ephemeral_public_key, recipient_public_key)


def _derive(shared: bytes, ephemeral_public_key: bytes, recipient_public_key: bytes) -> BundleKey:
    # Both public keys in the input: the key belongs to this one exchange, as in libsodium's sealed boxes.
    both = ephemeral_public_key + recipient_public_key
    return BundleKey(
        recipient_public_key=recipient_public_key,
        ephemeral_public_key=ephemeral_public_key,
        aead_key=hashlib.blake2b(both, key=shared, digest_size=KEY_BYTES, person=_KEY_PERSON).digest(),
        key_check=hashlib.blake2b(both, key=shared, digest_size=KEY_CHECK_BYTES, person=_CHECK_PERSON).digest(),
    )


def encode_header(bundle_id: bytes, number: int, count: int, key: BundleKey | None) -> bytes:
    mode = SIGNED_ONLY if key is None else ENCRYPTED
    raw = _BASE_HEADER.pack(MAGIC, FORMAT_VERSION, mode, bundle_id, number, count)
    if key is not None:
        raw += key.ephemeral_public_key + key.key_check
    return raw


def parse_header(part: bytes, position: int | None) -> PartHeader:
    """Raises NotABundle or UnsupportedVersion at once (the file is wrong), PartUnreadable if damaged."""
    if part[: len(MAGIC)] != MAGIC:
        if part and len(part) < len(MAGIC) and MAGIC.startswith(part):
            raise PartUnreadable()  # cut off inside the magic: a bundle, truncated
        raise NotABundle(position, text_mode=part.startswith(_TEXT_MODE_MAGICS))
    if len(part) < _BASE_HEADER.size:
        raise PartUnreadable()
    _, version, mode, bundle_id, number, count = _BASE_HEADER.unpack_from(part)
    if version != FORMAT_VERSION:
        raise UnsupportedVersion(version, FORMAT_VERSION)
    if mode not in _HEADER_BYTES or len(part) < overhead(mode) or not 1 <= number <= count:
        raise PartUnreadable()
    header_end = _HEADER_BYTES[mode]
    extra = part[_BASE_HEADER.size : header_end]
    return PartHeader(
        raw=part[:header_end],
        mode=mode,
        bundle_id=bundle_id,
        number=number,
        count=count,
        ephemeral_public_key=extra[:KEY_BYTES],
        key_check=extra[KEY_BYTES:],
    )


def seal(header_raw: bytes, number: int, chunk: bytes, signing_key: SigningKey, key: BundleKey | None) -> bytes:
    signer = bytes(signing_key.verify_key)
    signature = signing_key.sign(_signed_message(header_raw, key, signer, chunk)).signature
    payload = signer + signature + chunk
    if key is None:
        return header_raw + payload
    return header_raw + crypto_aead_xchacha20poly1305_ietf_encrypt(payload, header_raw, _nonce(number), key.aead_key)


def open_part(part: bytes, header: PartHeader, key: BundleKey | None) -> OpenedPart:
    """Decrypts (when encrypted) and verifies the part's signature; raises PartUnreadable otherwise."""
    payload = part[len(header.raw) :]
    if key is not None:
        if not hmac.compare_digest(header.key_check, key.key_check):
            raise PartUnreadable(not_for_this_key=True)
        try:
            payload = crypto_aead_xchacha20poly1305_ietf_decrypt(
                payload, header.raw, _nonce(header.number), key.aead_key
            )
        except nacl.exceptions.CryptoError:
            raise PartUnreadable() from None
    chunk_start = KEY_BYTES + SIGNATURE_BYTES
    signer, signature, chunk = payload[:KEY_BYTES], payload[KEY_BYTES:chunk_start], payload[chunk_start:]
    if len(signature) != SIGNATURE_BYTES:
        raise PartUnreadable()
    try:
        VerifyKey(signer).verify(_signed_message(header.raw, key, signer, chunk), signature)
    except nacl.exceptions.CryptoError:
        raise PartUnreadable() from None
    return OpenedPart(header, signer, chunk)


def _signed_message(header_raw: bytes, key: BundleKey | None, signer: bytes, chunk: bytes) -> bytes:
    # The recipient's key is signed: a recipient cannot re-encrypt a signed bundle to someone else,
    # nor strip its encryption and pass it off as a public, signed-only one.
    recipient = b"" if key is None else key.recipient_public_key
    return b"".join((_SIGNATURE_LABEL, header_raw, recipient, signer, len(chunk).to_bytes(4, "big"), chunk))


def _nonce(number: int) -> bytes:
    # A fresh key per bundle (fresh ephemeral key pair), and one part per number under it: never reused.
    return number.to_bytes(NONCE_BYTES, "big")
