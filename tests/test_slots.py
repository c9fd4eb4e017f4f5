"""Sealed values in fixed slots (app.storage.slots, migration 0015): appended as zeros, drawn at random, written
and zeroed in place; deleting the row that names a slot, by any path, zeroes it; and the migration moves every
value already stored into slots without changing what opens."""

from __future__ import annotations

import secrets

from app.instance.folder import opened
from app.registrations import lifecycle
from app.storage import db, slots
from tests.retention_helpers import register_one


def _slot(connection, slot: int) -> tuple[int, int, bytes]:
    return connection.execute("SELECT length, used, content FROM sealed_slots WHERE slot = ?", (slot,)).fetchone()


def test_a_value_is_written_into_a_free_slot_of_its_length_and_a_new_batch_is_appended_after_every_slot(
    demo_instance,
):
    with opened(demo_instance.path) as (_instance, connection), db.transaction(connection):
        before = connection.execute("SELECT max(slot) FROM sealed_slots").fetchone()[0] or 0
        value = secrets.token_bytes(1001)  # a length no sealing makes: no slot of it exists yet
        (slot,) = slots.put_together(connection, [value])
        assert _slot(connection, slot) == (1001, 1, value)
        batch = [row[0] for row in connection.execute("SELECT slot FROM sealed_slots WHERE length = 1001")]
        assert batch == list(range(before + 1, before + 1 + slots.SLOTS_AT_ONCE)), "appended after every slot"
        assert connection.execute("SELECT count(*) FROM sealed_slots WHERE length = 1001 AND used = 0").fetchone()[
            0
        ] == (slots.SLOTS_AT_ONCE - 1)
        assert all(content == bytes(1001) for (content,) in connection.execute(
            "SELECT content FROM sealed_slots WHERE length = 1001 AND used = 0"
        ))  # fmt: skip


def test_slots_are_drawn_at_random_among_the_free_ones_so_their_numbers_do_not_give_the_order_of_writing(
    demo_instance,
):
    with opened(demo_instance.path) as (_instance, connection), db.transaction(connection):
        taken = [slots.put_together(connection, [secrets.token_bytes(777)])[0] for _ in range(40)]
    assert len(set(taken)) == 40
    # 40 draws in increasing (or decreasing) order by chance: less than one in 10^47.
    assert taken != sorted(taken) and taken != sorted(taken, reverse=True)


def test_a_records_values_sit_together_and_where_a_record_lies_does_not_give_when_it_came(demo_instance):
    with opened(demo_instance.path) as (_instance, connection), db.transaction(connection):
        records = [slots.put_together(connection, [secrets.token_bytes(555) for _ in range(3)]) for _ in range(20)]
    first = records[0]  # the first of its length: a new batch, all free
    assert first == list(range(first[0], first[0] + 3)), "one record's values in neighbouring slots"
    assert all(taken == sorted(taken) and taken[-1] - taken[0] < 3 * 20 for taken in records)
    firsts = [taken[0] for taken in records]
    # 20 records placed in the order they came by chance: about one in 20!, 2 × 10^18.
    assert firsts != sorted(firsts)


def test_deleting_the_row_that_names_a_slot_zeroes_it_where_it_stands_by_any_path(demo_instance):
    with opened(demo_instance.path) as (instance, connection):
        registration_id = register_one(connection, instance)
        with db.transaction(connection):  # a message and its answer, as app.registrations.messages stores them
            for number, for_participant in ((1, secrets.token_bytes(80)), (2, None)):
                connection.execute(
                    "INSERT INTO message_slots VALUES (?, ?, ?, '2027-01-01', 'messages', 1, ?, ?, ?)",
                    (
                        registration_id,
                        number,
                        int(for_participant is None),
                        slots.put_together(connection, [secrets.token_bytes(80)])[0],
                        None if for_participant is None else slots.put_together(connection, [for_participant])[0],
                        slots.put_together(connection, [secrets.token_bytes(105)])[0],
                    ),
                )
        named = [
            slot
            for (slot,) in connection.execute(
                "SELECT slot FROM field_value_slots WHERE registration_id = ?"
                " UNION ALL SELECT slot FROM data_key_slots WHERE registration_id = ?"
                " UNION ALL SELECT key_for_compartment_slot FROM message_slots WHERE registration_id = ?"
                " UNION ALL SELECT key_for_participant_slot FROM message_slots WHERE registration_id = ?"
                " AND key_for_participant_slot IS NOT NULL"
                " UNION ALL SELECT body_slot FROM message_slots WHERE registration_id = ?",
                (registration_id,) * 5,
            )
        ]
        assert len(named) == len(set(named)) > 5 and all(_slot(connection, slot)[1] == 1 for slot in named)
        assert all(any(_slot(connection, slot)[2]) for slot in named), "the slots hold the sealed values"
        # One value deleted by hand: its slot is zeroed and freed at once.
        first = named[0]
        with db.transaction(connection):
            connection.execute("DELETE FROM field_value_slots WHERE slot = ?", (first,))
        length, used, content = _slot(connection, first)
        assert (used, content) == (0, bytes(length))
        # The registration's row deleted: the cascade takes the rest, and each of their slots is zeroed.
        with db.transaction(connection):
            connection.execute("DELETE FROM registrations WHERE id = ?", (registration_id,))
        for slot in named:
            length, used, content = _slot(connection, slot)
            assert (used, content) == (0, bytes(length)), slot


def test_a_withdrawal_zeroes_every_slot_of_the_record_and_rewrites_nothing_else(demo_instance):
    with opened(demo_instance.path) as (instance, connection):
        registration_id = register_one(connection, instance)
        db.scrub(connection)
        named = [
            slot
            for (slot,) in connection.execute(
                "SELECT slot FROM field_value_slots WHERE registration_id = ?"
                " UNION ALL SELECT slot FROM data_key_slots WHERE registration_id = ?",
                (registration_id, registration_id),
            )
        ]
        lifecycle.withdraw(connection, lifecycle.find_by_id(connection, registration_id))
        assert all(_slot(connection, slot)[1:] == (0, bytes(_slot(connection, slot)[0])) for slot in named)
        assert not db.scrub_pending(connection), "nothing else was left for a rewrite of the file"
        wal = demo_instance.path / f"{db.DATABASE_FILE}-wal"
        assert not wal.exists() or wal.stat().st_size == 0, "the WAL's earlier versions of the pages are gone"


def test_the_migration_moves_every_stored_value_into_slots_in_random_order_and_scrubs_what_it_left(tmp_path):
    connection = db.create(tmp_path / db.DATABASE_FILE, secrets.token_bytes(32))
    try:
        db.migrate(connection, up_to=14)
        written: list[bytes] = []  # every value, in the order it was stored

        def value(length: int) -> bytes:
            written.append(secrets.token_bytes(length))
            return written[-1]

        with db.transaction(connection):
            connection.execute("INSERT INTO events VALUES ('e', '', x'00', '2027-01-01')")
            for number in range(6):
                registration_id = f"{number:032x}"
                connection.execute(
                    "INSERT INTO registrations (id, event_id, pseudonym, status, submitted_day, codename_lookup)"
                    " VALUES (?, 'e', ?, 'submitted', '2027-01-01', ?)",
                    (registration_id, f"Person {number}", secrets.token_bytes(16)),
                )
                connection.execute(
                    "INSERT INTO data_keys VALUES (?, 'k', 'identity', 1, ?)",
                    (registration_id, value(80)),
                )
                for field in ("full_name", "email", "country"):
                    connection.execute(
                        "INSERT INTO field_values VALUES (?, ?, 'k', ?)",
                        (registration_id, field, value(73)),
                    )
                connection.execute(
                    "INSERT INTO messages VALUES (?, 1, 0, '2027-01-01', 'messages', 1, ?, ?, ?)",
                    (registration_id, value(80), value(80), value(105)),
                )
                connection.execute(
                    "INSERT INTO messages VALUES (?, 2, 1, '2027-01-01', 'messages', 1, ?, NULL, ?)",
                    (registration_id, value(80), value(105)),
                )
        tables = ("data_keys", "field_values", "messages")
        before = {table: sorted(connection.execute(f"SELECT * FROM {table}").fetchall()) for table in tables}  # noqa: S608
        assert db.migrate(connection) == db.latest_version()

        after = {table: sorted(connection.execute(f"SELECT * FROM {table}").fetchall()) for table in tables}  # noqa: S608
        assert after == before, "the views read every value as it was"
        assert connection.execute("SELECT count(*), min(used) FROM sealed_slots").fetchone() == (6 * (1 + 3 + 5), 1)
        by_slot = [content for (content,) in connection.execute("SELECT content FROM sealed_slots ORDER BY slot")]
        assert sorted(by_slot) == sorted(written)
        in_key_order = [
            slot
            for (slot,) in connection.execute("SELECT slot FROM field_value_slots ORDER BY registration_id, field_key")
        ]
        # 18 values in key order by chance: one in 18!, about 6 × 10^15.
        assert in_key_order != sorted(in_key_order), "slots are filled in random order, not in the order of the rows"
        # The old tables' pages were freed by the move; the scrub that follows it leaves no free page to hold them.
        assert connection.execute("PRAGMA freelist_count").fetchone()[0] == 0
    finally:
        connection.close()


def test_a_checkpoint_that_readers_keep_from_emptying_the_wal_marks_the_nightly_scrub(demo_instance, monkeypatch):
    with opened(demo_instance.path) as (instance, connection):
        register_one(connection, instance)
        wal = demo_instance.path / f"{db.DATABASE_FILE}-wal"
        assert db.checkpoint(connection) and wal.stat().st_size == 0, "with no reader the WAL is emptied"
        db.scrub(connection)
        reader = instance.connect()
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM registrations").fetchone()  # a snapshot held open
            register_one(connection, instance)  # the WAL now holds pages the reader's snapshot does not see
            monkeypatch.setattr(db, "CHECKPOINT_PATIENCE_SECONDS", 0.0)
            connection.execute("PRAGMA busy_timeout = 0")  # busy at once, rather than after the connection's wait
            assert not db.checkpoint(connection)
            assert wal.stat().st_size > 0
            assert db.scrub_pending(connection), "the WAL not emptied now is left to the nightly scrub"
        finally:
            reader.close()
        assert db.checkpoint(connection) and wal.stat().st_size == 0
