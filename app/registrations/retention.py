"""The purge: destroy every value whose retention rule has run out, then what guarded it, by the system itself.

A value is destroyed on the day after the last day its rule keeps it. Three rules can end a
value, and the earliest wins: the field's own rule (days after the event's last day, or after
approval), the event's rule for rejected registrations, and the event's maximum, which nothing
outlives. The database is then scrubbed (db.scrub), so the ciphertexts leave the file and its WAL; when nothing
was deleted since the last scrub, there is nothing to scrub and the file is left as it is.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from app.audit import log as audit
from app.events.definition import Event, Field
from app.registrations import destroyed, letter_register
from app.storage import db
from app.storage.connection import Connection

ACTOR = "system"
# A registration of the event whose every sealed data key has gone: nothing of it is left to keep.
_NO_KEY_LEFT = "event_id = ? AND NOT EXISTS (SELECT 1 FROM data_keys AS d WHERE d.registration_id = registrations.id)"


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


def purge(
    connection: Connection,
    event: Event,
    on_day: datetime.date,
    dry_run: bool = False,
    progress: Callable[[str], None] = _no_progress,
) -> PurgeReport:
    """Destroy what is due on ``on_day`` in one transaction, log it, and checkpoint the WAL.

    A dry run does the same work and rolls it back, so its counts are exactly what a purge would
    destroy. Killed half-way, the transaction leaves the database as it was, and the next purge
    does the whole job. ``progress`` is told each step as it starts: "field KEY", "data keys",
    "messages", "records", "log", "commit", then "scrub" once the transaction is committed, if anything was deleted or
    changed since the last scrub (db.scrub_pending).
    """
    report = PurgeReport(on_day, dry_run)
    connection.execute("BEGIN IMMEDIATE")
    try:
        for field_rule in event.fields:
            progress(f"field {field_rule.key}")
            for rule in rules_due(event, field_rule, on_day):
                where = (
                    "field_key = ? AND registration_id IN"  # noqa: S608 (rule SQL is ours)
                    f" (SELECT r.id FROM registrations AS r WHERE r.event_id = ? AND ({rule.condition}))"
                )
                parameters = (field_rule.key, event.id, *rule.parameters)
                # Kept by id, so that a restore from an older backup does not bring the value back.
                destroyed.record_values(connection, where, parameters)
                count = connection.execute(f"DELETE FROM field_values WHERE {where}", parameters).rowcount  # noqa: S608 (rule SQL is ours)
                if count:
                    report.values.setdefault(field_rule.key, {})[rule.name] = count
        # A sealed data key that guards no value any more, then a registration with no key left.
        progress("data keys")
        report.data_keys = connection.execute(
            "DELETE FROM data_keys WHERE NOT EXISTS (SELECT 1 FROM field_values AS f"
            " WHERE f.registration_id = data_keys.registration_id AND f.data_key_id = data_keys.id)"
        ).rowcount
        progress("messages")
        report.messages = _purge_messages(connection, event, on_day)
        progress("records")
        ended = connection.execute(f"SELECT id FROM registrations WHERE {_NO_KEY_LEFT}", (event.id,)).fetchall()  # noqa: S608
        for (registration_id,) in ended:
            destroyed.record_registration(connection, registration_id)
            report.messages += connection.execute(
                "DELETE FROM messages WHERE registration_id = ?", (registration_id,)
            ).rowcount
        report.records = connection.execute(f"DELETE FROM registrations WHERE {_NO_KEY_LEFT}", (event.id,)).rowcount  # noqa: S608
        report.letters_forgotten = letter_register.forget_expired(connection, event, on_day)
        report.checkin_forgotten = _forget_checkin(connection, event, on_day)
        if not dry_run:
            progress("log")
            _log(connection, report)
            progress("commit")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("ROLLBACK" if dry_run else "COMMIT")
    # Also clears stale copies left by deletions since the last scrub (a revoked grant, a replaced answer); with
    # nothing destroyed since, as at most starts and nights, the whole file is not rewritten for nothing.
    if not dry_run and db.scrub_pending(connection):
        progress("scrub")
        db.scrub(connection)
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


def _purge_messages(connection: Connection, event: Event, on_day: datetime.date) -> int:
    """Every message and answer of the event, once its rule for them (or its maximum) has run out."""
    due = event.messages_destroyed_on()
    if due is None or on_day < min(due, event.latest_destruction()):
        return 0
    return connection.execute(
        "DELETE FROM messages WHERE registration_id IN (SELECT id FROM registrations WHERE event_id = ?)", (event.id,)
    ).rowcount


def _log(connection: Connection, report: PurgeReport) -> None:
    """One entry per field with what was destroyed and under which rule; one for the run, once a day at least."""
    for field_key, by_rule in sorted(report.values.items()):
        audit.record(connection, ACTOR, "purge", field_key, {"destroyed": sum(by_rule.values()), "rules": by_rule})
    if report.letters_forgotten:
        audit.record(connection, ACTOR, "purge", "letter register", {"destroyed": report.letters_forgotten})
    if report.checkin_forgotten:
        audit.record(connection, ACTOR, "purge", "check-in", {"destroyed": report.checkin_forgotten})
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
    counts = dict(connection.execute("SELECT field_key, count(*) FROM field_values GROUP BY field_key").fetchall())
    rows = []
    for field_rule in event.fields:
        values = counts.get(field_rule.key, 0)
        rows.append(
            FieldSchedule(
                field_rule,
                rule_name(field_rule),
                values,
                _next_destruction(connection, event, field_rule) if values else None,
            )
        )
    return rows


def _next_destruction(connection: Connection, event: Event, field_rule: Field) -> datetime.date:
    candidates = [event.latest_destruction()]
    if field_rule.retention.after == "event":
        candidates.append(event.destroyed_on(field_rule))
    steps = [("approved", field_rule.retention.days)] if field_rule.retention.after == "approval" else []
    if event.retain_days_after_rejection is not None:
        steps.append(("rejected", event.retain_days_after_rejection))
    for status, days in steps:
        earliest = connection.execute(
            "SELECT min(r.decided_day) FROM registrations AS r JOIN field_values AS f ON f.registration_id = r.id"
            " WHERE f.field_key = ? AND r.status = ?",
            (field_rule.key, status),
        ).fetchone()[0]
        if earliest:
            candidates.append(datetime.date.fromisoformat(earliest) + datetime.timedelta(days=days + 1))
    return min(candidates)


def records_by_status(connection: Connection, event_id: str) -> dict[str, int]:
    return dict(
        connection.execute(
            "SELECT status, count(*) FROM registrations WHERE event_id = ? GROUP BY status ORDER BY status", (event_id,)
        ).fetchall()
    )
