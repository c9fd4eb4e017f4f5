"""Staff exports: the fields of the compartments one holds, as CSV that no spreadsheet will execute."""

from __future__ import annotations

import csv
import io

from app import db
from app.event import Event
from app.keyring import HeldKeys
from app.records import load_all_records, open_record

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def export_csv(connection: db.Connection, event: Event, keys: HeldKeys) -> tuple[str, int]:
    """CSV of every registration's held fields, by pseudonym; returns the text and the number of rows."""
    held = {compartment for compartment, _generation in keys}
    fields = [field for field in event.fields if field.compartment in held]
    registrations = {
        registration_id: (pseudonym, status, day)
        for registration_id, pseudonym, status, day in connection.execute(
            "SELECT id, pseudonym, status, submitted_day FROM registrations WHERE event_id = ?", (event.id,)
        )
    }
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(["pseudonym", "status", "submitted_day", *(field.key for field in fields)])
    rows = []
    for record in load_all_records(connection, event.id):
        values = {
            key: value for opened in open_record(event.id, record, keys).values() for key, value in opened.items()
        }
        pseudonym, status, day = registrations[record.registration_id]
        rows.append([pseudonym, status, day, *(neutralise(values.get(field.key, "")) for field in fields)])
    rows.sort()
    writer.writerows(rows)
    return output.getvalue(), len(rows)
