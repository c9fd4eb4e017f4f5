"""Anyone who restores a backup: nothing the system destroyed after the backup was taken comes back.

The attacker (or the tired technologist) holds a backup taken before a withdrawal or a purge, the recovery
words, and the newest withdrawal record. They restore it on a new machine, then read every page of the restored
database and its WAL with the new key, free pages included, and open every record with the recovery words.
Neither the withdrawn registration nor a value past its retention day is there; what is still kept is, which
shows that the search works. Without the record, the withdrawn registration does come back: the record is what
carries the withdrawal (SECURITY.md states this limit).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

import crypto
from app.backups.backup import write_backup
from app.backups.errors import WrongRecoveryWords
from app.backups.opening import open_backup, with_withdrawal_records
from app.backups.restore import RestoreReport, restore
from app.backups.withdrawals import export_record
from app.common.actor import Actor
from app.instance.folder import SECRET_FILE, open_instance, opened
from app.keys import keyring
from app.registrations import messages, retention
from app.registrations.lifecycle import decide, find_by_id, withdraw
from app.registrations.records import load_all_records, open_record
from app.storage import db
from tests.helpers import SetClock
from tests.retention_helpers import new_instance, register_one
from tests.security.sqlcipher_pages import every_page_decrypted
from tests.test_purge_leaves_no_bytes import _still_on_disk

BEFORE_THE_EVENT = datetime.datetime(2027, 4, 1, 12, tzinfo=datetime.UTC)  # the demo event ends on 2027-05-07
ZERO_DAY_FIELDS = ("badge_name", "track", "diet", "access_needs", "photo_consent", "safety_notes")


def _at(day: datetime.date) -> SetClock:
    return SetClock(datetime.datetime.combine(day, datetime.time(12), datetime.UTC))


def _sealed(path: Path, where: str, parameters=()) -> list[bytes]:
    """Ciphertexts and sealed data keys as stored in the instance now (read by the test with its key)."""
    with opened(path) as (_instance, connection):
        found = [row[0] for row in connection.execute(f"SELECT ciphertext FROM field_values WHERE {where}", parameters)]
        keys = f"SELECT sealed_data_key FROM data_keys AS d WHERE EXISTS (SELECT 1 FROM field_values WHERE {where}"
        keys += " AND registration_id = d.registration_id AND data_key_id = d.id)"
        return found + [row[0] for row in connection.execute(keys, parameters)]


def _restored(backup: Path, target: Path, words: list[str], records=(), clock=None) -> RestoreReport:
    opened_backup = open_backup(backup.read_bytes(), " ".join(words), signer=None)
    opened_backup = with_withdrawal_records(opened_backup, [(str(record), [record.read_bytes()]) for record in records])
    return restore(opened_backup, target, clock or SetClock(BEFORE_THE_EVENT))


def _everything_readable(path: Path, words: list[str]) -> tuple[bytes, set[str], set[str]]:
    """Every page of the restored files decrypted; every value opened with the recovery words; the ids there."""
    database_key = crypto.derive_instance_secrets((path / SECRET_FILE).read_bytes()).database_key
    pages = every_page_decrypted(path / db.DATABASE_FILE, database_key)
    instance = open_instance(path)
    with instance.connection() as connection:
        every_key = keyring.keys_from_recovery(
            connection, instance.event.id, crypto.private_key_from_recovery_words(" ".join(words))
        )
        opened_records = [
            open_record(instance.event.id, r, every_key) for r in load_all_records(connection, instance.event.id)
        ]
        ids = {row[0] for row in connection.execute("SELECT id FROM registrations")}
    values = {value for record in opened_records for fields in record.values() for value in fields.values()}
    return pages, values, ids


def test_a_restore_with_the_later_withdrawal_record_brings_back_no_byte_of_the_withdrawn_registration(tmp_path):
    clock = SetClock(BEFORE_THE_EVENT)
    instance, words = new_instance(tmp_path / "instance")
    with opened(instance.path, clock) as (live, connection):
        staying = register_one(connection, live, full_name="QZX7STAYS93")
        leaving = register_one(connection, live, full_name="QZX7LEAVES93")
        write_backup(connection, live, tmp_path / "before.ghb")
    doomed = _sealed(instance.path, "registration_id = ?", (leaving,))
    kept = _sealed(instance.path, "registration_id = ?", (staying,))
    with opened(instance.path, clock) as (live, connection):
        withdraw(connection, find_by_id(connection, leaving))
        export_record(connection, live.event.id, tmp_path / "withdrawals.ghb")

    report = _restored(tmp_path / "before.ghb", tmp_path / "restored", words, [tmp_path / "withdrawals.ghb"])

    pages, values, ids = _everything_readable(tmp_path / "restored", words)
    assert all(sealed in pages for sealed in kept), "the search finds what is still there"
    assert _still_on_disk(doomed, pages) == [], "a withdrawn ciphertext or sealed key came back"
    assert ids == {staying} and "QZX7STAYS93" in values and "QZX7LEAVES93" not in values
    assert report.registrations_destroyed_since == 1

    # The limit SECURITY.md states: without the record, the backup holds what it held.
    _restored(tmp_path / "before.ghb", tmp_path / "without-the-record", words)
    assert leaving in _everything_readable(tmp_path / "without-the-record", words)[2]


def test_a_restore_past_a_values_retention_day_brings_back_no_byte_of_that_value(tmp_path):
    clock = SetClock(BEFORE_THE_EVENT)
    instance, words = new_instance(tmp_path / "instance")
    with opened(instance.path, clock) as (live, connection):
        for number in range(3):
            register_one(connection, live, full_name=f"QZX7NAME{number}93", safety_notes=f"QZX7SAFETY{number}93")
        write_backup(connection, live, tmp_path / "before.ghb")
    marks = ", ".join("?" * len(ZERO_DAY_FIELDS))
    doomed = [c for c in _sealed(instance.path, f"field_key IN ({marks})", ZERO_DAY_FIELDS) if len(c) != 80]
    kept = _sealed(instance.path, "field_key = 'full_name'")

    day_after_the_event = instance.event.ends + datetime.timedelta(days=1)
    report = _restored(tmp_path / "before.ghb", tmp_path / "restored", words, clock=_at(day_after_the_event))

    pages, values, _ids = _everything_readable(tmp_path / "restored", words)
    assert all(ciphertext in pages for ciphertext in kept), "the search finds what is still there"
    assert _still_on_disk(doomed, pages) == [], "a value past its retention day came back"
    assert {f"QZX7NAME{number}93" for number in range(3)} <= values
    assert not {f"QZX7SAFETY{number}93" for number in range(3)} & values
    assert report.purge.values_destroyed == 3 * len(ZERO_DAY_FIELDS)


def test_a_restore_with_the_record_brings_back_nothing_purged_after_a_decision_made_since_the_backup(tmp_path):
    """The backup holds a registration still undecided; it is rejected afterwards and purged a week later (the
    demo event's rule for rejections). Restored from the backup, it would be undecided again and kept: the
    record's id is what keeps it out."""
    clock = SetClock(BEFORE_THE_EVENT)
    instance, words = new_instance(tmp_path / "instance")
    with opened(instance.path, clock) as (live, connection):
        rejected = register_one(connection, live, full_name="QZX7REJECTED93")
        register_one(connection, live, full_name="QZX7WAITING93")
        write_backup(connection, live, tmp_path / "before.ghb")
        decide(connection, live.event.id, rejected, "rejected", "ana")
    doomed = _sealed(instance.path, "registration_id = ?", (rejected,))
    clock.advance(8 * 86400)
    with opened(instance.path, clock) as (live, connection):
        assert retention.purge(connection, live.event, retention.purge_day(connection)).records == 1
        export_record(connection, live.event.id, tmp_path / "withdrawals.ghb")

    _restored(tmp_path / "before.ghb", tmp_path / "restored", words, [tmp_path / "withdrawals.ghb"], clock)

    pages, values, ids = _everything_readable(tmp_path / "restored", words)
    assert rejected not in ids and "QZX7WAITING93" in values and "QZX7REJECTED93" not in values
    assert _still_on_disk(doomed, pages) == []


def test_a_stolen_backup_without_the_recovery_words_holds_no_readable_byte(tmp_path):
    """A backup file taken from wherever backups are kept: without the words it opens to nothing, and not one
    16-byte stretch of what it carries (ciphertexts, sealed keys, pseudonyms, the event, the staff) is in it."""
    clock = SetClock(BEFORE_THE_EVENT)
    instance, words = new_instance(tmp_path / "instance")
    with opened(instance.path, clock) as (live, connection):
        for number in range(3):
            register_one(connection, live, full_name=f"QZX7STOLEN{number}93")
        write_backup(connection, live, tmp_path / "b.ghb")
        pseudonyms = [row[0].encode() for row in connection.execute("SELECT pseudonym FROM registrations")]
        signing_key = connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'signing'").fetchone()
    stolen = (tmp_path / "b.ghb").read_bytes()
    assert _still_on_disk([*_sealed(instance.path, "1"), signing_key[0]], stolen) == []
    names = [*pseudonyms, instance.event.id.encode(), b"QZX7STOLEN", b"full_name", b"identity"]
    assert [name for name in names if name in stolen] == []
    another_events_words = new_instance(tmp_path / "other")[1]
    with pytest.raises(WrongRecoveryWords):
        open_backup(stolen, " ".join(another_events_words), signer=None)
    assert open_backup(stolen, " ".join(words), signer=None).event.id == instance.event.id, "the words open it"


def _messages(path: Path, where: str = "1", parameters=()) -> list[bytes]:
    with opened(path) as (_instance, connection):
        rows = connection.execute(f"SELECT body, key_for_compartment FROM messages WHERE {where}", parameters)  # noqa: S608
        return [value for row in rows for value in row]


def test_a_restore_brings_back_no_message_of_a_withdrawn_registration_nor_one_past_its_day(tmp_path):
    clock = SetClock(BEFORE_THE_EVENT)
    instance, words = new_instance(tmp_path / "instance")
    holder = Actor("ana", "staff", frozenset({instance.event.messages.by}))
    with opened(instance.path, clock) as (live, connection):
        staying = register_one(connection, live, full_name="QZX7STAYS93")
        leaving = register_one(connection, live, full_name="QZX7LEAVES93")
        for registration_id in (staying, leaving):
            messages.send(connection, live.event, registration_id, text="QZX7MESSAGE93", actor=holder)
            messages.answer(connection, live.event, registration_id, "QZX7ANSWER93")
        write_backup(connection, live, tmp_path / "before.ghb")
    doomed = _messages(instance.path, "registration_id = ?", (leaving,))
    kept = _messages(instance.path, "registration_id = ?", (staying,))
    with opened(instance.path, clock) as (live, connection):
        withdraw(connection, find_by_id(connection, leaving))
        export_record(connection, live.event.id, tmp_path / "withdrawals.ghb")

    _restored(tmp_path / "before.ghb", tmp_path / "restored", words, [tmp_path / "withdrawals.ghb"])
    pages = _everything_readable(tmp_path / "restored", words)[0]
    assert all(sealed in pages for sealed in kept), "the search finds the messages still kept"
    assert _still_on_disk(doomed, pages) == [], "a withdrawn registration's message came back"

    due = instance.event.messages_destroyed_on()
    report = _restored(tmp_path / "before.ghb", tmp_path / "past-the-day", words, clock=_at(due))
    pages, values, _ids = _everything_readable(tmp_path / "past-the-day", words)
    assert "QZX7STAYS93" in values, "the record outlives its messages"
    assert _still_on_disk(doomed + kept, pages) == [], "a message past its retention day came back"
    assert report.purge.messages == 4
