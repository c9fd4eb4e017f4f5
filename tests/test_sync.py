"""Kit-sync bundles: each registration arrives once, sealed as on the kit; any damage refuses the whole bundle."""

from __future__ import annotations

import dataclasses
import os
import random
import subprocess
import sys

import pytest
from nacl.signing import SigningKey

import crypto
from app.common.bundle_files import write_parts
from app.events.definition import demo_event_source
from app.keys import keyring
from app.kits.instance import identity
from app.kits.sync import FORMAT, KIND, SyncError, import_from_kit
from app.registrations.record_format import RecordMalformed, RegistrationRecord, decode, encode
from app.registrations.records import load_all_records, open_record
from app.storage import db
from offline_bundle import (
    BundleDamaged,
    BundleError,
    MissingParts,
    MixedParts,
    NotForThisKey,
    UnknownSigner,
    write_bundle,
)
from tests.kit_fixtures import make_central, make_kit
from tests.sync_fixtures import central_dump, export, register_on_kit, withdraw_on_kit


def _import(kit, parts):
    connection = kit.central.connect()
    try:
        return import_from_kit(connection, kit.central, parts)
    finally:
        connection.close()


def _central_rows(kit):
    connection = kit.central.connect()
    try:
        return connection.execute("SELECT id, pseudonym, status, source_kit FROM registrations ORDER BY id").fetchall()
    finally:
        connection.close()


def _opened_names(kit) -> list[str]:
    """Every full name at central, opened with the recovery key: what a holder of identity would read."""
    connection = kit.central.connect()
    try:
        recovery = crypto.private_key_from_recovery_words(" ".join(kit.recovery_words))
        keys = keyring.keys_from_recovery(connection, kit.central.event.id, recovery)
        records = list(load_all_records(connection, kit.central.event.id))
    finally:
        connection.close()
    return sorted(open_record(kit.central.event.id, r, keys)["identity"]["full_name"] for r in records)


@pytest.fixture
def kit(tmp_path):
    return make_kit(tmp_path)


def test_a_bundle_brings_each_registration_sealed_as_on_the_kit_with_its_kit_named(kit):
    register_on_kit(kit, 3)
    made = export(kit)
    report = _import(kit, made.parts)
    assert (report.kit, report.added, report.already_here, report.replay) == ("border-1", 3, 0, False)
    rows = _central_rows(kit)
    assert [(status, source) for _id, _p, status, source in rows] == [("submitted", "border-1")] * 3
    assert sorted(row[0] for row in rows) == sorted(made.registration_ids)
    assert _opened_names(kit) == [f"QZX7SYNC-r{n}-name" for n in range(3)]
    connection = kit.central.connect()
    try:
        entry = connection.execute("SELECT actor, subject, detail FROM audit_log WHERE action = 'bundle import'")
        assert entry.fetchall() == [
            (
                "cli",
                "border-1",
                '{"added": 3, "already_here": 0, "gone_since": 0, "renamed": 0, "waitlisted": 0, "withdrawn": 0}',
            )
        ]
    finally:
        connection.close()
    # The kit does not export them again, unless asked for everything.
    connection = kit.instance.connect()
    try:
        from app.kits.sync import export_for_central

        assert export_for_central(connection, kit.instance.event) is None
        assert len(export_for_central(connection, kit.instance.event, everything=True).registration_ids) == 3
    finally:
        connection.close()


def test_the_same_bundle_imported_twice_changes_nothing_the_second_time(kit):
    register_on_kit(kit, 2)
    made = export(kit)
    _import(kit, made.parts)
    before = central_dump(kit)
    again = _import(kit, list(reversed(made.parts)) + made.parts)
    assert again.replay and again.added == 0
    assert central_dump(kit) == before


def test_overlapping_bundles_in_any_order_yield_each_registration_once(tmp_path):
    for order in ("first-first", "all-first"):
        kit = make_kit(tmp_path / order)
        register_on_kit(kit, 2, "a")
        first = export(kit)
        register_on_kit(kit, 2, "b")
        everything = export(kit, everything=True)
        assert len(everything.registration_ids) == 4
        bundles = [first, everything] if order == "first-first" else [everything, first]
        reports = [_import(kit, bundle.parts) for bundle in bundles]
        assert sum(report.added for report in reports) == 4
        assert sum(report.already_here for report in reports) == 2
        assert len(_central_rows(kit)) == 4
        assert _opened_names(kit) == sorted(f"QZX7SYNC-{t}{n}-name" for t in "ab" for n in range(2))


def test_a_codename_already_here_is_skipped_and_a_taken_pseudonym_is_replaced(kit):
    register_on_kit(kit, 2)
    kit_connection = kit.instance.connect()
    central_connection = kit.central.connect()
    try:
        taken, lookup = kit_connection.execute("SELECT pseudonym, codename_lookup FROM registrations").fetchall()[0]
        with db.transaction(central_connection):
            central_connection.execute(
                "INSERT INTO registrations (id, event_id, pseudonym, status, submitted_day, codename_lookup)"
                " VALUES ('00', ?, ?, 'submitted', '2027-01-01', ?)",
                (kit.central.event.id, taken, bytes(16)),
            )
    finally:
        kit_connection.close()
        central_connection.close()
    report = _import(kit, export(kit).parts)
    assert (report.added, report.renamed) == (2, 1)
    pseudonyms = [pseudonym for _id, pseudonym, _status, _kit in _central_rows(kit)]
    assert len(set(pseudonyms)) == 3 and taken in pseudonyms
    # A registration whose codename look-up is already here (say, sent again online) is not added twice.
    other = make_kit(kit.kit_file.parent / "again", "border-2", central=(kit.central, kit.recovery_words))
    other_connection = other.instance.connect()
    try:
        register_on_kit(other, 1)
        # The same codename look-up means the same registration id: the one it is derived from.
        with db.transaction(other_connection):
            other_connection.execute("PRAGMA defer_foreign_keys = ON")
            (old_id,) = other_connection.execute("SELECT id FROM registrations").fetchone()
            new_id = crypto.registration_id_for(lookup)
            for table, column in (
                ("registrations", "id"),
                ("data_key_slots", "registration_id"),
                ("field_value_slots", "registration_id"),
            ):
                other_connection.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", (new_id, old_id))  # noqa: S608
            other_connection.execute("UPDATE registrations SET codename_lookup = ?", (lookup,))
    finally:
        other_connection.close()
    assert _import(other, export(other).parts).already_here == 1


def test_a_full_event_puts_imported_registrations_on_the_waiting_list(tmp_path):
    source = demo_event_source().replace("capacity = 220", "capacity = 1")
    central = make_central(tmp_path / "central", source)
    kit = make_kit(tmp_path, central=central)
    connection = central[0].connect()
    try:
        with db.transaction(connection):
            connection.execute(
                "INSERT INTO registrations (id, event_id, pseudonym, status, submitted_day, codename_lookup)"
                " VALUES ('00', ?, 'Online One 10', 'approved', '2027-01-01', ?)",
                (central[0].event.id, bytes(16)),
            )
    finally:
        connection.close()
    register_on_kit(kit, 2)
    report = _import(kit, export(kit).parts)
    assert report.waitlisted == 2
    assert sorted(status for _i, _p, status, _k in _central_rows(kit)) == ["approved", "waitlisted", "waitlisted"]


def test_a_withdrawal_on_the_kit_reaches_central_and_nothing_destroyed_comes_back(kit):
    codenames = register_on_kit(kit, 3)
    _import(kit, export(kit).parts)
    withdraw_on_kit(kit, codenames[0])
    report = _import(kit, export(kit).parts)
    assert (report.withdrawn, report.added) == (1, 0)
    assert len(_central_rows(kit)) == 2
    # Everything again, in an old bundle and a new one: the destroyed record is not brought back.
    again = _import(kit, export(kit, everything=True).parts)
    assert (again.added, again.already_here, again.gone_since) == (0, 2, 0)
    assert len(_central_rows(kit)) == 2
    connection = kit.central.connect()
    try:
        from app.registrations.lifecycle import find_by_codename, withdraw

        lookup_key = kit.central.secrets.codename_lookup_key
        withdraw(connection, find_by_codename(connection, lookup_key, kit.central.event.id, codenames[1]))
    finally:
        connection.close()
    latest = _import(kit, export(kit, everything=True).parts)
    assert (latest.added, latest.gone_since) == (0, 1)
    assert len(_central_rows(kit)) == 1


def _flip(part: bytes, position: int, mask: int = 0x01) -> bytes:
    changed = bytearray(part)
    changed[position] ^= mask
    return bytes(changed)


def _refused(kit, parts, error=BundleError) -> BundleError:
    with pytest.raises(error) as refused:
        _import(kit, parts)
    assert str(refused.value) and "Traceback" not in str(refused.value)
    return refused.value


def test_any_single_byte_flipped_in_a_small_bundle_is_refused_and_changes_nothing(kit):
    register_on_kit(kit, 1)
    (part,) = export(kit).parts
    before = central_dump(kit)
    connection = kit.central.connect()
    try:
        for position in range(len(part)):
            with pytest.raises(BundleError):
                import_from_kit(connection, kit.central, [_flip(part, position, 1 << (position % 8))])
    finally:
        connection.close()
    assert central_dump(kit) == before
    assert _import(kit, [part]).added == 1  # the untouched bundle still imports


def test_random_bytes_flipped_in_a_large_bundle_in_parts_are_refused_and_name_the_part(kit):
    register_on_kit(kit, 200)
    parts = export(kit, part_size=16_384).parts
    assert len(parts) >= 14 and sum(map(len, parts)) > 200_000
    before = central_dump(kit)
    chosen = random.Random(6)
    for _ in range(150):
        number = chosen.randrange(len(parts))
        position = chosen.randrange(len(parts[number]))
        damaged = list(parts)
        damaged[number] = _flip(parts[number], position, chosen.randrange(1, 256))
        error = _refused(kit, damaged)
        if isinstance(error, BundleDamaged) and error.total:
            assert f"{number + 1} of {len(parts)}" in str(error) or str(number + 1) in str(error)
    assert central_dump(kit) == before


def test_cut_extended_missing_or_mixed_parts_are_refused_with_what_is_wrong(kit, tmp_path):
    register_on_kit(kit, 12)
    parts = export(kit, part_size=2048).parts
    register_on_kit(kit, 12, "x")
    other = export(kit, part_size=2048).parts
    before = central_dump(kit)
    for cut in (0, 1, 29, 78, len(parts[0]) // 2, len(parts[0]) - 1):
        _refused(kit, [parts[0][:cut], *parts[1:]])
    _refused(kit, [parts[0] + b"\x00", *parts[1:]], BundleDamaged)
    _refused(kit, [*parts, b"one more thing"])
    missing = _refused(kit, [*parts[:2], *parts[3:]], MissingParts)
    assert f"Part 3 of {len(parts)} is missing" in str(missing)
    _refused(kit, [other[0], *parts[1:]], MixedParts)
    assert central_dump(kit) == before


def test_a_bundle_signed_by_a_kit_central_did_not_issue_is_refused(kit):
    register_on_kit(kit, 1)
    connection = kit.instance.connect()
    try:
        record = next(iter(connection.execute("SELECT id FROM registrations")))
        central_key = identity(connection).central_bundle_public_key
        definition = connection.execute("SELECT definition FROM events").fetchone()[0]
    finally:
        connection.close()
    from app.kits.bundle import definition_hash

    genuine = export(kit).parts
    stranger = write_bundle(
        KIND,
        {"event": kit.central.event.id, "kit": "border-1", "definition": definition_hash(definition), "format": FORMAT},
        [bytes([2]) + bytes.fromhex(record[0])],
        signing_key=SigningKey.generate(),
        recipient=central_key,
    )
    before = central_dump(kit)
    error = _refused(kit, stranger, UnknownSigner)
    assert "does not trust" in str(error)
    other_central, _words = make_central(kit.kit_file.parent / "elsewhere")
    connection = other_central.connect()
    try:
        with pytest.raises(NotForThisKey):
            import_from_kit(connection, other_central, genuine)
    finally:
        connection.close()
    assert central_dump(kit) == before


def test_authentic_bundles_for_another_event_definition_or_with_foreign_keys_are_refused(kit):
    register_on_kit(kit, 1)
    connection = kit.instance.connect()
    try:
        with db.transaction(connection):
            connection.execute("UPDATE data_key_slots SET key_generation = 7 WHERE compartment = 'needs'")
        made = export(kit)
        with db.transaction(connection):
            connection.execute("UPDATE events SET definition = definition || '# changed'")
        other = export(kit, everything=True)
    finally:
        connection.close()
    before = central_dump(kit)
    assert "does not have (needs, generation 7)" in str(_refused(kit, made.parts, SyncError))
    assert "another version of this event's definition" in str(_refused(kit, other.parts, SyncError))
    assert central_dump(kit) == before


def test_a_record_decodes_to_what_was_encoded_and_every_cut_of_it_is_malformed(kit):
    register_on_kit(kit, 1)
    connection = kit.instance.connect()
    try:
        (stored,) = load_all_records(connection, kit.instance.event.id)
        pseudonym, day, lookup = connection.execute(
            "SELECT pseudonym, submitted_day, codename_lookup FROM registrations"
        ).fetchone()
    finally:
        connection.close()
    record = RegistrationRecord(stored.registration_id, pseudonym, "submitted", day, lookup, stored.parts)
    data = encode(record, kit.instance.event)
    decoded = decode(data, kit.instance.event)
    assert dataclasses.replace(decoded, parts=()) == dataclasses.replace(record, parts=())
    assert sorted(decoded.parts, key=_by_compartment) == sorted(record.parts, key=_by_compartment)
    for cut in range(len(data)):
        with pytest.raises(RecordMalformed):
            decode(data[:cut], kit.instance.event)
    with pytest.raises(RecordMalformed):
        decode(data + b"\x00", kit.instance.event)


def _by_compartment(part: tuple[int, crypto.SealedPart]) -> str:
    return part[1].compartment


def _read_all(descriptor: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(descriptor, 65536)
        except OSError:  # the terminal's other end is closed: everything has been read
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_an_import_draws_a_progress_bar_on_a_terminal_and_nothing_when_not_on_one(kit, tmp_path):
    register_on_kit(kit, 5)
    paths = write_parts(tmp_path / "sync.ghb", export(kit, part_size=2048).parts)
    terminal, terminal_end = os.openpty()
    on_terminal = subprocess.run(
        [sys.executable, "-m", "app", "bundle", "import", "--instance", str(kit.central.path), *map(str, paths)],
        stdout=subprocess.PIPE,
        stderr=terminal_end,
        timeout=120,
    )
    os.close(terminal_end)
    drawn = _read_all(terminal).decode()
    os.close(terminal)
    assert on_terminal.returncode == 0
    assert "Checking" in drawn and "Importing" in drawn and "100%" in drawn and "[####" in drawn
    assert "[#" not in on_terminal.stdout.decode()

    quiet = subprocess.run(
        [sys.executable, "-m", "app", "bundle", "import", "--instance", str(kit.central.path), *map(str, paths)],
        capture_output=True,
        timeout=120,
    )
    assert quiet.returncode == 0 and b"already imported" in quiet.stdout and quiet.stderr == b""


def test_a_revoked_kit_is_refused_and_listed_as_revoked(kit):
    register_on_kit(kit, 2)
    first = export(kit)
    assert _import(kit, first.parts).added == 2
    register_on_kit(kit, 1, "late")
    later = export(kit)
    revoked = subprocess.run(
        [sys.executable, "-m", "app", "kit", "revoke", "border-1", "--instance", str(kit.central.path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert revoked.returncode == 0, revoked.stderr
    before = central_dump(kit)
    assert "border-1 was revoked on" in str(_refused(kit, later.parts, SyncError))
    assert central_dump(kit) == before
    listed = subprocess.run(
        [sys.executable, "-m", "app", "kit", "list", "--instance", str(kit.central.path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "border-1" in listed.stdout and "revoked" in listed.stdout and "2 registrations brought" in listed.stdout


def test_the_import_command_refuses_any_file_that_is_not_a_bundle_with_a_sentence(kit, tmp_path):
    before = central_dump(kit)
    for content in (b"", b"PK\x03\x04 a zip file", bytes(range(256)) * 40, b"\x89GHB\n\x1a\n\x01"):
        target = tmp_path / "candidate"
        target.write_bytes(content)
        result = subprocess.run(
            [sys.executable, "-m", "app", "bundle", "import", "--instance", str(kit.central.path), str(target)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 1 and result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
        assert "Nothing was imported." in result.stderr
    assert central_dump(kit) == before
