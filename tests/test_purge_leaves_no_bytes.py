"""After a purge, the ciphertext bytes of every purged value are gone from the database file, its WAL and shm.

SQLCipher's page encryption would hide these bytes whether or not they were overwritten, so this
test runs the purge on a database opened WITHOUT page encryption. Every other setting is the
production one (db.configure: secure_delete, WAL, synchronous FULL, foreign keys), and the
records are written and purged by the same functions the server uses.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import sqlcipher3

import crypto
from app.common.actor import Actor
from app.events.definition import load_event
from app.instance.folder import Instance
from app.instance.setup import set_up_database
from app.registrations import messages, retention
from app.registrations.lifecycle import decide, find_by_id, withdraw
from app.registrations.register import add_follow_up
from app.storage import db
from tests.retention_helpers import PAST_EVENT, register_one
from tests.test_purge import FOLLOW_UP


def _files(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


def _ciphertexts(connection, where: str = "1") -> list[bytes]:
    return [row[0] for row in connection.execute(f"SELECT ciphertext FROM field_values WHERE {where}")]  # noqa: S608


def _unencrypted_instance(tmp_path: Path):
    path = tmp_path / "unencrypted.db"
    connection = db.configure(sqlcipher3.connect(str(path), isolation_level=None, factory=db.ClockedConnection))
    event = load_event(PAST_EVENT.replace("ends = 2020-05-07", "ends = 2026-01-10"))
    set_up_database(connection, event, PAST_EVENT)
    instance = Instance(tmp_path, crypto.derive_instance_secrets(crypto.new_master_secret()), event)

    ids = [register_one(connection, instance) for _ in range(60)]
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # some records in the main file...
    ids += [register_one(connection, instance) for _ in range(60)]  # ...and some only in the WAL
    for registration_id in ids[::3]:
        decide(connection, event.id, registration_id, "approved", "ana")
        add_follow_up(connection, event, registration_id, FOLLOW_UP)
    holder = Actor("ana", "staff", frozenset({"contact"}))
    for registration_id in ids[::2]:
        messages.send(connection, event, registration_id, text="the venue changed", actor=holder)
        messages.answer(connection, event, registration_id, "thank you, noted")
    return path, connection, event, instance, ids


def _messages(connection, where: str = "1") -> list[bytes]:
    """Message bodies and their sealed keys, as stored."""
    rows = connection.execute(f"SELECT body, key_for_compartment FROM messages WHERE {where}")  # noqa: S608
    return [value for row in rows for value in row]


def _still_on_disk(ciphertexts: list[bytes], on_disk: bytes) -> list[bytes]:
    """Those of which even a 16-byte stretch is still somewhere in the files."""
    return [c for c in ciphertexts if any(c[i : i + 16] in on_disk for i in range(0, len(c) - 16, 8))]


def test_purged_ciphertexts_leave_no_byte_in_the_database_or_its_wal(tmp_path):
    path, connection, event, _instance, _ids = _unencrypted_instance(tmp_path)

    purge_day = datetime.date(2026, 1, 11)  # the day after the event: zero-day fields go, 14-day and longer stay
    doomed = _ciphertexts(connection, "field_key IN ('badge_name', 'diet', 'safety_notes', 'photo_consent')")
    kept = _ciphertexts(connection, "field_key IN ('full_name', 'travel_from')")
    assert len(doomed) == 4 * 120 and kept
    on_disk = _files(path)
    assert all(c in on_disk for c in doomed + kept), "the search must find ciphertexts that are there"

    report = retention.purge(connection, event, purge_day)
    assert report.values_destroyed >= len(doomed)

    on_disk = _files(path)
    assert all(c in on_disk for c in kept), "the values still kept must be found: the search works"
    left = _still_on_disk(doomed, on_disk)
    assert left == [], f"{len(left)} purged ciphertexts still on disk"
    connection.close()


def test_messages_purged_when_due_leave_no_byte_in_the_database_or_its_wal(tmp_path):
    path, connection, event, _instance, _ids = _unencrypted_instance(tmp_path)
    due = event.messages_destroyed_on()
    assert retention.purge(connection, event, due - datetime.timedelta(days=1)).messages == 0, "kept until due"
    doomed = _messages(connection)
    kept = _ciphertexts(connection, "field_key = 'full_name'")  # kept 60 days: the records outlive their messages
    assert len(doomed) == 2 * 2 * 60 and kept
    assert all(c in _files(path) for c in doomed + kept), "the search must find what is there"

    report = retention.purge(connection, event, due)
    assert report.messages == 120 and connection.execute("SELECT count(*) FROM messages").fetchone()[0] == 0

    on_disk = _files(path)
    assert all(c in on_disk for c in kept), "the values still kept must be found: the search works"
    left = _still_on_disk(doomed, on_disk)
    assert left == [], f"{len(left)} purged messages still on disk"
    connection.close()


def test_a_withdrawn_record_leaves_no_byte_in_the_database_or_its_wal(tmp_path):
    path, connection, _event, _instance, ids = _unencrypted_instance(tmp_path)
    withdrawn = ids[::4]  # every one of these has a message and an answer
    doomed = [
        row[0]
        for registration_id in withdrawn
        for row in connection.execute(
            "SELECT ciphertext FROM field_values WHERE registration_id = ?", (registration_id,)
        )
    ]
    doomed += _messages(connection, f"registration_id IN ({', '.join(repr(i) for i in withdrawn)})")
    kept = _ciphertexts(connection, f"registration_id = '{ids[1]}'")
    for registration_id in withdrawn:
        withdraw(connection, find_by_id(connection, registration_id))

    on_disk = _files(path)
    assert all(c in on_disk for c in kept)
    left = _still_on_disk(doomed, on_disk)
    assert left == [], f"{len(left)} withdrawn ciphertexts still on disk"
    connection.close()
