"""FORMAT.md is enough to read a bundle: the vectors open with a reader written from it alone.

Nothing here imports offline_bundle: every constant and step below is taken from FORMAT.md,
with PyNaCl and hashlib as the primitives another implementation would use.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_decrypt, crypto_scalarmult, crypto_scalarmult_base
from nacl.signing import VerifyKey

VECTORS = Path(__file__).parent / "vectors" / "bundle-v2.json"


def padded_length(size: int) -> int:
    if size <= 16384:
        return 16384
    step = 2 ** (math.floor(math.log2(size)) - 6)
    return math.ceil(size / step) * step


def open_by_the_spec(parts: list[bytes], recipient_secret: bytes | None) -> tuple[bytes, bytes]:
    """The body (with any padding) and the signer's verify key, checking every signature on the way."""
    chunks: dict[int, bytes] = {}
    signers = set()
    for part in parts:
        assert part[:8] == bytes.fromhex("894748420d0a1a0a") and part[8] == 2
        mode, bundle_id = part[9], part[10:26]
        number, count = int.from_bytes(part[26:28], "big"), int.from_bytes(part[28:30], "big")
        assert 1 <= number <= count and bundle_id
        if mode == 1:
            header, payload, recipient_public = part[:30], part[30:], b""
        else:
            assert mode == 2 and recipient_secret is not None
            header = part[:78]
            ephemeral_public, key_check = header[30:62], header[62:78]
            recipient_public = crypto_scalarmult_base(recipient_secret)
            shared = crypto_scalarmult(recipient_secret, ephemeral_public)
            both = ephemeral_public + recipient_public
            assert hashlib.blake2b(both, key=shared, digest_size=16, person=b"gh.bundle.check").digest() == key_check
            aead_key = hashlib.blake2b(both, key=shared, digest_size=32, person=b"gh.bundle.key").digest()
            nonce = bytes(22) + number.to_bytes(2, "big")
            payload = crypto_aead_xchacha20poly1305_ietf_decrypt(part[78:], header, nonce, aead_key)
        signer, signature, chunk = payload[:32], payload[32:96], payload[96:]
        signed = (
            b"gatehouse.bundle.part.v1" + header + recipient_public + signer + len(chunk).to_bytes(4, "big") + chunk
        )
        VerifyKey(signer).verify(signed, signature)
        signers.add(signer)
        chunks[number] = chunk
    assert sorted(chunks) == list(range(1, len(parts) + 1)) and len(signers) == 1
    return b"".join(chunks[number] for number in sorted(chunks)), signers.pop()


def parse_body(body: bytes) -> tuple[str, dict, list[bytes], int]:
    """Kind, header, records, and where the last record ends."""
    at = 1 + body[0]
    kind = body[1:at].decode("ascii")
    header_length = int.from_bytes(body[at : at + 2], "big")
    header = json.loads(body[at + 2 : at + 2 + header_length])
    at += 2 + header_length
    count = int.from_bytes(body[at : at + 4], "big")
    at += 4
    records = []
    for _ in range(count):
        length, shift = 0, 0
        while True:  # a varint: 7 bits a byte, least significant first, high bit on all but the last
            length |= (body[at] & 0x7F) << shift
            at, shift = at + 1, shift + 7
            if not body[at - 1] & 0x80:
                break
        records.append(body[at : at + length])
        at += length
    return kind, header, records, at


def test_every_vector_opens_with_a_reader_written_from_format_md():
    for vector in json.loads(VECTORS.read_text())["bundles"]:
        secret = bytes.fromhex(vector["recipient_secret_key"]) if vector["encrypted"] else None
        body, signer = open_by_the_spec([bytes.fromhex(part) for part in vector["parts"]], secret)
        kind, header, records, end = parse_body(body)
        assert (kind, header, [record.hex() for record in records]) == (
            vector["kind"],
            vector["header"],
            vector["records"],
        )
        assert signer.hex() == vector["signer_verify_key"]
        assert body[:end].hex() == vector["body"]
        if vector["encrypted"]:
            assert len(body) == padded_length(end) == vector["padded_body_length"]
            assert not any(body[end:])
        else:
            assert len(body) == end
        if vector["part_size"] is not None:
            assert all(len(bytes.fromhex(part)) <= vector["part_size"] for part in vector["parts"])


def test_the_padding_formula_of_format_md_keeps_under_a_sixty_fourth():
    for size in (16385, 20000, 65536, 10_489_750, 2**30 + 1):
        assert 0 <= padded_length(size) - size < size / 64
