"""Restoring a backup into a new folder, on a new machine: nothing the system destroyed comes back.

Everything is checked first (app.backups.opening, and the folder here). Then a new secret.key is drawn (so a new
database key), every table is written back except the rows of what a withdrawal record or the backup's own
record says was destroyed, today's purge runs and the log records the restore. secret.key is written last:
until then nothing can open the instance, let alone serve it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import crypto
from app.audit import log as audit
from app.backups import tables
from app.backups.errors import BackupError, BackupUnreadable, FolderHoldsInstance
from app.backups.opening import OpenedBackup, open_backup, with_withdrawal_records
from app.backups.tables import Table, Value
from app.common.clock import SYSTEM_CLOCK, Clock
from app.common.secret_files import private_folder
from app.instance.folder import SECRET_FILE
from app.instance.setup import write_secret
from app.registrations import destroyed, retention
from app.registrations.destroyed import Destroyed
from app.storage import db
from app.storage.connection import Connection

ACTOR = "cli"
# Rows that are part of one registration, by the column that names it: not written back once it was destroyed.
# A backup of schema 15 or later holds the rows that name slots (data_key_slots, …); an older one, the tables that
# held the values themselves (data_keys, …), which the migration then moves into slots.
REGISTRATION_ROWS = {
    "registrations": "id",
    "data_keys": "registration_id",
    "data_key_slots": "registration_id",
    "field_values": "registration_id",
    "field_value_slots": "registration_id",
    "set_aside": "registration_id",
    "messages": "registration_id",  # a withdrawn registration's messages and answers went with it
    "message_slots": "registration_id",
}
VALUES = ("field_values", "field_value_slots")
# The columns that name a slot (app.storage.slots), by table: a slot no row written back names is written as zeros.
SLOT_COLUMNS = {
    "data_key_slots": ("slot",),
    "field_value_slots": ("slot",),
    "message_slots": ("key_for_compartment_slot", "key_for_participant_slot", "body_slot"),
}


@dataclass
class RestoreReport:
    event_id: str
    signer: bytes  # the key that signed the backup: shown to whoever restored it --unverified
    taken: str
    registrations: int
    staff: int
    grants: int
    log_entries: int
    registrations_destroyed_since: int  # in the backup, and named by a withdrawal record: not written back
    values_destroyed_since: int
    purge: retention.PurgeReport
    log_verifies: bool


def restore_backup(
    part: bytes,
    recovery_words: str,
    target: Path,
    *,
    signer: bytes | None,
    records: Sequence[tuple[str, list[bytes]]] = (),
    clock: Clock = SYSTEM_CLOCK,
) -> RestoreReport:
    """The whole restore: every check (the folder, the words, the backup, each withdrawal record), then the build.
    ``signer`` None accepts any signer (the person said --unverified); ``records`` are (name, parts)."""
    check_target(target)
    backup = with_withdrawal_records(open_backup(part, recovery_words, signer), records)
    return restore(backup, target, clock)


def check_target(path: Path) -> Path:
    """The folder to restore into, resolved; refused if it holds an instance or part of one."""
    path = path.resolve()
    if path.exists() and not path.is_dir():
        raise BackupError(f"{path} is a file, not a folder. Nothing was written.")
    if any((path / name).exists() or (path / name).is_symlink() for name in (SECRET_FILE, *db.DATABASE_FILES)):
        raise FolderHoldsInstance(path)
    return path


def restore(backup: OpenedBackup, target: Path, clock: Clock = SYSTEM_CLOCK) -> RestoreReport:
    """Build the instance in ``target`` (see the module's docstring); on any failure remove what was written."""
    target = check_target(target)
    made_folder = not target.exists()
    private_folder(target)
    master = crypto.new_master_secret()
    try:
        database = target / db.DATABASE_FILE
        with contextlib.closing(
            db.create(database, crypto.derive_instance_secrets(master).database_key, clock)
        ) as connection:
            report = _build(connection, backup)
        write_secret(target, master)  # last: the purge has run before anything can open the instance
    except BaseException:
        for name in db.DATABASE_FILES:
            (target / name).unlink(missing_ok=True)
        if made_folder:
            with contextlib.suppress(OSError):
                target.rmdir()
        raise
    return report


def _build(connection: Connection, backup: OpenedBackup) -> RestoreReport:
    event = backup.event
    db.migrate(connection, up_to=backup.schema)
    if not tables.schema_matches(connection, [table for table, _rows in backup.tables]):
        raise BackupUnreadable("the backup's tables are not those of its schema version. Nothing was written.")
    every_destroyed = backup.destroyed_ids + _own_record(backup)
    gone = {item.registration_id for item in every_destroyed if item.whole}
    gone_values = {(item.registration_id, item.field_key, item.data_key_id) for item in every_destroyed}
    counts = {"registrations": 0, "values": 0}
    connection.execute("PRAGMA foreign_keys = OFF")  # tables are written in name order, not in reference order
    kept = [(table, _kept(table, rows, gone, gone_values, counts)) for table, rows in backup.tables]
    named = _named_slots(kept)
    with db.transaction(connection):
        for table, rows in kept:
            tables.insert(connection, table, _emptied(rows, named) if table.name == "sealed_slots" else rows)
    broken = connection.execute("PRAGMA foreign_key_check").fetchall()
    connection.execute("PRAGMA foreign_keys = ON")
    if broken:
        raise BackupUnreadable("the backup's rows do not refer to one another as they must. Nothing was written.")
    db.migrate(connection)
    with db.transaction(connection):
        destroyed.add(connection, backup.destroyed_ids)
        connection.executemany("INSERT INTO restored_secrets (purpose, secret) VALUES (?, ?)", backup.secrets.items())
        audit.record(
            connection,
            ACTOR,
            "restored from backup",
            event.id,
            {
                "backup sha256": backup.sha256,
                "backup taken": backup.taken,
                "registrations destroyed since": counts["registrations"],
                "values destroyed since": counts["values"],
            },
        )
    purge = retention.purge(connection, event, retention.purge_day(connection))
    audit.sign_head(connection, event.id)

    def count(table: str) -> int:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 (names are ours)

    return RestoreReport(
        event.id,
        backup.signer,
        backup.taken,
        count("registrations"),
        count("staff"),
        count("grants"),
        count("audit_log"),
        counts["registrations"],
        counts["values"],
        purge,
        audit.verify_stored(connection, event.id).ok,
    )


def _kept(
    table: Table,
    rows: list[tuple[Value, ...]],
    gone: set[str],
    gone_values: set[tuple[str, str, str]],
    counts: dict[str, int],
) -> list[tuple[Value, ...]]:
    """The rows written back: none of a registration destroyed since, nor a value purged since."""
    column = REGISTRATION_ROWS.get(table.name)
    if column is None:
        return rows
    at = table.columns.index(column)
    kept = [row for row in rows if row[at] not in gone]
    if table.name == "registrations":
        counts["registrations"] = len(rows) - len(kept)
    if table.name in VALUES:
        registration, field_key, data_key = (
            table.columns.index(c) for c in ("registration_id", "field_key", "data_key_id")
        )
        values = [row for row in kept if (row[registration], row[field_key], row[data_key]) not in gone_values]
        counts["values"] = len(kept) - len(values)
        kept = values
    return kept


def _named_slots(kept: list[tuple[Table, list[tuple[Value, ...]]]]) -> set[Value]:
    """Every slot a row written back names."""
    named: set[Value] = set()
    for table, rows in kept:
        at = [table.columns.index(column) for column in SLOT_COLUMNS.get(table.name, ())]
        named.update(row[i] for row in rows for i in at)
    return named


def _emptied(rows: list[tuple[Value, ...]], named: set[Value]) -> list[tuple[Value, ...]]:
    """The slots (slot, length, used, content) as written back: one that no row names any more, free and zeroed,
    so that what it held (a value destroyed since the backup was taken) does not come back."""
    return [row if row[0] in named else (row[0], row[1], 0, bytes(int(row[1] or 0))) for row in rows]


def _own_record(backup: OpenedBackup) -> list[Destroyed]:
    """The backup's own table of destroyed ids: what was destroyed before it was taken."""
    for table, rows in backup.tables:
        if table.name == "destroyed_ids":
            return [Destroyed(*(str(value) for value in row)) for row in rows]
    return []
