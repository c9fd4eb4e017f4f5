"""Making a backup: everything a rebuilt instance needs, encrypted to the event's recovery key and signed by the
instance, stating the first day on which something inside it is due for destruction.

A `backup` bundle (offline_bundle/FORMAT.md). Its header: event, the day it was taken, that first due day, the
format. Its records: a JSON document (the schema version, the look-up keys codenames and invitation codes were
made with, the tables with their columns and row counts), then every row of every table, table by table
(app.backups.tables). Not in it: secret.key and the database key; the restore draws new ones. Compartment
private keys are in it only as stored, sealed to the recovery key and to staff.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from nacl.signing import SigningKey

from app.audit import log as audit
from app.backups import rotation, tables
from app.backups.errors import BackupError
from app.common import base64_text
from app.common.bundle_files import write_parts
from app.events.definition import Event
from app.instance.folder import Instance
from app.registrations import retention
from app.storage.connection import Connection
from offline_bundle import write_bundle

KIND = "backup"
FORMAT = 1
DOCUMENT = "gatehouse-backup"
ACTOR = "cli"


@dataclass(frozen=True)
class Backup:
    """A backup made, before and after it is written: its one bundle part and what it says of itself."""

    part: bytes
    event_id: str
    taken: datetime.date
    first_due: datetime.date | None  # None: it holds no value, so nothing in it is ever due
    registrations: int
    log_entries: int
    signer: bytes  # the instance's verify key: `restore --signer` checks it

    @property
    def sha256(self) -> str:
        """The file's SHA-256, which the log's backup entry and a restore's entry name (`sha256sum FILE`)."""
        return hashlib.sha256(self.part).hexdigest()


@dataclass(frozen=True)
class Contents:
    """What a backup bundle carries, before it is sealed: its header and records, and the two keys that seal it."""

    header: dict[str, str | int]
    records: list[bytes]
    signing_key: SigningKey
    recovery_public_key: bytes
    rows: dict[str, int]  # table -> rows


def make_backup(connection: Connection, instance: Instance) -> Backup:
    """Purge what is due today, sign the log's head, then take every table in one read transaction and seal it."""
    contents = backup_contents(connection, instance)
    [part] = write_bundle(
        KIND,
        contents.header,
        contents.records,
        signing_key=contents.signing_key,
        recipient=contents.recovery_public_key,
    )
    first_due = str(contents.header["first_due"])
    return Backup(
        part,
        instance.event.id,
        datetime.date.fromisoformat(str(contents.header["taken"])),
        None if first_due == "none" else datetime.date.fromisoformat(first_due),
        contents.rows["registrations"],
        contents.rows["audit_log"],
        bytes(contents.signing_key.verify_key),
    )


def backup_contents(connection: Connection, instance: Instance) -> Contents:
    """The header and records of a backup taken now (the test vectors seal them with fixed randomness)."""
    event = instance.event
    today = retention.purge_day(connection)
    retention.purge(connection, event, today)  # a backup never holds a value already due
    audit.sign_head(connection, event.id)
    connection.execute("BEGIN")  # one snapshot: a registration arriving meanwhile is in every table or in none
    try:
        carried = tables.carried_tables(connection)
        rows = [row for table in carried for row in tables.encoded_rows(connection, table)]
        first_due = first_due_day(connection, event, today)
        signing_key, recovery_public_key = connection.execute(
            "SELECT k.private_key, e.recovery_public_key FROM instance_keys AS k, events AS e"
            " WHERE k.purpose = 'signing' AND e.id = ?",
            (event.id,),
        ).fetchone()
    finally:
        connection.execute("COMMIT")
    document = {
        "format": DOCUMENT,
        "version": FORMAT,
        "schema": connection.execute("PRAGMA user_version").fetchone()[0],
        "secrets": {
            "codename lookup": base64_text.encode(instance.secrets.codename_lookup_key),
            "receipt": base64_text.encode(instance.secrets.receipt_key),
            "invitation": base64_text.encode(instance.secrets.invitation_key),
        },
        "tables": [[table.name, list(table.columns), table.rows] for table in carried],
    }
    header: dict[str, str | int] = {
        "event": event.id,
        "taken": today.isoformat(),
        "first_due": first_due.isoformat() if first_due is not None else "none",
        "format": FORMAT,
    }
    return Contents(
        header,
        [_json(document), *rows],
        SigningKey(signing_key),
        recovery_public_key,
        {table.name: table.rows for table in carried},
    )


def write_backup(connection: Connection, instance: Instance, out: Path) -> Backup:
    """A backup to the file ``out`` (never over an existing file), logged once written."""
    if out.exists() or out.is_symlink():
        raise BackupError(f"{out} exists already: not overwritten. Choose another name or move it away.")
    backup = make_backup(connection, instance)
    write_parts(out, [backup.part])
    _log(connection, backup)
    return backup


def backup_into(
    connection: Connection, instance: Instance, folder: Path, keep: int
) -> tuple[Backup, Path, list[rotation.BackupFile]]:
    """A backup into ``folder``, named with its first due day; then the rotation: every backup whose first due
    day has come is deleted, and all but the newest ``keep``. Returns the backup, its file, the files deleted."""
    rotation.check_folder(folder)
    if keep < 1:
        raise BackupError("keep at least one backup: --keep 0 would delete the one just made. Nothing was written.")
    backup = make_backup(connection, instance)
    [path] = write_parts(rotation.next_name(folder, instance.event.id, backup.taken, backup.first_due), [backup.part])
    _log(connection, backup)
    return backup, path, rotation.rotate(folder, instance.event.id, backup.taken, keep)


def first_due_day(connection: Connection, event: Event, today: datetime.date) -> datetime.date | None:
    """The earliest day on which the instance could destroy a value this backup holds, whatever is decided from
    today on: a rule that counts from an approval or a rejection is counted from today for a registration not
    (yet) so decided, since it could be decided today. Messages count from the event's rule for them. None when the
    backup holds no value and no message at all."""
    rejection = event.retain_days_after_rejection
    due: list[datetime.date] = []
    for field_key, status, earliest_decision in connection.execute(
        "SELECT f.field_key, r.status, min(r.decided_day) FROM field_value_slots AS f"
        " JOIN registrations AS r ON r.id = f.registration_id WHERE r.event_id = ? GROUP BY f.field_key, r.status",
        (event.id,),
    ):
        field = next((each for each in event.fields if each.key == field_key), None)
        due.append(event.latest_destruction())
        decided = datetime.date.fromisoformat(earliest_decision) if earliest_decision else today
        if field is not None and field.retention.after == "event":
            due.append(event.destroyed_on(field))
        elif field is not None:
            due.append((decided if status == "approved" else today) + datetime.timedelta(days=field.retention.days + 1))
        if rejection is not None:
            due.append((decided if status == "rejected" else today) + datetime.timedelta(days=rejection + 1))
    messages_due = event.messages_destroyed_on()
    if messages_due is not None and connection.execute("SELECT 1 FROM message_slots LIMIT 1").fetchone():
        due.append(messages_due)
    return min(due, default=None)


def _log(connection: Connection, backup: Backup) -> None:
    audit.log(
        connection,
        ACTOR,
        "backup",
        backup.event_id,
        {
            "sha256": backup.sha256,
            "first due": backup.first_due.isoformat() if backup.first_due else "none",
            "registrations": backup.registrations,
        },
    )


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode("ascii")
