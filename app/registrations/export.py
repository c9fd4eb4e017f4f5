"""Staff exports: the fields of the compartments one holds, as CSV that no spreadsheet will execute.

A record that does not open with the keys held is not left out silently, nor does it stop the export: it
keeps its row, by pseudonym, with DOES_NOT_OPEN in every field (never an empty cell, which would read as an
answer left blank), and the caller is told which ones (app.registrations.set_aside).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import crypto
from app.events.definition import Event, Field
from app.keys.keyring import HeldKeys
from app.registrations.records import load_all_records, open_record
from app.storage import db

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DOES_NOT_OPEN = "(does not open with your keys: set aside)"

Row = tuple[str, str, str, Mapping[str, str]]  # pseudonym, status, day submitted, field key -> value


class SetAside(NamedTuple):
    registration_id: str
    pseudonym: str


@dataclass(frozen=True)
class CsvExport:
    text: str
    rows: int
    set_aside: tuple[SetAside, ...]  # in pseudonym order: the records that did not open with the keys held


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def held_fields(event: Event, compartments: Iterable[str]) -> list[Field]:
    held = set(compartments)
    return [field for field in event.fields if field.compartment in held]


def not_opened(fields: Iterable[Field]) -> dict[str, str]:
    """The values of a row whose record did not open: the marker in every field, so no cell reads as an answer."""
    return {field.key: DOES_NOT_OPEN for field in fields}


def csv_text(fields: Sequence[Field], rows: Iterable[Row]) -> str:
    """A header, then one line per registration in pseudonym order; every cell neutralised, whoever wrote it."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow([neutralise(cell) for cell in ("pseudonym", "status", "submitted_day", *(f.key for f in fields))])
    lines = [
        [neutralise(cell) for cell in (pseudonym, status, day, *(values.get(field.key, "") for field in fields))]
        for pseudonym, status, day, values in rows
    ]
    writer.writerows(sorted(lines))
    return output.getvalue()


def export_csv(connection: db.Connection, event: Event, keys: HeldKeys) -> CsvExport:
    """CSV of every registration's held fields, by pseudonym; a record that does not open keeps a marked row."""
    fields = held_fields(event, (compartment for compartment, _generation in keys))
    registrations = {
        registration_id: (pseudonym, status, day)
        for registration_id, pseudonym, status, day in connection.execute(
            "SELECT id, pseudonym, status, submitted_day FROM registrations WHERE event_id = ?", (event.id,)
        )
    }
    rows: list[Row] = []
    set_aside = []
    for record in load_all_records(connection, event.id):
        pseudonym, status, day = registrations[record.registration_id]
        try:
            opened = open_record(event.id, record, keys)
        except crypto.RecordTampered:
            set_aside.append(SetAside(record.registration_id, pseudonym))
            rows.append((pseudonym, status, day, not_opened(fields)))
            continue
        rows.append((pseudonym, status, day, {key: value for part in opened.values() for key, value in part.items()}))
    return CsvExport(csv_text(fields, rows), len(rows), tuple(sorted(set_aside, key=lambda aside: aside.pseudonym)))
