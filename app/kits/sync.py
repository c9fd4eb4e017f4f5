"""Kit-sync bundles: a field kit's registrations, sealed as they were on the kit, carried to the central instance.

On the kit, `export_for_central` gathers what no bundle carried yet (or everything), signed with the kit's key
and encrypted to the central instance; `mark_exported` records it once the caller has written the files. On
the central instance, `import_from_kit` checks every part and every record before it changes anything, then
imports all of it in one transaction: each registration once, however often it arrives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nacl.public import PrivateKey
from nacl.signing import SigningKey

import crypto
from app.audit import log as audit
from app.common.errors import GatehouseError
from app.common.progress import Steps, quiet
from app.events.definition import Event
from app.instance.folder import Instance
from app.kits.bundle import definition_hash
from app.kits.instance import identity
from app.registrations import destroyed, records
from app.registrations.lifecycle import is_full
from app.registrations.record_format import (
    SEALED_DATA_KEY_BYTES,
    RecordMalformed,
    RegistrationRecord,
    decode,
    decode_withdrawal,
    encode,
    encode_withdrawal,
    is_registration,
)
from app.registrations.records import load_all_records, store_sealed_parts
from app.registrations.register import free_pseudonym
from app.storage import db
from offline_bundle import read_bundle, write_bundle

KIND = "kit-sync"
FORMAT = 3  # the registration records of app/registrations/record_format.py; 3 adds the participant's message key
READ_FORMATS = (2, FORMAT)  # a kit not yet updated writes 2: the same records without message keys
_BUNDLE_ID = slice(10, 26)  # where every part header holds the bundle id (offline_bundle/FORMAT.md)


class SyncError(GatehouseError):
    """An authentic bundle that cannot be imported here; the message is fit to show and holds no value."""


@dataclass(frozen=True)
class KitExport:
    parts: list[bytes]
    bundle_id: bytes
    registration_ids: tuple[str, ...]
    withdrawal_ids: tuple[str, ...]
    record_bytes: int  # what was handed to the bundle writer
    ciphertext_bytes: int  # of which sealed data keys and field ciphertexts


@dataclass
class ImportReport:
    kit: str
    added: int = 0
    already_here: int = 0  # the same registration id or codename is here already
    gone_since: int = 0  # imported before, and withdrawn or purged since: not brought back
    renamed: int = 0  # given another pseudonym: theirs was taken here, or not one this instance draws
    waitlisted: int = 0
    withdrawn: int = 0
    replay: bool = False  # this very bundle was imported before: nothing changed


def export_for_central(
    connection: db.Connection,
    event: Event,
    *,
    everything: bool = False,
    part_size: int | None = None,
    steps: Steps = quiet,
) -> KitExport | None:
    """The kit's registrations and withdrawals not yet carried by a bundle (all of them with ``everything``)."""
    kit = identity(connection)
    pending = "" if everything else " AND exported_in IS NULL"
    rows = {
        row[0]: row[1:]
        for row in connection.execute(
            "SELECT id, pseudonym, status, submitted_day, codename_lookup, message_public_key, message_salt"  # noqa: S608
            " FROM registrations"
            f" WHERE event_id = ?{pending}",
            (event.id,),
        )
    }
    withdrawn = [
        registration_id
        for (registration_id,) in connection.execute(
            f"SELECT registration_id FROM kit_withdrawals WHERE 1{pending}"  # noqa: S608
        )
    ]
    if not rows and not withdrawn:
        return None
    parts_of = {record.registration_id: record.parts for record in load_all_records(connection, event.id)}
    progress, records, ciphertext_bytes = steps("Encoding"), [], 0
    for done, (registration_id, (pseudonym, status, day, lookup, public, salt)) in enumerate(sorted(rows.items()), 1):
        sealed = parts_of.get(registration_id, ())
        # The participant's message key, so that messages reach a registration made here (NULL before messages).
        message_key = public + salt if public is not None and salt is not None else b""
        record = RegistrationRecord(registration_id, pseudonym, status, day, lookup, sealed, message_key)
        records.append(encode(record, event))
        ciphertext_bytes += record.ciphertext_bytes()
        progress(done, len(rows))
    records += [encode_withdrawal(registration_id) for registration_id in withdrawn]
    definition = connection.execute("SELECT definition FROM events WHERE id = ?", (event.id,)).fetchone()[0]
    parts = write_bundle(
        KIND,
        {"event": event.id, "kit": kit.name, "definition": definition_hash(definition), "format": FORMAT},
        records,
        signing_key=SigningKey(kit.signing_key),
        recipient=kit.central_bundle_public_key,
        part_size=part_size,
        progress=steps("Sealing"),
    )
    record_bytes = sum(len(record) for record in records)
    return KitExport(parts, parts[0][_BUNDLE_ID], tuple(sorted(rows)), tuple(withdrawn), record_bytes, ciphertext_bytes)


def mark_exported(connection: db.Connection, export: KitExport) -> None:
    """Once the bundle's files are on the disk: what it carried is not exported again (except by --all)."""
    with db.transaction(connection):
        connection.executemany(
            "UPDATE registrations SET exported_in = ? WHERE id = ?",
            [(export.bundle_id, registration_id) for registration_id in export.registration_ids],
        )
        connection.executemany(
            "UPDATE kit_withdrawals SET exported_in = ? WHERE registration_id = ?",
            [(export.bundle_id, registration_id) for registration_id in export.withdrawal_ids],
        )
        audit.record(
            connection,
            "cli",
            "bundle export",
            identity(connection).name,
            {
                "registrations": len(export.registration_ids),
                "withdrawals": len(export.withdrawal_ids),
                "parts": len(export.parts),
            },
        )


def import_from_kit(
    connection: db.Connection, instance: Instance, parts: Sequence[bytes], steps: Steps = quiet
) -> ImportReport:
    """Import a kit-sync bundle all or nothing: a BundleError or SyncError, and no change, if any check fails."""
    event = instance.event
    kits = {verify_key: name for verify_key, name in connection.execute("SELECT verify_key, name FROM kits")}
    bundle_key = connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'bundle'").fetchone()[0]
    bundle = read_bundle(
        parts, kind=KIND, trusted_signers=kits, recipient_key=PrivateKey(bundle_key), progress=steps("Checking")
    )
    kit = bundle.signer.name
    revoked = connection.execute("SELECT revoked_day FROM kits WHERE name = ?", (kit,)).fetchone()[0]
    if revoked is not None:
        raise SyncError(f"The kit {kit} was revoked on {revoked}: its bundles are not imported.")
    _check_header(connection, event, bundle.header)
    registrations, withdrawals = _decode_all(bundle.records, event, steps("Reading"))
    _check_keys(connection, event.id, registrations)

    report = ImportReport(kit)
    progress = steps("Importing")
    with db.transaction(connection):
        if connection.execute("SELECT 1 FROM imported_bundles WHERE bundle_id = ?", (bundle.bundle_id,)).fetchone():
            report.replay = True
            return report
        # Imports are never approved, so whether the event is full cannot change while this runs.
        status = "waitlisted" if is_full(connection, event.id, event.capacity) else "submitted"
        for done, record in enumerate(registrations, 1):
            _import_one(connection, event, kit, record, status, report)
            progress(done, len(registrations))
        for registration_id in withdrawals:
            _withdraw(connection, kit, registration_id, report)
        connection.execute(
            "INSERT INTO imported_bundles (bundle_id, kit, day) VALUES (?, ?, ?)",
            (bundle.bundle_id, kit, audit.current_day(connection)),
        )
        detail = {key: value for key, value in vars(report).items() if key not in ("kit", "replay")}
        audit.record(connection, "cli", "bundle import", kit, detail)
    if report.withdrawn:
        db.checkpoint(connection)  # zeroed in their slots: no copy of a withdrawn record stays in the file or its WAL
    return report


def _check_header(connection: db.Connection, event: Event, header: dict) -> None:
    if header.get("event") != event.id:
        raise SyncError(f"This bundle is for the event {header.get('event')!r}, not {event.id!r}.")
    if header.get("format") not in READ_FORMATS:
        raise SyncError("This bundle was written by another version of Gatehouse: update the kit or this instance.")
    definition = connection.execute("SELECT definition FROM events WHERE id = ?", (event.id,)).fetchone()[0]
    if header.get("definition") != definition_hash(definition):
        raise SyncError("The kit was made for another version of this event's definition: it cannot be imported.")


def _decode_all(records: list[bytes], event: Event, progress) -> tuple[list[RegistrationRecord], list[str]]:
    registrations, withdrawals = [], []
    try:
        for done, data in enumerate(records, 1):
            if is_registration(data):
                record = decode(data, event)
                if not record.codename_lookup or record.status != "submitted":
                    raise RecordMalformed("a kit's registration has no codename look-up, or a decided status")
                _check_whole(record, event)
                registrations.append(record)
            else:
                withdrawals.append(decode_withdrawal(data))
            progress(done, len(records))
    except RecordMalformed as error:
        raise SyncError(f"The bundle is authentic but malformed: {error}.") from None
    return registrations, withdrawals


def _check_whole(record: RegistrationRecord, event: Event) -> None:
    """What can be checked of a kit's registration without a private key: it is as a kit writes one.

    A kit seals every field asked at registration (empty or not) and no other, each compartment's under one
    data key; every sealed data key is a sealed box of a 32-byte key, every ciphertext a size class's length
    with this format's version byte. Whether it opens only a holder of the compartment finds out: a record
    that passes all of this and does not open is set aside when read (app.registrations.set_aside).
    """
    compartments = [part.compartment for _generation, part in record.parts]
    if len(set(compartments)) != len(compartments):
        raise RecordMalformed("a kit's registration seals a compartment's fields under more than one data key")
    carried = {key for _generation, part in record.parts for key in part.ciphertexts}
    if carried != {field.key for field in event.registration_fields()}:
        raise RecordMalformed("a kit's registration does not carry every field asked at registration, and only those")
    for _generation, part in record.parts:
        if len(part.sealed_data_key) != SEALED_DATA_KEY_BYTES:
            raise RecordMalformed(f"a sealed data key is not {SEALED_DATA_KEY_BYTES} bytes")
        if not all(crypto.ciphertext_is_well_formed(ciphertext) for ciphertext in part.ciphertexts.values()):
            raise RecordMalformed("a field ciphertext has a length no sealing gives, or names no format")


def _check_keys(connection: db.Connection, event_id: str, registrations: list[RegistrationRecord]) -> None:
    known = set(
        connection.execute("SELECT compartment, generation FROM compartment_keys WHERE event_id = ?", (event_id,))
    )
    for record in registrations:
        for generation, part in record.parts:
            if (part.compartment, generation) not in known:
                raise SyncError(
                    f"A registration is sealed to a key this instance does not have ({part.compartment},"
                    f" generation {generation})."
                )


def _import_one(
    connection: db.Connection, event: Event, kit: str, record: RegistrationRecord, status: str, report: ImportReport
) -> None:
    registration_id = record.registration_id
    # kit_registrations may predate a restore from a backup; destroyed_ids also holds what the withdrawal records
    # given to that restore named.
    if destroyed.was_destroyed(connection, registration_id):
        report.gone_since += 1
        return
    if connection.execute("SELECT 1 FROM kit_registrations WHERE registration_id = ?", (registration_id,)).fetchone():
        here = connection.execute("SELECT 1 FROM registrations WHERE id = ?", (registration_id,)).fetchone()
        if here:
            report.already_here += 1
        else:
            report.gone_since += 1
        return
    if connection.execute(
        "SELECT 1 FROM registrations WHERE id = ? OR codename_lookup = ?", (registration_id, record.codename_lookup)
    ).fetchone():
        report.already_here += 1
        return
    pseudonym = record.pseudonym
    # Staff read pseudonyms in pages and CSV files: only one this instance could have drawn itself is kept (words
    # from its lists and a number), never text a kit's holder chose, such as a formula or a bidirectional override.
    if (
        crypto.pseudonym_indices(pseudonym) is None
        or connection.execute(
            "SELECT 1 FROM registrations WHERE event_id = ? AND pseudonym = ?", (event.id, pseudonym)
        ).fetchone()
    ):
        pseudonym = free_pseudonym(connection, event.id)
        report.renamed += 1
    report.waitlisted += status == "waitlisted"
    public_key, salt = (record.message_key[:32], record.message_key[32:]) if record.message_key else (None, None)
    connection.execute(
        "INSERT INTO registrations (id, event_id, pseudonym, status, submitted_day, codename_lookup, source_kit,"
        " message_public_key, message_salt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            registration_id,
            event.id,
            pseudonym,
            status,
            record.submitted_day,
            record.codename_lookup,
            kit,
            public_key,
            salt,
        ),
    )
    for generation, part in record.parts:
        store_sealed_parts(connection, registration_id, crypto.SealedRecord((part,)), {part.compartment: generation})
    connection.execute("INSERT INTO kit_registrations (registration_id, kit) VALUES (?, ?)", (registration_id, kit))
    report.added += 1


def _withdraw(connection: db.Connection, kit: str, registration_id: str, report: ImportReport) -> None:
    """A registration withdrawn on the kit that brought it: destroyed here too, and never brought back."""
    row = connection.execute(
        "SELECT pseudonym, source_kit FROM registrations WHERE id = ?", (registration_id,)
    ).fetchone()
    if row is not None and row[1] != kit:
        return  # a kit withdraws only what it brought
    if row is not None:
        records.destroy(connection, registration_id)
        audit.record(connection, "participant", "withdrawn by participant", row[0], {"on kit": kit})
        report.withdrawn += 1
    connection.execute(
        "INSERT OR IGNORE INTO kit_registrations (registration_id, kit) VALUES (?, ?)", (registration_id, kit)
    )
