"""The purge: destroy every value whose retention rule has run out, then what guarded it, by the system itself.

A value is destroyed on the day after the last day its rule keeps it. Three rules can end a
value, and the earliest wins: the field's own rule (days after the event's last day, or after
approval), the event's rule for rejected registrations, and the event's maximum, which nothing
outlives. Each value is zeroed where it stands, in its slot (app.storage.slots), as the row naming it is deleted,
in short transactions; the WAL is then emptied (db.checkpoint), so the ciphertexts leave the file and its WAL with
no rewrite of the whole file. A rewrite (db.scrub) runs only for deletions elsewhere that mark one (a revoked grant,
the letter register, check-in data): when nothing marked it, the file is left as it is.
"""

from __future__ import annotations

import contextlib
import datetime
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from app.audit import log as audit
from app.events.definition import Event, Field
from app.registrations import destroyed, letter_register, records
from app.storage import db
from app.storage.connection import Connection

ACTOR = "system"


@dataclass(frozen=True)
class Rule:
    """One way a field's values can run out, as SQL over `registrations r`, and as the log names it."""

    name: str
    condition: str
    parameters: tuple[object, ...] = ()


def rule_name(field: Field) -> str:
    """A field's own rule as the log and the auditor's page name it (in English, like the whole log)."""
    return f"{field.retention.days} days after {'the event' if field.retention.after == 'event' else 'approval'}"


def rules_due(event: Event, field: Field, on_day: datetime.date) -> Iterator[Rule]:
    """The rules under which some of this field's values are due for destruction on ``on_day``."""
    if field.retention.after == "event":
        if on_day >= event.destroyed_on(field):
            yield Rule(rule_name(field), "1")
    else:
        last_kept_approval = (on_day - datetime.timedelta(days=field.retention.days + 1)).isoformat()
        yield Rule(rule_name(field), "r.status = 'approved' AND r.decided_day <= ?", (last_kept_approval,))
    if event.retain_days_after_rejection is not None:
        last_kept_rejection = (on_day - datetime.timedelta(days=event.retain_days_after_rejection + 1)).isoformat()
        yield Rule(
            f"{event.retain_days_after_rejection} days after rejection",
            "r.status = 'rejected' AND r.decided_day <= ?",
            (last_kept_rejection,),
        )
    if on_day >= event.latest_destruction():
        yield Rule(f"the event's maximum of {event.max_retain_days_after_event} days after the event", "1")


@dataclass
class PurgeReport:
    """What a purge destroyed (or, in a dry run, would destroy): counts only, never a value."""

    on_day: datetime.date
    dry_run: bool
    values: dict[str, dict[str, int]] = field(default_factory=dict)  # field key -> rule -> count
    data_keys: int = 0
    records: int = 0
    messages: int = 0  # messages and answers, under the event's rule for them or with their record
    letters_forgotten: int = 0  # entries of the register of visa letters, once its own retention is over
    checkin_forgotten: int = 0  # passes, arrivals and a desk's pass list, once every value of the event is gone

    @property
    def values_destroyed(self) -> int:
        return sum(sum(by_rule.values()) for by_rule in self.values.values())


def _no_progress(_step: str) -> None:
    pass


# Registrations whose due values one transaction destroys: each batch holds the write lock for tens of
# milliseconds at most, so registrations arriving meanwhile wait that long, never the whole purge.
BATCH = 200
MESSAGES_BATCH = 500
# Between two batches the purge lets go of the write lock this long. A registration waiting for the lock polls
# for it through SQLite's busy handler, which sleeps up to 100 ms between tries once it has waited a quarter of a
# second; a purge that took the lock again at once would keep finding it free first, and starve the waiting ones
# for seconds (`python -m benchmarks.scale`, the slowest registration beside a purge).
PAUSE_BETWEEN_BATCHES_SECONDS = 0.1


def purge(
    connection: Connection,
    event: Event,
    on_day: datetime.date,
    dry_run: bool = False,
    progress: Callable[[str], None] = _no_progress,
) -> PurgeReport:
    """Destroy what is due on ``on_day`` in short transactions, each logging what it destroyed.

    What is due is read first, through the indexes, without the write lock. Then each batch of BATCH
    registrations is one transaction (db.destroying): its due values, the data keys that guard nothing any more
    and the records with no key left are zeroed in their slots and deleted, and one log entry per field says how
    many went under which rule. Killed at any moment, the database holds whole batches and the log says exactly
    what went; the next purge does the rest. A dry run does the same work and rolls each batch back, so its
    counts are what a purge would destroy. ``progress`` is told each step as it starts: "due", "batch N",
    "messages", "letters", "log", then "scrub" if a deletion marked one since the last (db.scrub_pending), or else
    "checkpoint" if anything was destroyed.
    """
    return _purge(connection, event, on_day, dry_run, progress, scrub_anything_pending=True)


def purge_at_start(connection: Connection, event: Event, on_day: datetime.date) -> PurgeReport:
    """The purge a server runs as it starts: it scrubs after destroying something itself, but a scrub marked by
    other changes (a revoked grant, a replaced answer) waits for the nightly purge, so that a start with nothing
    due never rewrites the whole file."""
    return _purge(connection, event, on_day, False, _no_progress, scrub_anything_pending=False)


def _purge(
    connection: Connection,
    event: Event,
    on_day: datetime.date,
    dry_run: bool,
    progress: Callable[[str], None],
    scrub_anything_pending: bool,
) -> PurgeReport:
    report = PurgeReport(on_day, dry_run)
    progress("due")
    due = _due(connection, event, on_day)
    ordered = sorted(due)
    for number, start in enumerate(range(0, len(ordered), BATCH), 1):
        if number > 1:
            time.sleep(PAUSE_BETWEEN_BATCHES_SECONDS)
        progress(f"batch {number}")
        batch = ordered[start : start + BATCH]
        with _batch_transaction(connection, dry_run):
            _destroy_batch(connection, event, batch, due, report)
    progress("messages")
    report.messages += _purge_messages(connection, event, on_day, dry_run)
    progress("letters")
    with _batch_transaction(connection, dry_run):
        report.letters_forgotten = letter_register.forget_expired(connection, event, on_day)
        report.checkin_forgotten = _forget_checkin(connection, event, on_day)
        if report.letters_forgotten and not dry_run:
            audit.record(connection, ACTOR, "purge", "letter register", {"destroyed": report.letters_forgotten})
        if report.checkin_forgotten and not dry_run:
            audit.record(connection, ACTOR, "purge", "check-in", {"destroyed": report.checkin_forgotten})
    if dry_run:
        return report
    progress("log")
    with db.transaction(connection):
        _log_run(connection, report)
    destroyed_any = report.values_destroyed or report.data_keys or report.records or report.messages
    forgotten = report.letters_forgotten or report.checkin_forgotten
    if (forgotten or scrub_anything_pending) and db.scrub_pending(connection):
        progress("scrub")
        db.scrub(connection)
    elif destroyed_any:
        # The values were zeroed in their slots: only the WAL's earlier versions of those pages are left to go.
        progress("checkpoint")
        db.checkpoint(connection)
    return report


def _forget_checkin(connection: Connection, event: Event, on_day: datetime.date) -> int:
    """Passes and arrivals (app.checkin) link pseudonyms to the days people came: they go with the last
    of the event's values, on the day its maximum retention ends. On a kit's desk, its pass list goes too."""
    if on_day < event.latest_destruction():
        return 0
    forgotten = connection.execute("DELETE FROM passes WHERE event_id = ?", (event.id,)).rowcount
    for table in ("arrivals", "desk_passes", "desk_list"):  # one event per instance: all of them are this event's
        forgotten += connection.execute(f"DELETE FROM {table}").rowcount  # noqa: S608 (names from this list)
    return forgotten


@contextlib.contextmanager
def _batch_transaction(connection: Connection, dry_run: bool) -> Iterator[Connection]:
    if not dry_run:
        with db.destroying(connection):
            yield connection
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    finally:
        connection.execute("ROLLBACK")


def _due(connection: Connection, event: Event, on_day: datetime.date) -> dict[str, list[tuple[str, Rule]]]:
    """Registration id -> (field key, the first rule that ends it) for each value due; read, never locked.

    Each rule that selects by status is one search of the status index; which values the selected registrations
    hold is one look-up per registration (its values sit together in the primary key), or, once some field is
    due as a whole, one pass over the values: never a look-up per field and registration.
    """
    rules = {field_rule.key: list(rules_due(event, field_rule, on_day)) for field_rule in event.fields}
    selected: dict[tuple[str, tuple[object, ...]], set[str]] = {}
    for rule in (rule for field_rules in rules.values() for rule in field_rules if rule.condition != "1"):
        if (rule.condition, rule.parameters) not in selected:
            rows = connection.execute(
                f"SELECT r.id FROM registrations AS r WHERE r.event_id = ? AND ({rule.condition})",  # noqa: S608 (ours)
                (event.id, *rule.parameters),
            )
            selected[(rule.condition, rule.parameters)] = {registration_id for (registration_id,) in rows}
    held: dict[str, set[str]] = {key: set() for key in rules}
    for registration_id, field_key in _values_of(connection, event, rules, selected):
        held.setdefault(field_key, set()).add(registration_id)
    due: dict[str, list[tuple[str, Rule]]] = {}
    for field_key, field_rules in rules.items():
        left = held[field_key]
        for rule in field_rules:
            ending = left if rule.condition == "1" else left & selected[(rule.condition, rule.parameters)]
            for registration_id in ending:
                due.setdefault(registration_id, []).append((field_key, rule))
            left = left - ending
    return due


def _values_of(
    connection: Connection,
    event: Event,
    rules: dict[str, list[Rule]],
    selected: dict[tuple[str, tuple[object, ...]], set[str]],
) -> Iterator[tuple[str, str]]:
    """(registration id, field key) of every value the rules could end."""
    if any(rule.condition == "1" for field_rules in rules.values() for rule in field_rules):
        yield from connection.execute(
            "SELECT registration_id, field_key FROM field_value_slots"
            " WHERE registration_id IN (SELECT id FROM registrations WHERE event_id = ?)",
            (event.id,),
        )
        return
    candidates = sorted(set().union(*selected.values()))
    for start in range(0, len(candidates), 500):
        chunk = candidates[start : start + 500]
        chosen = ", ".join("?" * len(chunk))  # placeholders only
        yield from connection.execute(
            f"SELECT registration_id, field_key FROM field_value_slots WHERE registration_id IN ({chosen})",  # noqa: S608
            chunk,
        )


def _destroy_batch(
    connection: Connection,
    event: Event,
    batch: list[str],
    due: dict[str, list[tuple[str, Rule]]],
    report: PurgeReport,
) -> None:
    """One transaction's work: the batch's due values (each rule checked again, inside the transaction), then the
    data keys that guard nothing any more and the records with no key left, among these registrations only."""
    groups: dict[tuple[str, Rule], list[str]] = {}
    for registration_id in batch:
        for field_key, rule in due[registration_id]:
            groups.setdefault((field_key, rule), []).append(registration_id)
    destroyed_here: dict[str, dict[str, int]] = {}
    for (field_key, rule), ids in groups.items():
        # The rule is checked again per row through the primary key: a subquery listing every registration the
        # rule selects would be built anew for each batch.
        where = (
            f"field_key = ? AND registration_id IN ({', '.join('?' * len(ids))}) AND EXISTS"  # noqa: S608
            " (SELECT 1 FROM registrations AS r WHERE r.id = registration_id AND r.event_id = ?"
            f" AND ({rule.condition}))"
        )
        parameters = (field_key, *ids, event.id, *rule.parameters)
        # Kept by id, so that a restore from an older backup does not bring the value back.
        destroyed.record_values(connection, where, parameters)
        # Deleting the reference zeroes the value where it stands, in its slot (migration 0015).
        count = connection.execute(f"DELETE FROM field_value_slots WHERE {where}", parameters).rowcount  # noqa: S608
        if count:
            by_rule = destroyed_here.setdefault(field_key, {})
            by_rule[rule.name] = by_rule.get(rule.name, 0) + count
    chosen = f"({', '.join('?' * len(batch))})"
    # A sealed data key that guards no value any more, then a registration with no key left.
    unguarding = (
        f"registration_id IN {chosen} AND NOT EXISTS (SELECT 1 FROM field_value_slots AS f"  # noqa: S608 (placeholders)
        " WHERE f.registration_id = data_key_slots.registration_id AND f.data_key_id = data_key_slots.id)"
    )
    report.data_keys += connection.execute(f"DELETE FROM data_key_slots WHERE {unguarding}", batch).rowcount  # noqa: S608
    ended = [
        registration_id
        for (registration_id,) in connection.execute(
            f"SELECT id FROM registrations WHERE id IN {chosen} AND NOT EXISTS"  # noqa: S608
            " (SELECT 1 FROM data_key_slots AS d WHERE d.registration_id = registrations.id)",
            batch,
        )
    ]
    if ended:
        of_ended = f"registration_id IN ({', '.join('?' * len(ended))})"  # placeholders only
        counted = f"SELECT count(*) FROM message_slots WHERE {of_ended}"  # noqa: S608
        report.messages += connection.execute(counted, ended).fetchone()[0]
        records.destroy_all(connection, ended)
        report.records += len(ended)
    for field_key, by_rule in sorted(destroyed_here.items()):
        for name, count in by_rule.items():
            report.values.setdefault(field_key, {})[name] = report.values.get(field_key, {}).get(name, 0) + count
        if not report.dry_run:
            detail = {"destroyed": sum(by_rule.values()), "rules": by_rule}
            audit.record(connection, ACTOR, "purge", field_key, detail)


def _purge_messages(connection: Connection, event: Event, on_day: datetime.date, dry_run: bool) -> int:
    """Every message and answer of the event, once its rule for them (or its maximum) has run out; in batches."""
    due = event.messages_destroyed_on()
    if due is None or on_day < min(due, event.latest_destruction()):
        return 0
    of_event = "registration_id IN (SELECT id FROM registrations WHERE event_id = ?)"
    if dry_run:
        return connection.execute(f"SELECT count(*) FROM message_slots WHERE {of_event}", (event.id,)).fetchone()[0]  # noqa: S608
    total = 0
    while True:
        if total:
            time.sleep(PAUSE_BETWEEN_BATCHES_SECONDS)
        with db.destroying(connection):
            chosen = (
                f"(registration_id, number) IN (SELECT registration_id, number FROM message_slots WHERE {of_event}"  # noqa: S608
                f" LIMIT {MESSAGES_BATCH})"
            )
            count = connection.execute(f"DELETE FROM message_slots WHERE {chosen}", (event.id,)).rowcount  # noqa: S608
            if count:
                audit.record(connection, ACTOR, "purge", "messages", {"destroyed": count})
        total += count
        if count < MESSAGES_BATCH:
            return total


def _log_run(connection: Connection, report: PurgeReport) -> None:
    """The run's entry, with its totals (each batch logged its values already): once a day at least."""
    last_run = audit.last_entry_with_action(connection, "purge run")
    destroyed_any = report.values_destroyed or report.records or report.messages
    if destroyed_any or last_run is None or last_run.day < audit.current_day(connection):
        detail: dict[str, object] = {
            "purged as of": report.on_day.isoformat(),
            "values destroyed": report.values_destroyed,
            "data keys destroyed": report.data_keys,
            "records destroyed": report.records,
        }
        if report.messages:
            detail["messages destroyed"] = report.messages
        audit.record(connection, ACTOR, "purge run", detail=detail)


def purge_day(connection: Connection) -> datetime.date:
    """The day a purge counts as today: the system's day, never earlier than a day already logged."""
    return datetime.date.fromisoformat(audit.current_day(connection))


@dataclass(frozen=True)
class FieldSchedule:
    """For an auditor: how many values a field holds now, its rule, and the next day some of them go."""

    field: Field
    rule: str
    values: int
    next_destruction: datetime.date | None  # None when the field holds no value


def schedule(connection: Connection, event: Event) -> list[FieldSchedule]:
    counts = dict(connection.execute("SELECT field_key, count(*) FROM field_value_slots GROUP BY field_key").fetchall())
    # The earliest decision per field, for each status a rule counts from: one pass over that status's
    # registrations (through the status index) and their values, not one join per field.
    earliest = {
        status: dict(
            connection.execute(
                "SELECT f.field_key, min(r.decided_day) FROM registrations AS r JOIN field_value_slots AS f"
                " ON f.registration_id = r.id WHERE r.event_id = ? AND r.status = ? GROUP BY f.field_key",
                (event.id, status),
            ).fetchall()
        )
        for status in ("approved", "rejected")
    }
    rows = []
    for field_rule in event.fields:
        values = counts.get(field_rule.key, 0)
        rows.append(
            FieldSchedule(
                field_rule,
                rule_name(field_rule),
                values,
                _next_destruction(event, field_rule, earliest) if values else None,
            )
        )
    return rows


def _next_destruction(event: Event, field_rule: Field, earliest: dict[str, dict[str, str]]) -> datetime.date:
    candidates = [event.latest_destruction()]
    if field_rule.retention.after == "event":
        candidates.append(event.destroyed_on(field_rule))
    steps = [("approved", field_rule.retention.days)] if field_rule.retention.after == "approval" else []
    if event.retain_days_after_rejection is not None:
        steps.append(("rejected", event.retain_days_after_rejection))
    for status, days in steps:
        decided = earliest[status].get(field_rule.key)
        if decided:
            candidates.append(datetime.date.fromisoformat(decided) + datetime.timedelta(days=days + 1))
    return min(candidates)


def records_by_status(connection: Connection, event_id: str) -> dict[str, int]:
    return dict(
        connection.execute(
            "SELECT status, count(*) FROM registrations WHERE event_id = ? GROUP BY status ORDER BY status", (event_id,)
        ).fetchall()
    )
