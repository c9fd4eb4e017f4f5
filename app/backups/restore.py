"""Restoring a backup into a new folder, on a new machine: nothing the system destroyed comes back.

Everything is checked before anything is written: the recovery words, every byte of the backup, its signer,
each withdrawal record (same signer, same event), the folder. Then a new secret.key is drawn (so a new database
key), every table is written back except the rows of what a withdrawal record or the backup's own record says
was destroyed, today's purge runs and the log records the restore. secret.key is written last: until then
nothing can open the instance, let alone serve it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import crypto
from app.audit import log as audit
from app.backups import tables, withdrawals
from app.backups.backup import DOCUMENT, FORMAT, KIND
from app.backups.errors import BackupError, BackupUnreadable, FolderHoldsInstance, WrongRecoveryWords
from app.backups.tables import Table, Value
from app.common import base64_text
from app.common.clock import SYSTEM_CLOCK, Clock
from app.common.secret_files import private_folder
from app.events.definition import Event, EventDefinitionError, load_event
from app.instance.folder import RESTORED_SECRETS, SECRET_FILE
from app.instance.setup import write_secret
from app.registrations import destroyed, retention
from app.registrations.destroyed import Destroyed
from app.storage import db
from app.storage.connection import Connection
from offline_bundle import BundleDamaged, BundleError, NotForThisKey, UnknownSigner, WrongKind, read_bundle

ACTOR = "cli"
# Rows that are part of one registration, by the column that names it: not written back once it was destroyed.
REGISTRATION_ROWS = {
    "registrations": "id",
    "data_keys": "registration_id",
    "field_values": "registration_id",
    "set_aside": "registration_id",
}
_SIGNED_ONLY_MODE = 1  # byte 9 of a bundle part (offline_bundle/FORMAT.md): a backup is always encrypted


@dataclass(frozen=True)
class OpenedBackup:
    """A backup whose every check passed: what it says of itself and every row it carries, decoded."""

    event: Event
    taken: str
    first_due: str
    sha256: str
    signer: bytes
    schema: int
    secrets: dict[str, bytes]
    tables: list[tuple[Table, list[tuple[Value, ...]]]]
    destroyed_ids: list[Destroyed] = field(default_factory=list)  # from the withdrawal records given


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


def open_backup(part: bytes, recovery_words: str, signer: bytes | None) -> OpenedBackup:
    """Open and check a backup; ``signer`` None accepts any signer (the caller said --unverified)."""
    try:
        recovery_key = crypto.private_key_from_recovery_words(recovery_words)
    except crypto.InvalidRecoveryWords as error:
        raise WrongRecoveryWords(str(error)) from None
    trusted: dict[bytes, str] | Callable[[bytes], str] = (
        {signer: "the instance"} if signer is not None else (lambda _key: "unverified")
    )
    try:
        bundle = read_bundle([part], kind=KIND, trusted_signers=trusted, recipient_key=recovery_key)
    except NotForThisKey:
        if len(part) > 9 and part[9] == _SIGNED_ONLY_MODE:
            raise BackupUnreadable("this file is a signed bundle, not a backup. Nothing was written.") from None
        raise WrongRecoveryWords() from None
    except UnknownSigner:
        raise BackupUnreadable(
            "this backup was not signed by the key --signer gives: another instance made it, or --signer is"
            " another instance's key. Nothing was written."
        ) from None
    except WrongKind as error:
        raise BackupUnreadable(
            f"this file is not a backup: it is a {error.found!r} bundle. Nothing was written."
        ) from None
    except BundleDamaged:
        raise BackupUnreadable(
            "the backup is damaged (a byte changed, or the file is cut short): use another copy, or another backup."
            " Nothing was written."
        ) from None
    except BundleError as error:
        raise BackupUnreadable(f"the backup cannot be used: {error} Nothing was written.") from None
    try:
        return _read(bundle.header, bundle.records, bundle.signer.verify_key, part, bytes(recovery_key.public_key))
    except (ValueError, KeyError, TypeError, IndexError, EventDefinitionError):
        raise BackupUnreadable(
            "the backup is signed and opens, but its contents are not a backup this Gatehouse can restore."
            " Nothing was written."
        ) from None


def with_withdrawal_records(backup: OpenedBackup, records: Sequence[tuple[str, list[bytes]]]) -> OpenedBackup:
    """Every withdrawal record checked (same event, signed by the instance the backup holds) and its ids kept."""
    ids = [
        item
        for name, parts in records
        for item in withdrawals.read_record(parts, event_id=backup.event.id, signer=backup.signer, name=name)
    ]
    return OpenedBackup(**{**vars(backup), "destroyed_ids": ids})


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
    with db.transaction(connection):
        for table, rows in backup.tables:
            tables.insert(connection, table, _kept(table, rows, gone, gone_values, counts))
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
    if table.name == "field_values":
        registration, field_key, data_key = (
            table.columns.index(c) for c in ("registration_id", "field_key", "data_key_id")
        )
        values = [row for row in kept if (row[registration], row[field_key], row[data_key]) not in gone_values]
        counts["values"] = len(kept) - len(values)
        kept = values
    return kept


def _own_record(backup: OpenedBackup) -> list[Destroyed]:
    """The backup's own table of destroyed ids: what was destroyed before it was taken."""
    for table, rows in backup.tables:
        if table.name == "destroyed_ids":
            return [Destroyed(*(str(value) for value in row)) for row in rows]
    return []


def _read(
    header: dict[str, str | int], records: list[bytes], signer: bytes, part: bytes, recovery_public_key: bytes
) -> OpenedBackup:
    """The contents of an authentic backup, checked; ValueError (or KeyError, TypeError, IndexError) if malformed."""
    if header["format"] != FORMAT:
        raise ValueError("another format")
    document = json.loads(records[0])
    if document["format"] != DOCUMENT or document["version"] != FORMAT:
        raise ValueError("another document")
    schema = document["schema"]
    if not isinstance(schema, int) or not 1 <= schema <= db.latest_version():
        raise ValueError("a schema this version does not know")
    secrets = {purpose: base64_text.decode(secret) for purpose, secret in document["secrets"].items()}
    if set(secrets) != set(RESTORED_SECRETS) or any(len(secret) != 32 for secret in secrets.values()):
        raise ValueError("secrets")
    listed = [Table(str(name), tuple(str(c) for c in columns), int(rows)) for name, columns, rows in document["tables"]]
    if sum(table.rows for table in listed) != len(records) - 1 or any(table.rows < 0 for table in listed):
        raise ValueError("row counts")
    carried, at = [], 1
    for table in listed:
        carried.append(
            (table, [tables.decode_row(record, len(table.columns)) for record in records[at : at + table.rows]])
        )
        at += table.rows
    by_name = {table.name: (table, rows) for table, rows in carried}
    [event_row] = _as_dicts(*by_name["events"])
    [signing_row] = [row for row in _as_dicts(*by_name["instance_keys"]) if row["purpose"] == "signing"]
    if event_row["id"] != header["event"] or event_row["recovery_public_key"] != recovery_public_key:
        raise ValueError("another event, or another recovery key")
    if signing_row["public_key"] != signer:
        raise ValueError("signed by another key than the instance's")
    return OpenedBackup(
        load_event(str(event_row["definition"])),
        str(header["taken"]),
        str(header["first_due"]),
        hashlib.sha256(part).hexdigest(),
        signer,
        schema,
        secrets,
        carried,
    )


def _as_dicts(table: Table, rows: list[tuple[Value, ...]]) -> list[dict[str, Value]]:
    return [dict(zip(table.columns, row, strict=True)) for row in rows]
