"""A registration made on a field kit carries its participant's message key to central in the next bundle, so
that messages reach it there too; one that carries none (made before messages) is told apart, never broken."""

from __future__ import annotations

import dataclasses

import pytest
from nacl.signing import SigningKey

from app.common.actor import Actor
from app.kits.bundle import definition_hash
from app.kits.instance import identity
from app.kits.sync import KIND, SyncError, import_from_kit
from app.registrations import messages
from app.registrations.lifecycle import find_by_codename
from app.registrations.record_format import MESSAGE_KEY_BYTES, RecordMalformed, RegistrationRecord, decode, encode
from app.registrations.records import load_all_records
from offline_bundle import write_bundle
from tests.kit_fixtures import make_kit
from tests.sync_fixtures import export, register_on_kit


@pytest.fixture
def kit(tmp_path):
    return make_kit(tmp_path)


def _imported(kit, parts) -> None:
    connection = kit.central.connect()
    try:
        assert import_from_kit(connection, kit.central, parts).added >= 1
    finally:
        connection.close()


def _found_at_central(kit, codename):
    connection = kit.central.connect()
    try:
        central = kit.central
        return find_by_codename(connection, central.secrets.codename_lookup_key, central.event.id, codename)
    finally:
        connection.close()


def test_a_registration_made_on_a_kit_receives_messages_at_central_read_with_its_codename(kit):
    codenames = register_on_kit(kit, 2)
    _imported(kit, export(kit).parts)
    event, holder = kit.central.event, Actor("ana", "staff", frozenset({"contact"}))
    connection = kit.central.connect()
    try:
        for number, codename in enumerate(codenames):
            found = _found_at_central(kit, codename)
            assert not messages.predates_messages(connection, found.registration_id)
            messages.send(connection, event, found.registration_id, text=f"QZX7KIT{number}", actor=holder)
        for number, codename in enumerate(codenames):
            found = _found_at_central(kit, codename)
            view = messages.for_participant(connection, event, found.registration_id, codename)
            assert [message.text for message in view.messages] == [f"QZX7KIT{number}"] and view.may_answer
    finally:
        connection.close()


def test_a_kit_registration_without_a_message_key_imports_and_predates_messages(kit):
    (codename,) = register_on_kit(kit, 1)
    connection = kit.instance.connect()
    try:
        connection.execute("UPDATE registrations SET message_public_key = NULL, message_salt = NULL")
    finally:
        connection.close()
    _imported(kit, export(kit).parts)
    found = _found_at_central(kit, codename)
    connection = kit.central.connect()
    try:
        assert messages.predates_messages(connection, found.registration_id)
        with pytest.raises(messages.PredatesMessages):
            messages.send(
                connection, kit.central.event, found.registration_id, text="hello",
                actor=Actor("ana", "staff", frozenset({"contact"})),
            )  # fmt: skip
    finally:
        connection.close()


def test_a_record_carries_its_message_key_exactly_or_does_not_decode(kit):
    register_on_kit(kit, 1)
    event = kit.instance.event
    connection = kit.instance.connect()
    try:
        row = connection.execute(
            "SELECT id, pseudonym, status, submitted_day, codename_lookup, message_public_key, message_salt"
            " FROM registrations"
        ).fetchone()
        (stored,) = load_all_records(connection, event.id)
    finally:
        connection.close()
    message_key = row[5] + row[6]
    record = decode(encode(RegistrationRecord(*row[:5], stored.parts, message_key), event), event)
    data = encode(record, event)
    assert len(message_key) == MESSAGE_KEY_BYTES and record.message_key == message_key
    assert decode(data, event) == record
    without = encode(dataclasses.replace(record, message_key=b""), event)
    assert len(without) == len(data) - MESSAGE_KEY_BYTES and decode(without, event).message_key == b""
    at = data.index(message_key)
    with pytest.raises(RecordMalformed):
        decode(data[:at] + data[at + 1 :], event)  # one byte of it missing
    with pytest.raises(ValueError, match="message key"):
        encode(dataclasses.replace(record, message_key=b"short"), event)


def test_a_bundle_from_a_kit_that_writes_the_earlier_format_still_imports(kit):
    (codename,) = register_on_kit(kit, 1)
    event = kit.instance.event
    connection = kit.instance.connect()
    try:
        row = connection.execute(
            "SELECT id, pseudonym, status, submitted_day, codename_lookup FROM registrations"
        ).fetchone()
        (stored,) = load_all_records(connection, event.id)
        me = identity(connection)
        definition = connection.execute("SELECT definition FROM events").fetchone()[0]
    finally:
        connection.close()
    record = encode(RegistrationRecord(*row, stored.parts), event)  # as format 2 wrote it: no message key
    header = {"event": event.id, "kit": me.name, "definition": definition_hash(definition)}
    for version, imports in ((2, True), (1, False)):
        parts = write_bundle(
            KIND, {**header, "format": version}, [record],
            signing_key=SigningKey(me.signing_key), recipient=me.central_bundle_public_key,
        )  # fmt: skip
        connection = kit.central.connect()
        try:
            if imports:
                assert import_from_kit(connection, kit.central, parts).added == 1
            else:
                with pytest.raises(SyncError, match="another version"):
                    import_from_kit(connection, kit.central, parts)
        finally:
            connection.close()
    connection = kit.central.connect()
    try:
        assert messages.predates_messages(connection, _found_at_central(kit, codename).registration_id)
    finally:
        connection.close()
