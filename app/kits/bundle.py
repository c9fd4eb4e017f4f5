"""The kit bundle: what the central instance hands a new field kit, encrypted to the kit's passphrase.

It holds the event definition, the compartment public keys (with their copies sealed to the
recovery key, which only the recovery words open), the recovery public key, the central
instance's public keys, the kit's own signing key, and the central instance's codename look-up
key, so that a codename given on the kit also works on the central instance. Someone who takes
a kit and its passphrase can therefore confirm a guessed codename (88 random bits: in practice,
nothing) and sign bundles as that kit; they can open no registration, here or at central.
The contents are one JSON record, versioned, with every key in base64.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nacl.signing import SigningKey

import crypto
from app.audit import log as audit
from app.common import base64_text
from app.common.errors import GatehouseError, NotFound
from app.instance.folder import Instance
from app.storage import db
from app.storage.connection import Connection
from offline_bundle import read_bundle, write_bundle

KIND = "kit"
FORMAT = "gatehouse-kit"
VERSION = 1
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")


def normalise_kit_name(typed: str) -> str:
    """Kit names are compared as typed on any front-end: surrounding spaces dropped, lower case."""
    return typed.strip().lower()


class KitError(GatehouseError):
    """A kit that cannot be made, opened or used; the message is fit to show and holds no secret."""


@dataclass(frozen=True)
class CompartmentKey:
    compartment: str
    generation: int
    public_key: bytes
    private_key_sealed_to_recovery: bytes


@dataclass(frozen=True)
class KitContents:
    name: str
    event_source: str
    recovery_public_key: bytes
    compartment_keys: tuple[CompartmentKey, ...]
    central_verify_key: bytes
    central_bundle_public_key: bytes
    kit_signing_key: bytes  # the Ed25519 seed the kit signs its sync bundles with
    codename_lookup_key: bytes


def issue_kit(
    connection: Connection,
    instance: Instance,
    name: str,
    deliver: Callable[[list[bytes]], None],
    cost: crypto.Argon2Cost = crypto.PRODUCTION_COST,
) -> str:
    """Make a kit: record its verify key, log it, and hand its bundle to ``deliver``; return its passphrase.

    ``deliver`` (which writes the file) runs inside the transaction: if it fails, no kit is recorded.
    """
    name = normalise_kit_name(name)
    if not _NAME.fullmatch(name):
        raise KitError("a kit name is 2 to 40 lowercase letters, digits, dots, hyphens or underscores")
    event = instance.event
    passphrase = crypto.new_passphrase()
    kit_key = SigningKey.generate()
    central_signing = SigningKey(_instance_key(connection, "signing", private=True))
    contents = KitContents(
        name=name,
        event_source=connection.execute("SELECT definition FROM events WHERE id = ?", (event.id,)).fetchone()[0],
        recovery_public_key=connection.execute(
            "SELECT recovery_public_key FROM events WHERE id = ?", (event.id,)
        ).fetchone()[0],
        compartment_keys=tuple(
            CompartmentKey(*row)
            for row in connection.execute(
                "SELECT compartment, generation, public_key, private_key_sealed_to_recovery FROM compartment_keys"
                " WHERE event_id = ? ORDER BY compartment, generation",
                (event.id,),
            )
        ),
        central_verify_key=bytes(central_signing.verify_key),
        central_bundle_public_key=_instance_key(connection, "bundle", private=False),
        kit_signing_key=bytes(kit_key),
        codename_lookup_key=instance.secrets.codename_lookup_key,
    )
    kit_bundle_key = bytes(crypto.derive_kit_keys(passphrase, cost).bundle_key.public_key)
    parts = write_bundle(
        KIND,
        {"event": event.id, "kit": name},
        [encode(contents)],
        signing_key=central_signing,
        recipient=kit_bundle_key,
    )
    with db.transaction(connection):
        if connection.execute("SELECT 1 FROM kits WHERE name = ?", (name,)).fetchone():
            raise KitError(f"there is already a kit named {name}")
        connection.execute(
            # The kit's bundle key, so that pass lists for its check-in desk can be encrypted to it.
            "INSERT INTO kits (name, verify_key, created_day, bundle_public_key) VALUES (?, ?, ?, ?)",
            (name, bytes(kit_key.verify_key), connection.clock.today(), kit_bundle_key),
        )
        kit_key_text = audit.public_key_text(bytes(kit_key.verify_key))
        audit.record(connection, "cli", "kit create", name, {"kit key": kit_key_text})
        deliver(parts)
    return passphrase


def open_kit_bundle(parts: Sequence[bytes], keys: crypto.KitKeys) -> KitContents:
    """The contents of a kit bundle encrypted to these keys; BundleError or KitError if it is not one.

    The bundle is trusted to be signed by the central key it names; the caller shows that key
    for the coordinator to compare with the one the organisers published.
    """
    bundle = read_bundle(parts, kind=KIND, trusted_signers=lambda _key: "central", recipient_key=keys.bundle_key)
    if len(bundle.records) != 1:
        raise KitError("this kit file is malformed: it holds no kit, or more than one")
    contents = decode(bundle.records[0])
    if bundle.signer.verify_key != contents.central_verify_key:
        raise KitError("this kit file was not signed by the central instance it names: do not use it")
    return contents


def encode(contents: KitContents) -> bytes:
    document = {
        "format": FORMAT,
        "version": VERSION,
        "name": contents.name,
        "event_definition": contents.event_source,
        "recovery_public_key": base64_text.encode(contents.recovery_public_key),
        "compartment_keys": [
            {
                "compartment": key.compartment,
                "generation": key.generation,
                "public_key": base64_text.encode(key.public_key),
                "private_key_sealed_to_recovery": base64_text.encode(key.private_key_sealed_to_recovery),
            }
            for key in contents.compartment_keys
        ],
        "central_verify_key": base64_text.encode(contents.central_verify_key),
        "central_bundle_public_key": base64_text.encode(contents.central_bundle_public_key),
        "kit_signing_key": base64_text.encode(contents.kit_signing_key),
        "codename_lookup_key": base64_text.encode(contents.codename_lookup_key),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")


def decode(record: bytes) -> KitContents:
    try:
        document = json.loads(record)
        if document.get("format") != FORMAT or document.get("version") != VERSION:
            raise KitError("this kit file was made by another version of Gatehouse")
        return KitContents(
            name=_text(document["name"]),
            event_source=_text(document["event_definition"]),
            recovery_public_key=_key(document["recovery_public_key"]),
            compartment_keys=tuple(
                CompartmentKey(
                    _text(key["compartment"]),
                    _whole(key["generation"]),
                    _key(key["public_key"]),
                    base64_text.decode(key["private_key_sealed_to_recovery"]),
                )
                for key in document["compartment_keys"]
            ),
            central_verify_key=_key(document["central_verify_key"]),
            central_bundle_public_key=_key(document["central_bundle_public_key"]),
            kit_signing_key=_key(document["kit_signing_key"]),
            codename_lookup_key=_key(document["codename_lookup_key"]),
        )
    except KitError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise KitError("this kit file is malformed: a required part is missing or has the wrong type") from None


def definition_hash(event_source: str) -> str:
    """What says that a kit and the central instance number an event's fields alike."""
    return hashlib.sha256(event_source.encode("utf-8")).hexdigest()


def _instance_key(connection: Connection, purpose: str, *, private: bool) -> bytes:
    column = "private_key" if private else "public_key"
    return connection.execute(
        f"SELECT {column} FROM instance_keys WHERE purpose = ?",  # noqa: S608 (the column is one of two names)
        (purpose,),
    ).fetchone()[0]


def _key(value: object) -> bytes:
    raw = base64_text.decode(value)
    if len(raw) != 32:
        raise ValueError
    return raw


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError
    return value


def _whole(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError
    return value


class UnknownKit(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"there is no kit named {name}")


def revoke_kit(connection: Connection, name: str) -> None:
    """A kit lost or taken: whoever holds it and its passphrase could sign bundles as it, so none is imported."""
    name = normalise_kit_name(name)
    with db.transaction(connection):
        found = connection.execute("SELECT revoked_day FROM kits WHERE name = ?", (name,)).fetchone()
        if found is None:
            raise UnknownKit(name)
        if found[0] is None:
            connection.execute("UPDATE kits SET revoked_day = ? WHERE name = ?", (audit.current_day(connection), name))
            audit.record(connection, "cli", "kit revoke", name)


@dataclass(frozen=True)
class IssuedKit:
    name: str
    created_day: str
    revoked_day: str | None
    registrations_brought: int


def list_kits(connection: Connection) -> list[IssuedKit]:
    """The kits this instance issued, by name, with how many registrations each brought."""
    return [
        IssuedKit(*row)
        for row in connection.execute(
            "SELECT k.name, k.created_day, k.revoked_day, count(r.registration_id) FROM kits AS k"
            " LEFT JOIN kit_registrations AS r ON r.kit = k.name GROUP BY k.name ORDER BY k.name"
        )
    ]
