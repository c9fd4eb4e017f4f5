"""Visa letters made on an air-gapped laptop: from a staff export made for it, with central's checks, numbered in
a block central reserved, and registered at central from a bundle, whole, once, and only inside that block."""

from __future__ import annotations

import dataclasses
import datetime
import json
import stat

import pytest
from nacl.public import PrivateKey

import crypto
from app.audit import log as audit
from app.registrations import letter_blocks, letter_document, letter_register, letters
from app.registrations.letter_register import Verdict
from app.registrations.set_aside import ReasonRequired
from app.staff.accounts import find_staff
from app.staff.offline_export import StaffExportError, export_for_staff, open_staff_export
from app.staff.offline_letters import make_offline_letters
from app.storage import db
from offline_bundle import BundleError, read_bundle
from tests.letter_fixtures import NAMES, REASON, scene_in
from tests.staff_fixtures import make_team
from tests.test_staff_cli import gatehouse

ROSTER = {"vera": ("staff", ["visa", "travel"]), "vic": ("staff", ["visa"])}


@pytest.fixture
def scene(tmp_path):
    yield from scene_in(tmp_path)


@pytest.fixture
def team(scene):
    return make_team(scene.instance.path, scene.words, ROSTER)


def _export(scene, username: str, letter_numbers: int = 10) -> list[bytes]:
    delivered: list[bytes] = []
    export_for_staff(scene.connection, scene.instance, username, delivered.extend, letter_numbers=letter_numbers)
    return delivered


def _key(scene, team, username: str) -> PrivateKey:
    return crypto.unlock_private_key(
        find_staff(scene.connection, username).locked_private_key, team[username].passphrase
    )


def _on_laptop(scene, team, parts, username: str = "vera", **options):
    key = _key(scene, team, username)
    opened = open_staff_export(parts, key, audit.signing_public_key(scene.connection))
    options = {"reason": REASON, "today": scene.connection.clock.date(), **options}
    return make_offline_letters(opened, key, **options)


def _verdict(scene, letter, passport: str) -> Verdict:
    return letter_register.verify(
        scene.connection, scene.event, reference=letter.reference, code=letter.code, passport=passport, actor="ana"
    )


def _actions(scene) -> list[str]:
    return [entry.action for entry in audit.entries(scene.connection)]


def test_letters_made_offline_verify_at_central_once_imported_and_not_before(scene, team):
    first, second = scene.approve(0), scene.approve(1)
    made = _on_laptop(scene, team, _export(scene, "vera"))
    assert [letter.pseudonym for letter in made.run.letters] == sorted([first, second])
    assert [letter.reference for letter in made.run.letters] == ["SDF27-0001", "SDF27-0002"]
    page = letter_document.document(made.run.letters, "Visa letters")
    for number, name in enumerate(NAMES):
        assert name in page and f"QZX7P{number:04d}" in page
    by_pseudonym = {letter.pseudonym: letter for letter in made.run.letters}
    assert _verdict(scene, by_pseudonym[first], "QZX7P0000") is Verdict.UNKNOWN

    report = letter_blocks.import_made(scene.connection, scene.event, made.bundle)
    assert (report.added, report.replay, report.username) == (2, False, "vera")
    assert _verdict(scene, by_pseudonym[first], "QZX7P0000") is Verdict.GENUINE
    assert _verdict(scene, by_pseudonym[second], "QZX7P0001") is Verdict.GENUINE
    assert _verdict(scene, by_pseudonym[first], "QZX7P0001") is Verdict.NOT_GENUINE
    # Made, imported, and from then on a letter like central's own: it stands until it is revoked.
    assert letters.candidates(scene.connection, scene.event) == []


def test_central_logs_the_reservation_the_opening_and_the_registration_with_the_laptops_reason(scene, team):
    pseudonym = scene.approve(0)
    made = _on_laptop(scene, team, _export(scene, "vera", 5))
    letter_blocks.import_made(scene.connection, scene.event, made.bundle)
    entries = {entry.action: entry for entry in audit.entries(scene.connection)}
    assert json.loads(entries["letter numbers reserved"].detail) == {"first": "SDF27-0001", "last": 5, "for": "vera"}
    assert json.loads(entries["staff export"].detail)["letter numbers"] == [1, 5]
    opening, registered = entries["letters"], entries["letters registered"]
    assert (opening.actor, opening.reason) == ("vera", REASON) and json.loads(opening.detail)["pseudonyms"] == [
        pseudonym
    ]
    assert json.loads(registered.detail)["references"] == {pseudonym: "SDF27-0001"}
    assert json.loads(registered.detail)["made offline"] is True
    assert "QZX7P" not in "".join(entry.detail + entry.reason for entry in audit.entries(scene.connection))


def test_central_never_numbers_its_own_letter_inside_a_reserved_block(scene, team):
    scene.approve(0)
    _export(scene, "vera", 5)
    keys = scene.recovery_keys()
    (letter,) = letters.make_letters(scene.connection, scene.event, keys=keys, actor="ana", reason=REASON).letters
    assert letter.reference == "SDF27-0006"


def test_a_bundle_imported_again_changes_nothing(scene, team):
    scene.approve(0)
    made = _on_laptop(scene, team, _export(scene, "vera"))
    letter_blocks.import_made(scene.connection, scene.event, made.bundle)
    before = (_actions(scene), letter_register.register_size(scene.connection, scene.event))
    again = letter_blocks.import_made(scene.connection, scene.event, made.bundle)
    assert (again.added, again.replay) == (0, True)
    assert (_actions(scene), letter_register.register_size(scene.connection, scene.event)) == before


def test_a_second_run_from_one_export_is_refused_whole(scene, team):
    scene.approve(0)
    parts = _export(scene, "vera")
    first_run, second_run = _on_laptop(scene, team, parts), _on_laptop(scene, team, parts)
    letter_blocks.import_made(scene.connection, scene.event, first_run.bundle)
    before = _actions(scene)
    with pytest.raises(letter_blocks.LettersRefused, match="another run"):
        letter_blocks.import_made(scene.connection, scene.event, second_run.bundle)
    assert _actions(scene) == before and letter_register.register_size(scene.connection, scene.event) == 1


def test_a_changed_byte_or_another_signer_is_refused_and_registers_nothing(scene, team, tmp_path):
    scene.approve(0)
    made = _on_laptop(scene, team, _export(scene, "vera"))
    (part,) = made.bundle
    for position in (0, len(part) // 2, len(part) - 1):
        changed = bytearray(part)
        changed[position] ^= 1
        with pytest.raises(BundleError):
            letter_blocks.import_made(scene.connection, scene.event, [bytes(changed)])
    stranger = letter_blocks.write_made(
        letter_blocks.decode_made(_opened_record(scene, made.bundle)),
        crypto.letters.letter_keys(crypto.letters.new_letter_secret()),
        _central_bundle_key(scene),
    )
    with pytest.raises(BundleError):
        letter_blocks.import_made(scene.connection, scene.event, stranger)
    assert letter_register.register_size(scene.connection, scene.event) == 0


def test_a_number_outside_the_block_is_refused_even_signed_with_the_letter_key(scene, team):
    """Whoever holds the letter secret (a laptop's staff member) still registers only inside their block."""
    scene.approve(0)
    made = _on_laptop(scene, team, _export(scene, "vera", 3))
    record = letter_blocks.decode_made(_opened_record(scene, made.bundle))
    with db.transaction(scene.connection):
        keys = letter_register.letter_keys(scene.connection)
    for number in (0, 4, 40):
        (entry,) = record.entries
        forged = dataclasses.replace(record, entries=(dataclasses.replace(entry, number=number),))
        parts = letter_blocks.write_made(forged, keys, _central_bundle_key(scene))
        with pytest.raises(letter_blocks.LettersRefused, match="outside the block"):
            letter_blocks.import_made(scene.connection, scene.event, parts)
    other_block = dataclasses.replace(record, block=(1, 9))
    with pytest.raises(letter_blocks.LettersRefused, match="did not reserve"):
        letter_blocks.import_made(
            scene.connection, scene.event, letter_blocks.write_made(other_block, keys, _central_bundle_key(scene))
        )
    assert letter_register.register_size(scene.connection, scene.event) == 0


def test_the_bundle_back_holds_no_name_and_no_passport_number(scene, team):
    scene.approve(0)
    made = _on_laptop(scene, team, _export(scene, "vera"))
    record = _opened_record(scene, made.bundle)
    for value in (*NAMES, "QZX7P0000", "Hà Nội", "2031-02-03"):
        assert value.encode() not in record and value.encode() not in made.bundle[0]


def test_the_laptop_applies_centrals_checks_and_an_override_is_logged_at_central(scene, team):
    ready, early = scene.approve(0), scene.approve(1, passport_expiry="2027-06-01")
    parts = _export(scene, "vera")
    run = _on_laptop(scene, team, parts).run
    assert [letter.pseudonym for letter in run.letters] == [ready]
    assert [(f.pseudonym, f.expires) for f in run.findings] == [(early, datetime.date(2027, 6, 1))]
    with pytest.raises(letters.OverrideReasonRequired):
        _on_laptop(scene, team, parts, overrides=[early])
    overridden = _on_laptop(scene, team, parts, overrides=[early], override_reason="the consulate accepts it")
    assert sorted(letter.pseudonym for letter in overridden.run.letters) == sorted([ready, early])
    letter_blocks.import_made(scene.connection, scene.event, overridden.bundle)
    (entry,) = [e for e in audit.entries(scene.connection) if e.action == "letter checks overridden"]
    assert (entry.actor, entry.reason) == ("vera", "the consulate accepts it")
    assert json.loads(entry.detail)["checks"] == ["passport expiry"]


def test_the_laptop_refuses_a_run_central_would_refuse_and_makes_nothing(scene, team):
    scene.approve(0), scene.approve(1)
    with pytest.raises(letters.MayNotMakeLetters):
        _export(scene, "vic")
    plain: list[bytes] = []
    export_for_staff(scene.connection, scene.instance, "vera", plain.extend)
    with pytest.raises(StaffExportError, match="no letter key"):
        _on_laptop(scene, team, plain)
    parts = _export(scene, "vera", 1)
    with pytest.raises(StaffExportError, match="block holds 1"):
        _on_laptop(scene, team, parts)
    with pytest.raises(ReasonRequired):
        _on_laptop(scene, team, parts, reason="")
    with pytest.raises(letters.NotApprovedForLetters):
        _on_laptop(scene, team, parts, only=["Nobody Here 10"])
    yesterday = scene.connection.clock.date() - datetime.timedelta(days=1)
    with pytest.raises(StaffExportError, match="clock"):
        _on_laptop(scene, team, parts, today=yesterday)


def test_the_cli_makes_letters_offline_and_central_registers_them(scene, team, tmp_path):
    scene.approve(0)
    instance = ["--instance", str(scene.instance.path)]
    bundle, key_file, out = tmp_path / "vera.ghb", tmp_path / "vera.key", tmp_path / "laptop" / "letters"
    made = gatehouse("bundle", "export", "--for-staff", "vera", "--letters", "20", "--out", str(bundle), *instance)
    assert made.returncode == 0, made.stderr
    assert "block of 20" in made.stdout
    assert gatehouse("keys", "export", "vera", "--out", str(key_file), *instance).returncode == 0
    signer = gatehouse("audit", "public-key", *instance).stdout.strip()
    opened = gatehouse(
        "bundle", "open", str(bundle), "--key", str(key_file), "--out", str(out), "--signer", signer,
        "--letters", "--reason", REASON, stdin=team["vera"].passphrase + "\n",
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    reference, code = opened.stdout.splitlines()[1].split()[:2]
    assert reference == "SDF27-0001" and "QZX7P0000" not in opened.stdout
    assert {path.name for path in out.iterdir()} == {"visa-letter-SDF27-0001.html", "letters-made-SDF27-0001.ghb"}
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in out.iterdir())
    verify = ["letters", "verify", reference, code, "--passport", "QZX7P0000", *instance]
    assert gatehouse(*verify).stdout.startswith("UNKNOWN")
    imported = gatehouse("letters", "import", str(out / "letters-made-SDF27-0001.ghb"), *instance)
    assert imported.returncode == 0 and "Registered 1 letters made offline by vera" in imported.stdout
    assert gatehouse(*verify).stdout.startswith("GENUINE")
    again = gatehouse("letters", "import", str(out / "letters-made-SDF27-0001.ghb"), *instance)
    assert again.returncode == 0 and "registered already" in again.stdout
    refused = gatehouse(
        "bundle", "open", str(bundle), "--key", str(key_file), "--out", str(out), "--signer", signer,
        "--letters", "--reason", REASON, stdin=team["vera"].passphrase + "\n",
    )  # fmt: skip
    assert refused.returncode == 1 and "exists already" in refused.stderr and "Traceback" not in refused.stderr


def _central_bundle_key(scene) -> bytes:
    (key,) = scene.connection.execute("SELECT public_key FROM instance_keys WHERE purpose = 'bundle'").fetchone()
    return bytes(key)


def _opened_record(scene, parts: list[bytes]) -> bytes:
    """The document of a letters-made bundle, opened with central's bundle key, signer unchecked."""
    (private,) = scene.connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'bundle'").fetchone()
    bundle = read_bundle(
        parts, kind=letter_blocks.KIND, trusted_signers=lambda _key: "any", recipient_key=PrivateKey(private)
    )
    (record,) = bundle.records
    return record
