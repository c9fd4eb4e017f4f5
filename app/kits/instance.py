"""A field kit's own instance: a SQLCipher database whose key comes from the kit passphrase, and no private
compartment key at all.

There is no secret.key file: nothing in the kit's folder opens its database without the passphrase,
and what the database holds is sealed to compartment keys the kit never had. A kit asks for no
invitation code (its coordinator registers people in person) and never puts anyone on the waiting
list (the central instance decides that when it imports them).
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

from nacl.signing import SigningKey

import crypto
from app.audit import log as audit
from app.common.secret_files import private_folder
from app.events.definition import Event, load_event
from app.instance.folder import Instance
from app.instance.folder import exists as central_exists
from app.kits.bundle import KitContents, KitError, definition_hash, open_kit_bundle
from app.storage import db


@dataclasses.dataclass(frozen=True)
class KitIdentity:
    """What a kit knows of itself and of the central instance it reports to."""

    name: str
    signing_key: bytes  # Ed25519 seed
    central_verify_key: bytes
    central_bundle_public_key: bytes


def is_kit(path: Path) -> bool:
    path = path.resolve()
    return (path / db.DATABASE_FILE).exists() and not central_exists(path)


def kit_event(event: Event) -> Event:
    """The event as a kit serves it: no invitation asked, no capacity applied (central applies it on import)."""
    return dataclasses.replace(event, invitation_required=False, capacity=None)


def set_up_kit(path: Path, contents: KitContents, keys: crypto.KitKeys) -> Instance:
    """Create the kit's database in ``path`` from its bundle's contents; the folder must hold no instance."""
    path = path.resolve()
    if central_exists(path) or (path / db.DATABASE_FILE).exists():
        raise KitError(f"{path} already holds a Gatehouse instance")
    event = load_event(contents.event_source)
    private_folder(path)
    secrets = _secrets(keys, contents.codename_lookup_key)
    try:
        with contextlib.closing(db.create(path / db.DATABASE_FILE, secrets.database_key)) as connection:
            db.migrate(connection)
            with db.transaction(connection):
                _store(connection, contents)
                audit.record(
                    connection,
                    "cli",
                    "kit set up",
                    contents.name,
                    {"event definition sha256": definition_hash(contents.event_source)},
                )
    except BaseException:
        for name in db.DATABASE_FILES:
            (path / name).unlink(missing_ok=True)
        raise
    return Instance(path, secrets, kit_event(event))


def open_kit(path: Path, keys: crypto.KitKeys, contents: KitContents | None = None) -> Instance:
    """Open a kit set up before; with ``contents``, check that it is the kit that bundle made."""
    path = path.resolve()
    if not is_kit(path):
        raise KitError(f"no field kit in {path}")
    with contextlib.closing(_connect(path, keys)) as connection:
        db.migrate(connection)
        definition, lookup_key, name, central_key = connection.execute(
            "SELECT e.definition, k.codename_lookup_key, k.name, k.central_verify_key"
            " FROM events AS e, kit_identity AS k"
        ).fetchone()
    if contents is not None and (contents.name, contents.central_verify_key) != (name, central_key):
        raise KitError(f"the kit in {path} is not the one this kit file makes")
    return Instance(path, _secrets(keys, lookup_key), kit_event(load_event(definition)))


def identity(connection: db.Connection) -> KitIdentity:
    name, central_verify_key, central_bundle_public_key = connection.execute(
        "SELECT name, central_verify_key, central_bundle_public_key FROM kit_identity"
    ).fetchone()
    signing_key = connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'signing'").fetchone()[0]
    return KitIdentity(name, signing_key, central_verify_key, central_bundle_public_key)


def _connect(path: Path, keys: crypto.KitKeys) -> db.Connection:
    try:
        return db.connect(path / db.DATABASE_FILE, _secrets(keys, b"").database_key)
    except db.DatabaseKeyError:
        raise KitError(f"this passphrase does not open the kit in {path}") from None


def _secrets(keys: crypto.KitKeys, codename_lookup_key: bytes) -> crypto.InstanceSecrets:
    # The kit's own keys come from its passphrase; the codename look-up is the central instance's.
    derived = crypto.derive_instance_secrets(keys.master_secret)
    return dataclasses.replace(derived, codename_lookup_key=codename_lookup_key)


def _store(connection: db.Connection, contents: KitContents) -> None:
    event = load_event(contents.event_source)
    signing_key = SigningKey(contents.kit_signing_key)
    # The kit signs its log's checkpoints and its sync bundles with this key; it receives no bundle.
    connection.execute(
        "INSERT INTO instance_keys (purpose, public_key, private_key) VALUES ('signing', ?, ?)",
        (bytes(signing_key.verify_key), bytes(signing_key)),
    )
    connection.execute(
        "INSERT INTO events (id, definition, recovery_public_key, created_day) VALUES (?, ?, ?, ?)",
        (event.id, contents.event_source, contents.recovery_public_key, connection.clock.today()),
    )
    connection.executemany(
        "INSERT INTO compartment_keys (event_id, compartment, generation, public_key,"
        " private_key_sealed_to_recovery) VALUES (?, ?, ?, ?, ?)",
        [
            (event.id, key.compartment, key.generation, key.public_key, key.private_key_sealed_to_recovery)
            for key in contents.compartment_keys
        ],
    )
    connection.execute(
        "INSERT INTO kit_identity (name, central_verify_key, central_bundle_public_key, codename_lookup_key)"
        " VALUES (?, ?, ?, ?)",
        (contents.name, contents.central_verify_key, contents.central_bundle_public_key, contents.codename_lookup_key),
    )


def start_kit(path: Path, keys: crypto.KitKeys, kit_parts: list[bytes] | None) -> Instance:
    """Open the kit in ``path``, setting it up from its kit file on the first start.

    Raises KitError, or a BundleError for a kit file that does not open with these keys.
    """
    contents = open_kit_bundle(kit_parts, keys) if kit_parts is not None else None
    if is_kit(path):
        return open_kit(path, keys, contents)
    if contents is None:
        raise KitError(f"no field kit in {path.resolve()} yet: give the kit file the first time")
    return set_up_kit(path, contents, keys)
