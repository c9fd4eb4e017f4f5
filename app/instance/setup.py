"""Setting up a new instance: its secret, its schema, the instance keys and the event's compartment keys."""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from nacl.signing import SigningKey

import crypto
from app.audit import log as audit
from app.common.secret_files import private_folder
from app.events.definition import Event, load_event
from app.instance.folder import SECRET_FILE, InstanceExists
from app.storage import db


def create_instance(path: Path, event_source: str) -> list[str]:
    """Set up a new instance for one event; return the recovery words, which are not kept anywhere.

    The compartment private keys are sealed to the recovery key alone: the server
    never holds a key that opens what it stores.
    """
    path = path.resolve()
    event = load_event(event_source)  # fail on a bad definition before writing anything
    private_folder(path)
    if (path / db.DATABASE_FILE).exists():
        # A field kit's folder has a database and no key file: setting up over it would delete the database.
        raise InstanceExists(f"a Gatehouse database already exists in {path}")
    master = crypto.new_master_secret()
    write_secret(path, master)
    try:
        with contextlib.closing(
            db.create(path / db.DATABASE_FILE, crypto.derive_instance_secrets(master).database_key)
        ) as connection:
            return set_up_database(connection, event, event_source)
    except BaseException:
        # A half-made instance would be reopened as if whole: remove what was written.
        for name in (SECRET_FILE, *db.DATABASE_FILES):
            (path / name).unlink(missing_ok=True)
        raise


def write_secret(path: Path, master: bytes) -> None:
    """secret.key, owner-only, written and synced; InstanceExists if the folder has one already."""
    try:
        descriptor = os.open(path / SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InstanceExists(f"a Gatehouse instance already exists in {path}") from None
    with os.fdopen(descriptor, "wb") as secret_file:
        secret_file.write(master)
        secret_file.flush()
        os.fsync(secret_file.fileno())


def set_up_database(connection: db.Connection, event: Event, event_source: str) -> list[str]:
    """Create the schema, the instance's keys and the event's compartment keys; return the recovery words."""
    recovery_key = crypto.new_key_pair()
    db.migrate(connection)
    with db.transaction(connection):
        _store_instance_keys(connection)
        # The definition holds every retention rule: its hash in the log tells an auditor which rules applied.
        audit.record(
            connection,
            "cli",
            "instance created",
            event.id,
            {"event definition sha256": hashlib.sha256(event_source.encode("utf-8")).hexdigest()},
        )
        connection.execute(
            "INSERT INTO events (id, definition, recovery_public_key, created_day) VALUES (?, ?, ?, ?)",
            (event.id, event_source, bytes(recovery_key.public_key), connection.clock.today()),
        )
        for compartment in event.compartments:
            compartment_key = crypto.new_key_pair()
            connection.execute(
                "INSERT INTO compartment_keys (event_id, compartment, generation, public_key,"
                " private_key_sealed_to_recovery) VALUES (?, ?, 1, ?, ?)",
                (
                    event.id,
                    compartment.name,
                    bytes(compartment_key.public_key),
                    crypto.seal_to(recovery_key.public_key, bytes(compartment_key)),
                ),
            )
    return crypto.recovery_words(recovery_key)


def _store_instance_keys(connection: db.Connection) -> None:
    signing_key = SigningKey.generate()
    bundle_key = crypto.new_key_pair()
    connection.executemany(
        "INSERT INTO instance_keys (purpose, public_key, private_key) VALUES (?, ?, ?)",
        [
            ("signing", bytes(signing_key.verify_key), bytes(signing_key)),
            ("bundle", bytes(bundle_key.public_key), bytes(bundle_key)),
        ],
    )
