"""Staff exports for an air-gapped laptop: one person's compartments, still sealed, in a bundle encrypted to them;
and opening such a bundle there into a CSV and a printable page, with nothing written anywhere else.

The bundle's first record is a JSON document (format, event definition, username, day, and the person's
grants: compartment private keys sealed to their public key); every other record is a registration
(app/registration_records) with only the parts sealed to keys they hold.

A record that does not open with those keys (damaged, or forged by whoever held the field kit that brought
it) does not stop the others: it keeps its row, marked in every field, and is listed by pseudonym on the page
and by `gatehouse bundle open`. The laptop keeps no log: the central instance's entry for the export counts
the records it carried that were already set aside there.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
from nacl.public import PrivateKey
from nacl.signing import SigningKey

import crypto
from app.audit import log as audit
from app.common import base64_text
from app.common.errors import GatehouseError
from app.common.progress import Steps, quiet
from app.common.secret_files import SecretFileError, create_secret_file, private_folder
from app.events.definition import Event, EventDefinitionError, Field, load_event
from app.instance.folder import Instance
from app.keys.keyring import HeldKeys
from app.registrations import letter_blocks, letters, set_aside
from app.registrations.export import DOES_NOT_OPEN, Row, csv_text, held_fields, not_opened
from app.registrations.letter_blocks import ExportLetters
from app.registrations.record_format import RecordMalformed, RegistrationRecord, decode, encode
from app.registrations.records import StoredRecord, load_all_records, open_record
from app.staff.accounts import find_staff
from app.storage import db
from offline_bundle import read_bundle, write_bundle

KIND = "staff-export"
FORMAT = "gatehouse-staff-export"
VERSION = 3  # its registration records are those of app/registration_records.py; 3 may carry letters
READS = (2, 3)  # version 2 is version 3 without letters
OUTPUT_FILES = ("registrations.csv", "registrations.html")


class StaffExportError(GatehouseError):
    """A staff export that cannot be made or opened; the message is fit to show and holds no value."""


@dataclass(frozen=True)
class OpenedExport:
    event: Event
    username: str
    exported_day: str
    compartments: list[str]
    fields: list[Field]
    rows: list[Row]
    signer: bytes
    set_aside: list[str]  # pseudonyms of the records that did not open with these keys, in order
    letters: ExportLetters | None  # what making letters on this laptop needs, when the export was made for it


def export_for_staff(
    connection: db.Connection,
    instance: Instance,
    username: str,
    deliver: Callable[[list[bytes]], None],
    part_size: int | None = None,
    steps: Steps = quiet,
    letter_numbers: int = 0,
) -> tuple[int, list[str]]:
    """Bundle what ``username`` may read, log it, and hand it to ``deliver`` (inside the logging transaction).

    With ``letter_numbers``, the export also carries what making visa letters offline needs: a block of that
    many letter numbers, reserved and logged, and the letter secret sealed to ``username``; refused
    (MayNotMakeLetters) unless they hold every compartment the letter reads.
    Returns the number of registrations and the compartments held.
    """
    event = instance.event
    member = find_staff(connection, username)
    if member is None or member.disabled:
        raise StaffExportError(f"{username} is not an active staff account")
    grants = connection.execute(
        "SELECT compartment, generation, sealed_private_key FROM grants WHERE staff_id = ? AND event_id = ?"
        " ORDER BY compartment, generation",
        (member.id, event.id),
    ).fetchall()
    held = {(compartment, generation) for compartment, generation, _sealed in grants}
    compartments = sorted({compartment for compartment, _generation in held})
    carried_letters = None
    if letter_numbers:
        missing = letters.missing_compartments(event, held)
        if missing:
            raise letters.MayNotMakeLetters(missing)
        carried_letters = letter_blocks.for_export(
            connection, event, member.username, member.public_key, letter_numbers
        )
    day = audit.current_day(connection)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "username": member.username,
        "day": day,
        "event_definition": connection.execute("SELECT definition FROM events WHERE id = ?", (event.id,)).fetchone()[0],
        "grants": [[c, g, base64_text.encode(sealed)] for c, g, sealed in grants],
        "letters": carried_letters.as_json() if carried_letters else None,
    }
    parts_of = {record.registration_id: record.parts for record in load_all_records(connection, event.id)}
    rows = connection.execute(
        "SELECT id, pseudonym, status, submitted_day FROM registrations WHERE event_id = ? ORDER BY id", (event.id,)
    ).fetchall()
    records, progress = [json.dumps(document, sort_keys=True).encode("utf-8")], steps("Encoding")
    for done, (registration_id, pseudonym, status, submitted_day) in enumerate(rows, 1):
        mine = tuple((g, part) for g, part in parts_of.get(registration_id, ()) if (part.compartment, g) in held)
        # A registration with nothing this person holds (a visa holder, before the person is approved) has
        # nothing to carry: a record with no field is not a record.
        if mine:
            records.append(
                encode(RegistrationRecord(registration_id, pseudonym, status, submitted_day, b"", mine), event)
            )
        progress(done, len(rows))
    exported = len(records) - 1
    signing_key = connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'signing'").fetchone()[0]
    parts = write_bundle(
        KIND,
        {"event": event.id, "format": VERSION},
        records,
        signing_key=SigningKey(signing_key),
        recipient=member.public_key,
        part_size=part_size,
        progress=steps("Sealing"),
    )
    already = set_aside.set_aside_ids(connection, (registration_id for registration_id, *_rest in rows))
    with db.transaction(connection):
        detail: dict[str, object] = {"compartments": compartments, "registrations": exported}
        if already:
            detail["set aside"] = len(already)
        if carried_letters:
            detail["letter numbers"] = list(carried_letters.block)
        audit.record(connection, "cli", "staff export", member.username, detail)
        deliver(parts)
    return exported, compartments


def open_staff_export(
    parts: Sequence[bytes], staff_key: PrivateKey, central_key: bytes | None, steps: Steps = quiet
) -> OpenedExport:
    """Open and decrypt everything in memory; a BundleError or StaffExportError if anything is wrong.

    ``central_key`` is the central instance's signing key; None accepts any signer (the caller warns).
    """
    trusted = {central_key: "central"} if central_key is not None else (lambda _key: "unchecked")
    bundle = read_bundle(parts, kind=KIND, trusted_signers=trusted, recipient_key=staff_key, progress=steps("Checking"))
    if not bundle.records:
        raise StaffExportError("This export is malformed: it holds nothing.")
    event, username, day, keys, carried_letters = _read_document(bundle.records[0], staff_key)
    compartments = sorted({compartment for compartment, _generation in keys})
    fields = held_fields(event, compartments)
    rows: list[Row] = []
    unopened: list[str] = []
    progress = steps("Decrypting")
    for done, data in enumerate(bundle.records[1:], 1):
        try:
            record = decode(data, event)
        except RecordMalformed:
            raise StaffExportError("This export is authentic but malformed: ask for another.") from None
        try:
            opened = open_record(event.id, StoredRecord(record.registration_id, record.parts), keys)
        except crypto.RecordTampered:
            unopened.append(record.pseudonym)
            rows.append((record.pseudonym, record.status, record.submitted_day, not_opened(fields)))
        else:
            values = {key: value for part in opened.values() for key, value in part.items()}
            rows.append((record.pseudonym, record.status, record.submitted_day, values))
        progress(done, len(bundle.records) - 1)
    signer = bundle.signer.verify_key
    return OpenedExport(event, username, day, compartments, fields, rows, signer, sorted(unopened), carried_letters)


def write_outputs(folder: Path, opened: OpenedExport) -> list[Path]:
    """The CSV and the printable page, mode 0600, in ``folder`` (made 0700 if needed); nothing else is written."""
    texts = {
        "registrations.csv": csv_text(opened.fields, opened.rows),
        "registrations.html": _page(opened),
    }
    targets = [folder / name for name in OUTPUT_FILES]
    for target in targets:
        if target.exists() or target.is_symlink():
            raise StaffExportError(f"{target} exists already: not overwritten.")
    private_folder(folder)
    written = []
    try:
        for target in targets:
            with create_secret_file(target) as sink:
                written.append(target)
                sink.write(texts[target.name].encode("utf-8"))
    except SecretFileError as error:
        for target in written:
            target.unlink(missing_ok=True)
        raise StaffExportError(str(error)) from None
    return targets


def _read_document(record: bytes, staff_key: PrivateKey) -> tuple[Event, str, str, HeldKeys, ExportLetters | None]:
    try:
        document = json.loads(record)
        if document["format"] != FORMAT or document["version"] not in READS:
            raise StaffExportError("This export was written by another version of Gatehouse.")
        event = load_event(document["event_definition"])
        keys = {
            (compartment, generation): PrivateKey(crypto.open_sealed(staff_key, base64_text.decode(sealed)))
            for compartment, generation, sealed in document["grants"]
        }
        username, day = str(document["username"]), str(document["day"])
        carried = document.get("letters")
        carried_letters = ExportLetters.from_json(carried) if carried is not None else None
    except StaffExportError:
        raise
    except crypto.RecordTampered:
        raise StaffExportError("A compartment key in this export does not open with your key.") from None
    except (ValueError, KeyError, TypeError, binascii.Error, EventDefinitionError):
        raise StaffExportError("This export is malformed: its description is missing or damaged.") from None
    return event, username, day, keys, carried_letters


def _page(opened: OpenedExport) -> str:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("app.web", "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    return environment.get_template("staff/offline_export.html").render(
        event=opened.event,
        username=opened.username,
        exported_day=opened.exported_day,
        compartments=opened.compartments,
        fields=opened.fields,
        rows=sorted(opened.rows, key=lambda row: row[0]),
        set_aside=opened.set_aside,
        does_not_open=DOES_NOT_OPEN,
    )
