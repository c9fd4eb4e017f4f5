"""Anyone, after a retention deadline or a withdrawal: the purged and withdrawn values are gone from the
files, even for someone holding secret.key and the recovery words, who decrypts every page of the
database and of its WAL, free pages included.

tests/test_purge_leaves_no_bytes.py shows the same on a database without page encryption; here the
files are the production ones, written by the running server, and read as a key holder would.
"""

from __future__ import annotations

import datetime

import crypto
from app.common.actor import Actor
from app.events.definition import demo_event_source
from app.instance.folder import open_instance
from app.instance.setup import create_instance
from app.keys import keyring
from app.registrations import messages
from app.registrations.records import load_all_records, open_record
from app.storage import db
from tests.conftest import running_server
from tests.security import canaries, scenes, visitor
from tests.security.sqlcipher_pages import every_page_decrypted
from tests.test_purge_leaves_no_bytes import _still_on_disk
from tests.test_staff_cli import gatehouse

PARTICIPANTS = 12
# Kept 0 days after the event: due on the day after it ends. The other canary fields are kept longer.
DUE_FIELDS = ("access_needs", "safety_notes")


def _event_that_ended_yesterday() -> str:
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    return (
        demo_event_source()
        .replace("starts = 2027-05-04", f"starts = {yesterday}")
        .replace("ends = 2027-05-07", f"ends = {yesterday}")
        .replace("messages_retain_days_after_event = 30", "messages_retain_days_after_event = 0")
    )


def _stored(instance, query: str, parameters=()) -> list[bytes]:
    """Ciphertexts or sealed data keys as stored now, read by the test with the database key."""
    connection = instance.connect()
    try:
        return [row[0] for row in connection.execute(query, parameters)]
    finally:
        connection.close()


def test_after_retention_or_withdrawal_nothing_purged_or_withdrawn_can_be_recovered_from_the_files(tmp_path):
    path = tmp_path / "instance"
    words = create_instance(path, _event_that_ended_yesterday())
    instance = open_instance(path)
    with running_server(path, tmp_path) as server:
        participants = [visitor.register(server.url, canaries.canary_answers(n)) for n in range(PARTICIPANTS)]
        _messages_to_and_from(instance, [_registration_id(instance, p.pseudonym) for p in participants])
        withdrawing = range(1, PARTICIPANTS, 4)
        withdrawn_ids = [_registration_id(instance, participants[n].pseudonym) for n in withdrawing]
        of_withdrawn = f"registration_id IN ({', '.join('?' * len(withdrawn_ids))})"
        doomed = _stored(instance, f"SELECT ciphertext FROM field_values WHERE {of_withdrawn}", withdrawn_ids)
        doomed += _stored(instance, f"SELECT sealed_data_key FROM data_keys WHERE {of_withdrawn}", withdrawn_ids)
        doomed += _stored(instance, "SELECT ciphertext FROM field_values WHERE field_key IN (?, ?)", DUE_FIELDS)
        # Messages are kept 0 days after the event here: the withdrawn ones go with their records, the rest now.
        doomed += _stored(instance, "SELECT body FROM messages") + _stored(
            instance, "SELECT key_for_compartment FROM messages"
        )
        kept = _stored(
            instance, f"SELECT ciphertext FROM field_values WHERE field_key = 'full_name' AND NOT {of_withdrawn}",
            withdrawn_ids,
        )  # fmt: skip
        earlier_copy = scenes.copy_database_files(path, tmp_path / "earlier", with_key_file=True)

        for number in withdrawing:
            assert "withdrawn" in visitor.withdraw(participants[number]).html.lower()
        purged = gatehouse("purge", "--instance", str(path))
        assert purged.returncode == 0, purged.stderr
        stolen = scenes.copy_database_files(path, tmp_path / "stolen", with_key_file=True)

    database_key = crypto.derive_instance_secrets((stolen.parent / "secret.key").read_bytes()).database_key
    before, after = every_page_decrypted(earlier_copy, database_key), every_page_decrypted(stolen, database_key)
    assert _still_on_disk(doomed, before) == doomed, "the search finds what was there"
    assert all(ciphertext in after for ciphertext in kept), "the search finds what is still there"
    assert _still_on_disk(doomed, after) == [], "a purged or withdrawn ciphertext is still in a page"

    recovery = crypto.private_key_from_recovery_words(" ".join(words))
    connection = db.connect(stolen, database_key)
    try:
        every_key = keyring.keys_from_recovery(connection, instance.event.id, recovery)
        opened = [open_record(instance.event.id, r, every_key) for r in load_all_records(connection, instance.event.id)]
    finally:
        connection.close()
    readable = {value for record in opened for fields in record.values() for value in fields.values()}
    remaining = [n for n in range(PARTICIPANTS) if n not in withdrawing]
    assert len(opened) == len(remaining)
    assert {canaries.canary(n, "full_name") for n in remaining} <= readable
    gone = {canaries.canary(n, field) for n in withdrawing for field in canaries.FIELD_TAGS}
    gone |= {canaries.canary(n, field) for n in remaining for field in DUE_FIELDS}
    assert gone & readable == set()


def _messages_to_and_from(instance, registration_ids: list[str]) -> None:
    holder = Actor("ana", "staff", frozenset({instance.event.messages.by}))
    connection = instance.connect()
    try:
        for registration_id in registration_ids:
            messages.send(connection, instance.event, registration_id, text="QZX7MESSAGE93", actor=holder)
            messages.answer(connection, instance.event, registration_id, "QZX7ANSWER93")
    finally:
        connection.close()


def _registration_id(instance, pseudonym: str) -> str:
    connection = instance.connect()
    try:
        return connection.execute("SELECT id FROM registrations WHERE pseudonym = ?", (pseudonym,)).fetchone()[0]
    finally:
        connection.close()
