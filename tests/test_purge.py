"""The purge destroys each value on the day after its rule stops keeping it: not a day earlier, not a day later."""

from __future__ import annotations

import datetime
import json

import pytest

from app.audit import log as audit
from app.registrations import retention
from app.registrations.lifecycle import decide
from app.registrations.register import add_follow_up
from tests.helpers import SetClock, dump_database
from tests.retention_helpers import day, new_instance, register_one, values_by_field

AFTER_EVENT_ZERO_DAYS = {"badge_name", "track", "diet", "access_needs", "photo_consent", "safety_notes"}
FOLLOW_UP = {
    "passport_name": "Ana Example",
    "passport_number": "X1234567",
    "passport_expiry": "2031-02-03",
    "arrival_date": "2027-05-03",
    "travel_from": "Examplegrad",
}


@pytest.fixture
def demo(tmp_path):
    instance, _words = new_instance(tmp_path / "instance")
    connection = instance.connect()
    yield instance, connection
    connection.close()


def _purge_entries(connection) -> dict[str, dict]:
    return {e.subject: json.loads(e.detail) for e in audit.entries(connection) if e.action == "purge"}


def test_values_stay_through_their_last_day_and_go_the_day_after(demo):
    instance, connection = demo
    for _ in range(2):
        register_one(connection, instance)
    before = values_by_field(connection)

    assert retention.purge(connection, instance.event, day("2027-05-07")).values == {}
    assert values_by_field(connection) == before

    report = retention.purge(connection, instance.event, day("2027-05-08"))
    assert set(report.values) == AFTER_EVENT_ZERO_DAYS
    assert all(by_rule == {"0 days after the event": 2} for by_rule in report.values.values())
    assert set(values_by_field(connection)) == {"full_name", "organisation", "country", "safe_contact"}
    logged = _purge_entries(connection)
    assert set(logged) == AFTER_EVENT_ZERO_DAYS
    assert logged["diet"] == {"destroyed": 2, "rules": {"0 days after the event": 2}}

    assert retention.purge(connection, instance.event, day("2027-06-06")).values == {}
    assert set(retention.purge(connection, instance.event, day("2027-06-07")).values) == {"safe_contact"}

    report = retention.purge(connection, instance.event, day("2027-07-07"))
    assert set(report.values) == {"full_name", "organisation", "country"}
    assert (report.records, report.data_keys) == (2, 2)
    for table in ("field_values", "data_keys", "registrations"):
        assert connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0  # noqa: S608
    audit.sign_head(connection, instance.event.id)
    assert audit.verify_stored(connection, instance.event.id).ok


def test_a_rule_counted_from_approval_runs_from_the_approval_day(demo):
    instance, connection = demo
    registration_id = register_one(connection, instance)
    decide(connection, instance.event.id, registration_id, "approved", "ana")
    add_follow_up(connection, instance.event, registration_id, FOLLOW_UP)
    approved_on = day(connection.execute("SELECT decided_day FROM registrations").fetchone()[0])

    retention.purge(connection, instance.event, approved_on + datetime.timedelta(days=45))
    assert values_by_field(connection)["passport_number"] == 1
    report = retention.purge(connection, instance.event, approved_on + datetime.timedelta(days=46))
    assert set(report.values) == {"passport_name", "passport_number", "passport_expiry"}
    assert "arrival_date" in values_by_field(connection)
    assert report.data_keys == 1  # the visa compartment's data key guards nothing any more


def test_a_rule_counted_from_approval_waits_for_the_maximum_when_approval_is_withdrawn(demo):
    instance, connection = demo
    registration_id = register_one(connection, instance)
    decide(connection, instance.event.id, registration_id, "approved", "ana")
    add_follow_up(connection, instance.event, registration_id, FOLLOW_UP)
    decide(connection, instance.event.id, registration_id, "waitlisted", "ana")

    retention.purge(connection, instance.event, instance.event.latest_destruction() - datetime.timedelta(days=1))
    assert values_by_field(connection)["passport_number"] == 1
    report = retention.purge(connection, instance.event, instance.event.latest_destruction())
    assert report.values["passport_number"] == {"the event's maximum of 60 days after the event": 1}
    assert report.records == 1


def test_a_rejected_registration_is_destroyed_days_after_the_decision(demo):
    instance, connection = demo
    rejected = register_one(connection, instance)
    kept = register_one(connection, instance)
    decide(connection, instance.event.id, rejected, "rejected", "ana")
    rejected_on = day(
        connection.execute("SELECT decided_day FROM registrations WHERE id = ?", (rejected,)).fetchone()[0]
    )

    retention.purge(connection, instance.event, rejected_on + datetime.timedelta(days=7))
    assert connection.execute("SELECT count(*) FROM registrations").fetchone()[0] == 2
    report = retention.purge(connection, instance.event, rejected_on + datetime.timedelta(days=8))
    assert report.records == 1
    assert all(by_rule == {"7 days after rejection": 1} for by_rule in report.values.values())
    assert [row[0] for row in connection.execute("SELECT id FROM registrations")] == [kept]
    assert (
        connection.execute("SELECT count(*) FROM data_keys WHERE registration_id = ?", (rejected,)).fetchone()[0] == 0
    )


def test_a_dry_run_counts_exactly_what_a_purge_destroys_and_changes_nothing(demo):
    instance, connection = demo
    rejected = register_one(connection, instance)
    register_one(connection, instance)
    decide(connection, instance.event.id, rejected, "rejected", "ana")
    before = dump_database(connection)

    dry = retention.purge(connection, instance.event, day("2027-05-08"), dry_run=True)
    assert dump_database(connection) == before
    real = retention.purge(connection, instance.event, day("2027-05-08"))
    assert dry.values == real.values and (dry.records, dry.data_keys) == (real.records, real.data_keys)
    assert dry.values_destroyed == 6 + 10  # the six zero-day fields of one, all ten fields of the rejected one


def test_each_day_has_one_purge_run_entry_even_when_nothing_is_due(demo):
    instance, connection = demo
    retention.purge(connection, instance.event, day("2027-01-01"))
    retention.purge(connection, instance.event, day("2027-01-01"))
    runs = [e for e in audit.entries(connection) if e.action == "purge run"]
    assert len(runs) == 1 and json.loads(runs[0].detail)["values destroyed"] == 0


def test_a_clock_set_back_never_brings_a_destruction_earlier(demo):
    """The log's latest day stands in for a clock that jumped back: approvals and purges never count from earlier."""
    instance, connection = demo
    registration_id = register_one(connection, instance)
    audit.log(connection, "cli", "clock check")
    real_day = day(audit.current_day(connection))
    connection.clock = SetClock(now=connection.clock.now() - datetime.timedelta(days=100))

    decide(connection, instance.event.id, registration_id, "approved", "ana")
    add_follow_up(connection, instance.event, registration_id, FOLLOW_UP)
    assert connection.execute("SELECT decided_day FROM registrations").fetchone()[0] == real_day.isoformat()
    assert retention.purge_day(connection) == real_day
    assert [e.day for e in audit.entries(connection)][-1] == real_day.isoformat()

    retention.purge(connection, instance.event, retention.purge_day(connection) + datetime.timedelta(days=45))
    assert values_by_field(connection)["passport_number"] == 1
