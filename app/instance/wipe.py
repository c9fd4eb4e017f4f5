"""Emergency wipe: destroy every key that could open what the instance wrote, then the files themselves.

Three steps, each enough on its own against someone who copies the disk afterwards:
the keys inside the database are deleted (compartment keys sealed to the recovery key and to
staff, sealed data keys, the instance's own keys); the database is re-encrypted under a random
key that is never written down, so the key file no longer opens it; then the key file and the
database files are overwritten and removed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from app.audit import log as audit
from app.common.errors import GatehouseError
from app.common.secret_files import overwrite_and_remove
from app.instance.folder import SECRET_FILE, Instance
from app.storage import db
from app.storage.connection import Connection

# Table -> what a row there is, as the wipe reports it. Order matters: grants before the keys they reference.
DESTROYED = (
    ("field_value_slots", "encrypted values"),
    ("data_key_slots", "sealed data keys"),
    ("grants", "compartment keys sealed to staff"),
    ("compartment_keys", "compartment keys sealed to the recovery key"),
    ("instance_keys", "instance keys (log signing, bundles)"),
    ("restored_secrets", "look-up keys kept from a backup (codenames, receipts, invitations)"),
    ("registrations", "registrations (pseudonyms and codename look-ups)"),
    ("invitations", "invitation codes"),
)


@dataclass
class WipeReport:
    destroyed: dict[str, int] = field(default_factory=dict)  # what -> how many
    staff_keys: int = 0
    final_checkpoint: audit.Checkpoint | None = None
    files_removed: list[str] = field(default_factory=list)


def destroy_keys(connection: Connection, event_id: str, actor: str) -> WipeReport:
    """Delete every key and value inside the database, logging the wipe and signing the log's head first."""
    report = WipeReport()
    counts = {what: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table, what in DESTROYED}  # noqa: S608
    audit.log(connection, actor, "wipe", detail={"destroying": counts})
    report.final_checkpoint = audit.sign_head(connection, event_id)
    with db.transaction(connection):
        # Every sealed value, data key and message at once; deleting the rows that named them then finds none.
        connection.execute("DELETE FROM sealed_slots")
        for table, what in DESTROYED:
            connection.execute(f"DELETE FROM {table}")  # noqa: S608 (table names are ours)
            report.destroyed[what] = counts[what]
        report.staff_keys = connection.execute(
            "UPDATE staff SET locked_private_key = NULL, login_hash = '', totp_secret = ''"
            " WHERE locked_private_key IS NOT NULL OR login_hash != ''"
        ).rowcount
    db.scrub(connection)
    return report


def rekey_to_nothing(connection: Connection) -> None:
    """Re-encrypt the database under a random key nobody keeps: a copied key file opens nothing now."""
    connection.execute(f"PRAGMA rekey = \"x'{os.urandom(32).hex()}'\"")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def remove_files(path: Path) -> list[str]:
    """Overwrite the key file and the database files with random bytes, then remove them."""
    removed = []
    for name in (SECRET_FILE, *db.DATABASE_FILES):
        target = path / name
        if not target.exists():
            continue
        overwrite_and_remove(target)
        removed.append(name)
    directory = os.open(path, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return removed


class NotConfirmed(GatehouseError):
    def __init__(self, event_id: str) -> None:
        super().__init__(f"to wipe, type the event id exactly: {event_id}")


def check_confirmation(instance: Instance, typed_event_id: str) -> None:
    """A wipe cannot be undone: the event's id must be typed out exactly."""
    if typed_event_id.strip() != instance.event.id:
        raise NotConfirmed(instance.event.id)


def wipe(instance: Instance, actor: str, confirm: str) -> WipeReport:
    """All three steps, on an instance no other connection of this process is using; ``confirm`` is the event
    id as the person typed it."""
    check_confirmation(instance, confirm)
    with instance.connection() as connection:
        report = destroy_keys(connection, instance.event.id, actor)
        rekey_to_nothing(connection)
    report.files_removed = remove_files(instance.path)
    return report
