"""Writes bundle-v2.json: known-answer bundles for offline_bundle/FORMAT.md. Keys and randomness are fixed.

Run once when the format is defined; the vectors are then frozen. Regenerating them is a format
change: it needs a new format version, not new vectors.

    python -m tests.vectors.make_bundle_vectors
"""

from __future__ import annotations

import json
from pathlib import Path

from nacl.public import PrivateKey
from nacl.signing import SigningKey

from offline_bundle import framing, parts
from offline_bundle.bundle import _write

SIGNER_SEED = bytes(range(0x40, 0x60))
RECIPIENT_SECRET = bytes(range(0x60, 0x80))
EPHEMERAL_SECRET = bytes(range(0x80, 0xA0))
BUNDLE_ID = bytes(range(0xA0, 0xB0))
OTHER_SIGNER_SEED = bytes(range(0xB0, 0xD0))

CASES = [
    {
        "name": "signed-only audit log, one part",
        "kind": "audit-log",
        "header": {"event": "forum-2027", "from_entry": 1, "to_entry": 3},
        "records": [b'{"action":"open","subject":"Quiet Heron 47"}', b"", bytes(range(256))],
        "encrypted": False,
        "part_size": None,
    },
    {
        "name": "signed-only, in parts of 1024 bytes",
        "kind": "audit-log",
        "header": {"event": "forum-2027"},
        "records": [bytes([number]) * 700 for number in range(4)],
        "encrypted": False,
        "part_size": 1024,
    },
    {
        "name": "encrypted kit sync, one part (padded to the 16 KiB minimum)",
        "kind": "kit-sync",
        "header": {"event": "forum-2027", "kit": "kit-tbilisi"},
        "records": [bytes([0x10 + number]) * (1000 + 100 * number) for number in range(3)],
        "encrypted": True,
        "part_size": None,
    },
    {
        "name": "encrypted, in parts of 4096 bytes",
        "kind": "staff-export",
        "header": {"event": "forum-2027", "staff": "ana"},
        "records": [bytes([0x20 + number]) * 1500 for number in range(12)],
        "encrypted": True,
        "part_size": 4096,
    },
]


def bundle_vector(case: dict) -> dict:
    signing_key = SigningKey(SIGNER_SEED)
    recipient = PrivateKey(RECIPIENT_SECRET)
    written = _write(
        case["kind"],
        case["header"],
        case["records"],
        signing_key=signing_key,
        recipient=recipient.public_key if case["encrypted"] else None,
        part_size=case["part_size"],
        progress=None,
        bundle_id=BUNDLE_ID,
        ephemeral_secret=EPHEMERAL_SECRET,  # drawn by the writer; unused when signed only
    )
    body = framing.encode_body(case["kind"], case["header"], case["records"])
    vector = {
        "name": case["name"],
        "kind": case["kind"],
        "header": case["header"],
        "records": [record.hex() for record in case["records"]],
        "encrypted": case["encrypted"],
        "part_size": case["part_size"],
        "signer_seed": SIGNER_SEED.hex(),
        "signer_verify_key": bytes(signing_key.verify_key).hex(),
        "bundle_id": BUNDLE_ID.hex(),
        "body": body.hex(),
    }
    if case["encrypted"]:
        key = parts.key_for_writer(EPHEMERAL_SECRET, bytes(recipient.public_key))
        vector |= {
            "recipient_secret_key": RECIPIENT_SECRET.hex(),
            "recipient_public_key": bytes(recipient.public_key).hex(),
            "ephemeral_secret_key": EPHEMERAL_SECRET.hex(),
            "ephemeral_public_key": key.ephemeral_public_key.hex(),
            "aead_key": key.aead_key.hex(),
            "key_check": key.key_check.hex(),
            "padded_body_length": framing.padded_length(len(body)),
        }
    vector["parts"] = [part.hex() for part in written]
    return vector


def refusal_vectors(bundles: list[dict]) -> list[dict]:
    """Changes to the bundles above that every reader must refuse, and the error this implementation raises.

    A change names a bundle (its index in "bundles"), then one of: "xor" [part, position, mask],
    "drop" part, "truncate" [part, new length], "append" [part, hex bytes]. Part indexes are 0-based.
    Unless a refusal says otherwise, the reader trusts the bundle's signer and holds its recipient key.
    """
    other_verify_key = bytes(SigningKey(OTHER_SIGNER_SEED).verify_key).hex()
    last_byte = len(bytes.fromhex(bundles[2]["parts"][0])) - 1
    third_part_length = len(bytes.fromhex(bundles[3]["parts"][2]))
    return [
        {"why": "last byte of the signature changed", "bundle": 0, "xor": [0, 125, 0x01], "error": "BundleDamaged"},
        {"why": "one record byte changed", "bundle": 0, "xor": [0, 200, 0x80], "error": "BundleDamaged"},
        {"why": "format version 2", "bundle": 0, "xor": [0, 8, 0x03], "error": "UnsupportedVersion"},
        {"why": "magic changed", "bundle": 0, "xor": [0, 1, 0x20], "error": "NotABundle"},
        {"why": "one byte appended", "bundle": 0, "append": [0, "00"], "error": "BundleDamaged"},
        {"why": "mode changed to encrypted", "bundle": 0, "xor": [0, 9, 0x03], "error": "NotForThisKey"},
        {"why": "signer not trusted", "bundle": 0, "trusted_verify_key": other_verify_key, "error": "UnknownSigner"},
        {"why": "part 2 of 4 missing", "bundle": 1, "drop": 1, "error": "MissingParts"},
        {"why": "bundle id changed in part 1", "bundle": 1, "xor": [0, 12, 0x01], "error": "BundleDamaged"},
        {"why": "part number 1 changed to 3", "bundle": 1, "xor": [0, 27, 0x02], "error": "BundleDamaged"},
        {"why": "AEAD tag changed", "bundle": 2, "xor": [0, last_byte, 0x01], "error": "BundleDamaged"},
        {"why": "ephemeral key changed", "bundle": 2, "xor": [0, 40, 0x01], "error": "NotForThisKey"},
        {"why": "key check changed", "bundle": 2, "xor": [0, 70, 0x01], "error": "NotForThisKey"},
        {
            "why": "read with another key",
            "bundle": 2,
            "recipient_secret_key": OTHER_SIGNER_SEED.hex(),
            "error": "NotForThisKey",
        },
        {"why": "read as signed-only", "bundle": 2, "recipient_secret_key": None, "error": "NotForThisKey"},
        {"why": "part count changed in part 2", "bundle": 3, "xor": [1, 29, 0x01], "error": "BundleDamaged"},
        {
            "why": "part 3 truncated by one byte",
            "bundle": 3,
            "truncate": [2, third_part_length - 1],
            "error": "BundleDamaged",
        },
    ]


def main() -> None:
    bundles = [bundle_vector(case) for case in CASES]
    document = {
        "format": "gatehouse bundle v1: see offline_bundle/FORMAT.md",
        "bundles": bundles,
        "refusals": refusal_vectors(bundles),
    }
    target = Path(__file__).parent / "bundle-v2.json"
    target.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
