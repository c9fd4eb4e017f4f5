"""The withdrawal record: the ids of every registration and value the system destroyed, signed by the instance.

A `withdrawals` bundle, signed only: it holds ids, which reveal nothing, and is meant to be written often (after
each withdrawal, by a timer) to places a backup does not go. A restore given it destroys, before anything can
serve the instance, whatever it names that the backup still held. Each record is a registration id (16 bytes),
alone for a whole registration, or followed by the id of the data key that sealed a value (16 bytes) and the
value's field key (ASCII): offline_bundle/FORMAT.md.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from nacl.signing import SigningKey

from app.audit import log as audit
from app.backups.errors import BackupError
from app.common.bundle_files import BundleFileError, read_parts
from app.common.secret_files import create_secret_file
from app.registrations import destroyed
from app.registrations.destroyed import Destroyed
from app.storage.connection import Connection
from offline_bundle import BundleError, UnknownSigner, read_bundle, write_bundle

KIND = "withdrawals"
FORMAT = 1
_ID_BYTES = 16
_FIELD_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")


def encode(item: Destroyed) -> bytes:
    record = bytes.fromhex(item.registration_id)
    if item.whole:
        return record
    return record + bytes.fromhex(item.data_key_id) + item.field_key.encode("ascii")


def decode(record: bytes) -> Destroyed:
    """One record back into ids; ValueError for anything encode does not write."""
    if len(record) == _ID_BYTES:
        return Destroyed(record.hex())
    field_key = record[2 * _ID_BYTES :].decode("ascii")
    if not _FIELD_KEY.fullmatch(field_key):
        raise ValueError("a withdrawal record names a field that cannot exist")
    return Destroyed(record[:_ID_BYTES].hex(), field_key, record[_ID_BYTES : 2 * _ID_BYTES].hex())


def write_record(connection: Connection, event_id: str) -> tuple[list[bytes], int]:
    """The record as one signed bundle part, and how many ids it holds."""
    every = destroyed.every_id(connection)
    signing_key = connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'signing'").fetchone()[0]
    header: dict[str, str | int] = {"event": event_id, "day": audit.current_day(connection), "format": FORMAT}
    return write_bundle(KIND, header, [encode(item) for item in every], signing_key=SigningKey(signing_key)), len(every)


def read_record(parts: Sequence[bytes], *, event_id: str, signer: bytes, name: str) -> list[Destroyed]:
    """The ids a record holds, once it is shown to be this event's and signed by ``signer``; BackupError if not."""
    try:
        bundle = read_bundle(parts, kind=KIND, trusted_signers={signer: "the instance"})
    except UnknownSigner:
        raise BackupError(
            f"the withdrawal record {name} was not signed by the instance the backup holds: it is another"
            " instance's. Nothing was written."
        ) from None
    except BundleError as error:
        raise BackupError(
            f"the withdrawal record {name} cannot be used: {_lower(str(error))} Nothing was written."
        ) from None
    if bundle.header.get("event") != event_id:
        raise BackupError(
            f"the withdrawal record {name} is of the event {bundle.header.get('event')!r}, and the backup of"
            f" {event_id!r}: give the records of the same event. Nothing was written."
        )
    if bundle.header.get("format") != FORMAT:
        raise BackupError(
            f"the withdrawal record {name} was written by another version of Gatehouse. Nothing was written."
        )
    try:
        return [decode(record) for record in bundle.records]
    except ValueError:
        raise BackupError(f"the withdrawal record {name} is signed but malformed. Nothing was written.") from None


def export_record(connection: Connection, event_id: str, out: Path) -> int:
    """Write the record to ``out``; returns how many ids it holds.

    An existing file is replaced only when it is this instance's record of this event (a newer record holds every
    id an older one did), so that a timer can keep one file up to date; anything else there is left alone.
    """
    signer = audit.signing_public_key(connection)
    if out.is_symlink():  # another user's link: never written through, nor replaced
        raise BackupError(f"{out} exists already, as a link: not overwritten. Choose another name.")
    if out.exists():
        try:
            read_record(read_parts([out]), event_id=event_id, signer=signer, name=str(out))
        except (BackupError, BundleFileError):
            raise BackupError(
                f"{out} exists and is not this instance's withdrawal record: not overwritten. Choose another name."
            ) from None
    parts, count = write_record(connection, event_id)
    fresh = out.with_name(f".{out.name}.new")
    fresh.unlink(missing_ok=True)
    try:
        with create_secret_file(fresh) as sink:
            sink.write(parts[0])
        os.replace(fresh, out)  # whole or not at all: a reader never finds half a record
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise
    return count


def _lower(sentence: str) -> str:
    return sentence[:1].lower() + sentence[1:]
