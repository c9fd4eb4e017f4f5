"""Counts of the answers to choice fields, by status and by source, that name nobody: what logistics use instead
of an export, which would put every person's answers on a laptop.

Computing them decrypts the choice fields of the compartments the reader holds, and nothing else (no free text,
no compartment without a choice field), so it is logged first: one 'aggregate' entry with those compartments and
the reason. A record that does not open is set aside and named in the log, as an export does, and not counted.
What leaves this module holds no number the reader may not see: a count below the event's smallest_count_shown,
and every count withheld so that one cannot be worked out (app.registrations.suppression), is None by then.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import crypto
from app.audit import log as audit
from app.common.errors import GatehouseError
from app.events.definition import Event, Field
from app.keys import keyring
from app.keys.keyring import HeldKeys
from app.registrations import set_aside
from app.registrations.listing import ONLINE, STATUSES
from app.registrations.records import StoredRecord, load_all_records, open_record
from app.registrations.set_aside import MAX_REASON, ReasonRequired
from app.registrations.suppression import SMALL, WITHHELD, Cell, Count, Total, withhold
from app.storage import db
from app.storage.connection import Connection

# Rows besides a field's options. Option values come from the event file and are never written in parentheses.
NO_ANSWER = "(no answer)"  # left empty, asked only after approval, or already destroyed by a retention rule
ANOTHER_VALUE = "(another value)"  # not one of the options: only a record a field kit forged can hold one


class NothingToCount(GatehouseError):
    def __init__(self) -> None:
        super().__init__("you hold no compartment with a choice field: there is nothing to count")


@dataclass(frozen=True)
class Shown:
    """One number of a table as the reader may see it."""

    count: int | None  # None: not shown
    why: str = ""  # when not shown: suppression.SMALL (below the threshold) or suppression.WITHHELD


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]  # statuses; or ONLINE and the field kits' names
    rows: tuple[str, ...]  # the field's option values, then NO_ANSWER or ANOTHER_VALUE where there are such
    cells: tuple[tuple[Shown, ...], ...]  # by row, then column
    row_totals: tuple[Shown, ...]  # the same in both tables of a field
    column_totals: tuple[Shown, ...]
    total: Shown


@dataclass(frozen=True)
class FieldCounts:
    field: Field
    by_status: Table
    by_source: Table | None  # only when some registration came from a field kit


@dataclass(frozen=True)
class Counts:
    smallest_count_shown: int
    compartments: tuple[str, ...]  # the ones whose choice fields were opened and counted
    fields: tuple[FieldCounts, ...]
    set_aside: int  # registrations whose record did not open with the keys held: not counted

    def withholds_any(self) -> bool:
        """Whether some count at or above the threshold is withheld to protect a smaller one."""
        tables = [table for field in self.fields for table in (field.by_status, field.by_source) if table]
        return any(
            shown.why == WITHHELD
            for table in tables
            for shown in (*table.row_totals, *(cell for row in table.cells for cell in row))
        )


def countable_compartments(event: Event, compartments: Iterable[str]) -> list[str]:
    """Of these compartments, the ones that hold a choice field of the event, in order."""
    held = set(compartments)
    return sorted({field.compartment for field in event.fields if field.type == "choice" and field.compartment in held})


def count_choices(connection: Connection, event: Event, *, keys: HeldKeys, actor: str, reason: str) -> Counts:
    """Each choice field of the compartments held: its options by status, and by source where field kits are used.

    Refused before anything is logged or opened: NothingToCount, and ReasonRequired for a reason that is not 4 to
    MAX_REASON characters. Otherwise logged first ('aggregate'), then computed.
    """
    compartments = countable_compartments(event, (compartment for compartment, _generation in keys))
    if not compartments:
        raise NothingToCount()
    reason = reason.strip()
    if not 4 <= len(reason) <= MAX_REASON:
        raise ReasonRequired()
    audit.log(connection, actor, "aggregate", event.id, {"compartments": compartments}, reason)
    fields = [field for field in event.fields if field.type == "choice" and field.compartment in compartments]
    usable = {
        held: key for held, key in keyring.matching(connection, event.id, keys).items() if held[0] in compartments
    }
    answers, not_opening = _answers(connection, event, fields, usable)
    if not_opening:
        with db.transaction(connection):
            set_aside.mark(connection, (registration_id for registration_id, _pseudonym in not_opening))
            detail = {"set aside": len(not_opening), "pseudonyms": sorted(pseudonym for _id, pseudonym in not_opening)}
            audit.record(connection, actor, "aggregate set aside", event.id, detail, reason)
    threshold = event.smallest_count_shown
    return Counts(
        threshold, tuple(compartments), tuple(_field_counts(field, answers, threshold) for field in fields),
        len(not_opening),
    )  # fmt: skip


Answer = tuple[str, str, dict[str, str]]  # status, source (ONLINE or a kit's name), choice field key -> value


def _answers(
    connection: Connection, event: Event, fields: Sequence[Field], keys: HeldKeys
) -> tuple[list[Answer], list[tuple[str, str]]]:
    """Every registration's status, source and choice values; and (id, pseudonym) of those that did not open."""
    registrations = {
        registration_id: (pseudonym, status, kit or ONLINE)
        for registration_id, pseudonym, status, kit in connection.execute(
            "SELECT id, pseudonym, status, source_kit FROM registrations WHERE event_id = ?", (event.id,)
        )
    }
    values: dict[str, dict[str, str]] = {}
    not_opening = []
    for record in load_all_records(connection, event.id):
        if record.registration_id not in registrations:
            continue  # registered since the list above was read: counted next time
        try:
            opened = open_record(event.id, _choices_only(record, fields), keys)
        except crypto.RecordTampered:
            not_opening.append((record.registration_id, registrations[record.registration_id][0]))
            continue
        values[record.registration_id] = {key: value for part in opened.values() for key, value in part.items()}
    skipped = {registration_id for registration_id, _pseudonym in not_opening}
    # A registration with no record left (every value destroyed by retention) is counted as answering nothing.
    return [
        (status, source, values.get(registration_id, {}))
        for registration_id, (_pseudonym, status, source) in registrations.items()
        if registration_id not in skipped
    ], not_opening


def _choices_only(record: StoredRecord, fields: Sequence[Field]) -> StoredRecord:
    """The record with the ciphertexts of these fields alone, each in its own compartment: nothing else is opened,
    and a compartment without one of them is not even unsealed."""
    wanted = {(field.compartment, field.key) for field in fields}
    parts = []
    for generation, part in record.parts:
        kept = {key: text for key, text in part.ciphertexts.items() if (part.compartment, key) in wanted}
        if kept:
            parts.append((generation, crypto.SealedPart(part.compartment, part.sealed_data_key, kept)))
    return StoredRecord(record.registration_id, tuple(parts))


def _field_counts(field: Field, answers: list[Answer], threshold: int) -> FieldCounts:
    options = [value for value, _label in field.choices]
    given = [values.get(field.key, "") for _status, _source, values in answers]
    rows = list(options)
    if not field.required or field.after_approval or "" in given:
        rows.append(NO_ANSWER)
    if any(value and value not in options for value in given):
        rows.append(ANOTHER_VALUE)
    statuses = list(STATUSES)
    kits = sorted({source for _status, source, _values in answers if source != ONLINE})
    sources = [ONLINE, *kits]

    def row_of(value: str) -> int:
        return rows.index(value if value in options else (NO_ANSWER if not value else ANOTHER_VALUE))

    by_status = [[0] * len(statuses) for _ in rows]
    by_source = [[0] * len(sources) for _ in rows]
    for (status, source, _values), value in zip(answers, given, strict=True):
        by_status[row_of(value)][statuses.index(status)] += 1
        by_source[row_of(value)][sources.index(source)] += 1
    hidden = withhold([by_status, by_source] if kits else [by_status], threshold)
    return FieldCounts(
        field,
        _table(0, statuses, rows, by_status, hidden, threshold),
        _table(1, sources, rows, by_source, hidden, threshold) if kits else None,
    )


def _table(
    number: int, columns: list[str], rows: list[str], matrix: list[list[int]], hidden: dict[Count, str], threshold: int
) -> Table:
    def shown(count: Count, value: int) -> Shown:
        why = hidden.get(count, "")
        return Shown(None if why else value, why)

    def margin(value: int) -> Shown:
        """Column totals and the grand total: known from the list anyway, and still never shown below the threshold."""
        return Shown(None, SMALL) if value < threshold else Shown(value)

    return Table(
        columns=tuple(columns),
        rows=tuple(rows),
        cells=tuple(
            tuple(shown(Cell(number, row, column), matrix[row][column]) for column in range(len(columns)))
            for row in range(len(rows))
        ),
        row_totals=tuple(shown(Total(row), sum(matrix[row])) for row in range(len(rows))),
        column_totals=tuple(margin(sum(line[column] for line in matrix)) for column in range(len(columns))),
        total=margin(sum(map(sum, matrix))),
    )
