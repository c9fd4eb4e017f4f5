"""Database file stolen, with or without its key: copies of gatehouse.db, its WAL and shm taken from a
running server, and perhaps secret.key with them. No field value is readable either way.

Without the key every byte is SQLCipher page encryption. With it, the thief decrypts every page,
live and free, of the file and of every WAL frame: rows appear, but each value is sealed to a
compartment key the instance does not hold.
"""

from __future__ import annotations

import re

import pytest
import sqlcipher3

import crypto
from app.instance.folder import open_instance
from app.registrations.records import load_all_records, open_record
from app.storage import db
from tests.conftest import running_server
from tests.helpers import dump_database
from tests.security import canaries, scenes, visitor
from tests.security.sqlcipher_pages import every_page_decrypted
from tests.test_nothing_readable_on_disk import leaks


@pytest.fixture
def stolen(demo_instance, team, tmp_path):
    """The files copied from the running server after a working day, and every value typed in that day."""
    with running_server(demo_instance.path, tmp_path) as server:
        participants = scenes.a_working_day(server.url, team)
        database = scenes.copy_database_files(demo_instance.path, tmp_path / "stolen", with_key_file=True)
    (database.parent / "server-output.log").write_bytes(server.printed())  # a journal, copied with the rest
    assert database.with_name("gatehouse.db-wal").stat().st_size > 0, "the copy must include a WAL with frames"
    values = canaries.all_canaries(range(len(participants))) + [
        canaries.canary(0, key) for key in (*canaries.FOLLOW_UP_TAGS, *canaries.MESSAGE_TAGS)
    ]
    return database, values, participants


def test_database_file_stolen_without_its_key_reveals_no_value(stolen):
    database, values, participants = stolen
    raw = b"".join(database.with_name(name).read_bytes() for name in scenes.DATABASE_FILES)
    assert leaks(raw, values) == []
    assert not [p.pseudonym for p in participants if p.pseudonym.encode() in raw], "even pseudonyms are encrypted"
    for key in (None, bytes(32), crypto.new_master_secret()):
        connection = sqlcipher3.connect(str(database))
        if key is not None:
            connection.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        with pytest.raises(sqlcipher3.DatabaseError):
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        connection.close()


def test_database_file_stolen_with_its_key_reveals_no_value_in_any_page_live_or_free(stolen, demo_instance):
    database, values, participants = stolen
    database_key = crypto.derive_instance_secrets(database.with_name("secret.key").read_bytes()).database_key
    pages = every_page_decrypted(database, database_key)
    # The decryption works: what is stored in the clear inside the encryption is found.
    assert all(p.pseudonym.encode() in pages for p in participants)
    assert leaks(pages, values) == []
    # Nor where anyone came from, with what browser, or when: the participant's side of the traffic.
    printed = (database.parent / "server-output.log").read_bytes()
    for trace in (visitor.USER_AGENT, "QZX7AGENT", visitor.FORWARDED_FOR):
        assert trace.encode() not in pages and trace.encode() not in printed, trace
    assert b"127.0.0.1" not in pages, "the address every visitor comes from, on loopback"

    connection = db.connect(database, database_key)
    try:
        dumped = dump_database(connection)
        assert leaks(dumped, values) == []
        assert not re.search(rb"\b\d\d:\d\d(:\d\d)?\b", dumped), "a time of day is stored"
        event_id = open_instance(demo_instance.path).event.id
        records = list(load_all_records(connection, event_id))
        locked_staff_keys = [row[0] for row in connection.execute("SELECT locked_private_key FROM staff")]
        message_rows = connection.execute("SELECT number, key_for_participant, body FROM messages").fetchall()
    finally:
        connection.close()
    assert len(records) == len(participants)
    assert len(message_rows) == 2, "the message and the answer are stored, sealed"
    assert {part.compartment for _generation, part in records[0].parts} >= {"identity", "needs", "safety"}
    strangers = {(name, generation): crypto.new_key_pair() for name in ("identity", "visa") for generation in (1, 2)}
    for record in records:
        assert open_record(event_id, record, {}) == {}
        if any(part.compartment in ("identity", "visa") for _generation, part in record.parts):
            with pytest.raises(crypto.RecordTampered):
                open_record(event_id, record, strangers)
    for locked in locked_staff_keys:
        with pytest.raises(crypto.WrongPassphrase):
            crypto.unlock_private_key(locked, "a guess at the passphrase")
