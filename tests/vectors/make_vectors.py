"""Writes record-v1.json. Run once when the format is defined; the vectors are then frozen.

Regenerating them is a format change: it needs a new format version, not new vectors.
"""

from __future__ import annotations

import json
from pathlib import Path

import crypto
from crypto.records import associated_data, encrypt_field


def main() -> None:
    field_vectors = []
    for value in ("", "Ana Example", "Ана مثال 👩🏽‍⚖️", "x" * 40):
        vector = {
            "event": "forum-2027",
            "registration": "0123456789abcdef0123456789abcdef",
            "compartment": "identity",
            "field": "full_name",
            "data_key": bytes(range(32)).hex(),
            "nonce": bytes(range(100, 124)).hex(),
            "value": value,
        }
        associated = associated_data(vector["event"], vector["registration"], vector["compartment"], vector["field"])
        vector["associated_data"] = associated.hex()
        vector["ciphertext"] = encrypt_field(
            bytes.fromhex(vector["data_key"]), bytes.fromhex(vector["nonce"]), associated, value
        ).hex()
        field_vectors.append(vector)

    keys = {"identity": crypto.PrivateKey(bytes(range(1, 33))), "needs": crypto.PrivateKey(bytes(range(33, 65)))}
    values = {"identity": {"full_name": "Ana Example", "country": "Examplestan"}, "needs": {"diet": "vegan"}}
    sealed = crypto.seal_registration(
        "forum-2027", "fedcba9876543210fedcba9876543210", {n: k.public_key for n, k in keys.items()}, values
    )
    record_vector = {
        "event": "forum-2027",
        "registration": "fedcba9876543210fedcba9876543210",
        "compartment_keys": {name: bytes(key).hex() for name, key in keys.items()},
        "values": values,
        "parts": [
            {
                "compartment": part.compartment,
                "sealed_data_key": part.sealed_data_key.hex(),
                "ciphertexts": {key: value.hex() for key, value in part.ciphertexts.items()},
            }
            for part in sealed.parts
        ],
    }
    document = {
        "format": "gatehouse record v1: see crypto/records.py",
        "field_encryption": field_vectors,
        "sealed_records": [record_vector],
    }
    (Path(__file__).parent / "record-v1.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
