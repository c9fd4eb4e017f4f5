"""Staff exports: the fields of the compartments one holds, as CSV that no spreadsheet will execute.

A record that does not open with the keys held is not left out silently, nor does it stop the export: it
keeps its row, by pseudonym, with DOES_NOT_OPEN in every field (never an empty cell, which would read as an
answer left blank), and the caller is told which ones (app.registrations.set_aside).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import crypto
from app.events.definition import Event, Field
from app.keys.keyring import HeldKeys
from app.registrations.records import load_records, open_record
from app.storage import db

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DOES_NOT_OPEN = "(does not open with your keys: set aside)"
BATCH = 200  # records read and opened at a time

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
    return "".join(csv_lines(fields, sorted(rows, key=lambda row: row[0])))


def csv_lines(fields: Sequence[Field], rows: Iterable[Row]) -> Iterator[str]:
    """The header, then one line per row as it comes; every cell neutralised, whoever wrote it."""
    output = io.StringIO()
    writer = csv.writer(output)

    def line(cells: Iterable[str]) -> str:
        output.seek(0)
        output.truncate()
        writer.writerow([neutralise(cell) for cell in cells])
        return output.getvalue()

    yield line(("pseudonym", "status", "submitted_day", *(f.key for f in fields)))
    for pseudonym, status, day, values in rows:
        yield line((pseudonym, status, day, *(values.get(field.key, "") for field in fields)))


def stream_csv(connection: db.Connection, event: Event, keys: HeldKeys, set_aside: list[SetAside]) -> Iterator[str]:
    """CSV of every registration's held fields, by pseudonym, a batch of records at a time: whatever the
    event's size, no more than a batch is in memory. A record that does not open keeps a marked row and is
    added to ``set_aside`` as it is met."""
    fields = held_fields(event, (compartment for compartment, _generation in keys))
    return csv_lines(fields, _rows(connection, event, keys, fields, set_aside))


def _rows(
    connection: db.Connection, event: Event, keys: HeldKeys, fields: Sequence[Field], set_aside: list[SetAside]
) -> Iterator[Row]:
    registrations = connection.execute(
        "SELECT id, pseudonym, status, submitted_day FROM registrations WHERE event_id = ? ORDER BY pseudonym",
        (event.id,),
    ).fetchall()  # about 100 bytes a registration: the index of the export, never its values
    for start in range(0, len(registrations), BATCH):
        batch = registrations[start : start + BATCH]
        records = {record.registration_id: record for record in load_records(connection, [r[0] for r in batch])}
        for registration_id, pseudonym, status, day in batch:
            record = records.get(registration_id)
            if record is None:  # nothing sealed is left (destroyed by its retention): no row, as no answer
                continue
            try:
                opened = open_record(event.id, record, keys)
            except crypto.RecordTampered:
                set_aside.append(SetAside(registration_id, pseudonym))
                yield pseudonym, status, day, not_opened(fields)
                continue
            yield pseudonym, status, day, {key: value for part in opened.values() for key, value in part.items()}


def export_csv(connection: db.Connection, event: Event, keys: HeldKeys) -> CsvExport:
    """The whole CSV as one text (for tests and benchmarks; the web streams it with stream_csv)."""
    set_aside: list[SetAside] = []
    lines = list(stream_csv(connection, event, keys, set_aside))
    return CsvExport("".join(lines), len(lines) - 1, tuple(sorted(set_aside, key=lambda aside: aside.pseudonym)))
