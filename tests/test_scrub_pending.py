"""The purge rewrites the whole file only when something was deleted or overwritten since the last scrub: every
table marks it, so nothing destroyed is left behind by skipping, and a purge with nothing to do costs no rewrite."""

from __future__ import annotations

import datetime
import re

from app.common.actor import SHELL
from app.instance.folder import opened
from app.registrations import lifecycle, retention
from app.staff import grants
from app.staff.accounts import add_staff
from app.storage import db
from tests.retention_helpers import register_one
from tests.staff_fixtures import TEST_COST

# Updated as they are used, holding nothing to scrub (migration 0011), or what the log holds anyway (a decision's
# status and day, migration 0013): these columns alone do not mark it.
UNMARKED_UPDATES = {"staff": {"last_totp_step"},
                    "registrations": {"messages_seen", "exported_in", "status", "decided_day"},
                    "kit_withdrawals": {"exported_in"}}  # fmt: skip
NOT_MARKING = {"scrub_pending"}
# Destroyed in place, with no rewrite of the file (migration 0015): values in their slots, zeroed as the rows that
# name them are deleted; a registration's own row, which holds what destroyed_ids keeps of it anyway; and the
# ids of single values destroyed_ids drops when their registration goes whole.
IN_PLACE = {"sealed_slots", "field_value_slots", "data_key_slots", "message_slots"}
NOT_MARKED_DELETES = {"registrations", "destroyed_ids"}


def _purge_steps(connection, event) -> list[str]:
    steps: list[str] = []
    retention.purge(connection, event, datetime.date(2027, 1, 1), progress=steps.append)
    return steps


def test_every_table_marks_a_scrub_when_a_row_is_deleted_or_overwritten(demo_instance):
    with opened(demo_instance.path) as (_instance, connection):
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        triggers = {
            name: sql for name, sql in connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        }
        assert IN_PLACE <= tables
        for table in sorted(IN_PLACE):
            assert not any(name.startswith(f"{table}_") and "marks_scrub" in name for name in triggers), table
        for table in sorted(tables - NOT_MARKING - IN_PLACE):
            for event in ("delete", "update"):
                sql = triggers.get(f"{table}_{event}_marks_scrub", "")
                if event == "delete" and table in NOT_MARKED_DELETES:
                    assert not sql, f"{table}: a deletion marks a scrub"
                    continue
                assert "INSERT OR IGNORE INTO scrub_pending" in sql, f"{table}: no {event} trigger marks a scrub"
            columns = {row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')}
            listed = re.search(r"AFTER UPDATE OF (.+?) ON ", triggers[f"{table}_update_marks_scrub"])
            unmarked = columns - {column.strip() for column in listed[1].split(",")} if listed else set()
            assert unmarked == UNMARKED_UPDATES.get(table, set()), f"{table}: updates of {unmarked} mark nothing"


def test_a_purge_with_nothing_due_after_a_scrub_leaves_the_file_as_it_is(demo_instance):
    with opened(demo_instance.path) as (instance, connection):
        register_one(connection, instance)
        db.scrub(connection)
        assert not db.scrub_pending(connection)
        assert "scrub" not in _purge_steps(connection, instance.event)


def test_a_deletion_since_the_last_scrub_makes_the_next_purge_scrub_even_with_nothing_due(demo_instance):
    with opened(demo_instance.path) as (instance, connection):
        registration_id = register_one(connection, instance)
        words = " ".join(demo_instance.recovery_words)
        recovery = grants.keys_from_recovery_words(connection, instance.event.id, words)
        add_staff(connection, "ana", "staff", cost=TEST_COST)
        grants.grant(connection, instance.event, compartment="needs", to="ana", holder_keys=recovery, actor="test")
        db.scrub(connection)
        # A revoked grant deletes a sealed compartment key: nothing scrubbed it until the next purge.
        grants.revoke(connection, instance.event, compartment="needs", username="ana", actor=SHELL)
        assert db.scrub_pending(connection)
        assert _purge_steps(connection, instance.event)[-1] == "scrub"
        assert not db.scrub_pending(connection)
        lifecycle.withdraw(connection, lifecycle.find_by_id(connection, registration_id))
        assert not db.scrub_pending(connection), "a withdrawal leaves nothing for a rewrite: its values were zeroed"
