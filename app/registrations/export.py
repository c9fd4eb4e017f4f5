"""Staff exports: the fields of the compartments one holds, as CSV that no spreadsheet will execute."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

from app.events.definition import Event, Field
from app.keys.keyring import HeldKeys
from app.registrations.records import load_all_records, open_record
from app.storage import db

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Row = tuple[str, str, str, Mapping[str, str]]  # pseudonym, status, day submitted, field key -> value


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def held_fields(event: Event, compartments: Iterable[str]) -> list[Field]:
    held = set(compartments)
    return [field for field in event.fields if field.compartment in held]


def csv_text(fields: Sequence[Field], rows: Iterable[Row]) -> str:
    """A header, then one line per registration in pseudonym order, every value neutralised."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(["pseudonym", "status", "submitted_day", *(field.key for field in fields)])
    lines = [
        [pseudonym, status, day, *(neutralise(values.get(field.key, "")) for field in fields)]
        for pseudonym, status, day, values in rows
    ]
    writer.writerows(sorted(lines))
    return output.getvalue()


def export_csv(connection: db.Connection, event: Event, keys: HeldKeys) -> tuple[str, int]:
    """CSV of every registration's held fields, by pseudonym; returns the text and the number of rows."""
    fields = held_fields(event, (compartment for compartment, _generation in keys))
    registrations = {
        registration_id: (pseudonym, status, day)
        for registration_id, pseudonym, status, day in connection.execute(
            "SELECT id, pseudonym, status, submitted_day FROM registrations WHERE event_id = ?", (event.id,)
        )
    }
    rows = []
    for record in load_all_records(connection, event.id):
        values = {
            key: value for opened in open_record(event.id, record, keys).values() for key, value in opened.items()
        }
        rows.append((*registrations[record.registration_id], values))
    return csv_text(fields, rows), len(rows)
