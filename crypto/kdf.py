"""One master secret per instance, and the separate keys derived from it."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

MASTER_SECRET_BYTES = 32


@dataclass(frozen=True)
class InstanceSecrets:
    """Keys an instance derives from its master secret, one per purpose."""

    database_key: bytes
    codename_lookup_key: bytes
    receipt_key: bytes
    invitation_key: bytes
    session_key: bytes


def new_master_secret() -> bytes:
    return secrets.token_bytes(MASTER_SECRET_BYTES)


def _derive(master: bytes, purpose: bytes) -> bytes:
    # Distinct personalisation per purpose: learning one derived key reveals no other.
    return hashlib.blake2b(b"", key=master, person=purpose, digest_size=32).digest()


def derive_instance_secrets(master: bytes) -> InstanceSecrets:
    if len(master) != MASTER_SECRET_BYTES:
        raise ValueError("the master secret must be 32 bytes")
    return InstanceSecrets(
        database_key=_derive(master, b"gh.sqlcipher"),
        codename_lookup_key=_derive(master, b"gh.codename"),
        receipt_key=_derive(master, b"gh.receipt"),
        invitation_key=_derive(master, b"gh.invitation"),
        session_key=_derive(master, b"gh.session"),
    )
