"""Opening a backup to restore it: every check before anything is written.

The recovery words open it; its signer must be the key --signer gives (or anyone, with --unverified) and the
signing key of the instance inside; its event row must name the header's event and the recovery key that opened
it; every row must decode. Each withdrawal record must be signed by that same instance and name the same event.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import crypto
from app.backups import tables, withdrawals
from app.backups.backup import DOCUMENT, FORMAT, KIND
from app.backups.errors import BackupUnreadable, WrongRecoveryWords
from app.backups.tables import Table, Value
from app.common import base64_text
from app.events.definition import Event, EventDefinitionError, load_event
from app.instance.folder import RESTORED_SECRETS
from app.registrations.destroyed import Destroyed
from app.storage import db
from offline_bundle import BundleDamaged, BundleError, NotForThisKey, UnknownSigner, WrongKind, read_bundle

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
            "the backup is signed and opens, but this Gatehouse cannot restore what it holds (a newer version made"
            " it, or it is malformed). Nothing was written."
        ) from None


def with_withdrawal_records(backup: OpenedBackup, records: Sequence[tuple[str, list[bytes]]]) -> OpenedBackup:
    """Every withdrawal record checked (same event, signed by the instance the backup holds) and its ids kept."""
    ids = [
        item
        for name, parts in records
        for item in withdrawals.read_record(parts, event_id=backup.event.id, signer=backup.signer, name=name)
    ]
    return dataclasses.replace(backup, destroyed_ids=ids)


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
