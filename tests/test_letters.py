"""Visa letters: made from the letter's fields for readers holding every compartment it reads, checked first,
registered, and verifiable (genuine, not revoked, for that passport) even after the passport details are gone."""

from __future__ import annotations

import datetime
import json
import re
from importlib import resources

import pytest

from app.audit import log as audit
from app.events.definition import EventDefinitionError, demo_event_source, load_event
from app.instance.folder import open_instance, opened
from app.instance.setup import create_instance
from app.registrations import letter_document, letter_register, letters, retention
from app.registrations.letter_register import Verdict
from app.registrations.set_aside import ReasonRequired
from app.storage import db
from crypto import letters as letter_crypto
from tests.letter_fixtures import NAMES, REASON, scene_in


@pytest.fixture
def scene(tmp_path):
    yield from scene_in(tmp_path)


def _entries(scene, action: str) -> list:
    return [entry for entry in audit.entries(scene.connection) if entry.action == action]


def test_a_letter_holds_the_passport_name_and_number_and_the_event_dates(scene):
    first, second = scene.approve(0), scene.approve(1)
    run = letters.make_letters(scene.connection, scene.event, keys=scene.recovery_keys(), actor="vera", reason=REASON)
    assert [letter.pseudonym for letter in run.letters] == sorted([first, second])
    assert [letter.reference for letter in run.letters] == ["SDF27-0001", "SDF27-0002"]
    page = letter_document.document(run.letters, "Visa letters")
    for number, name in enumerate(NAMES):
        assert name in page and f"QZX7P{number:04d}" in page
    assert "May 4, 2027" in page and "May 7, 2027" in page
    assert page.count('<article class="letter"') == 2 and "<script" not in page


def test_a_genuine_letter_passes_and_any_change_fails(scene):
    scene.approve(0)
    keys = scene.recovery_keys()
    (letter,) = letters.make_letters(scene.connection, scene.event, keys=keys, actor="vera", reason=REASON).letters

    def verdict(reference=letter.reference, code=letter.code, passport="QZX7P0000"):
        return letter_register.verify(
            scene.connection, scene.event, reference=reference, code=code, passport=passport, actor="vera"
        )

    assert verdict() is Verdict.GENUINE
    assert verdict(code=letter.code.lower().replace("-", " "), passport="qzx7 p0000") is Verdict.GENUINE
    assert verdict(reference="SDF27-0002") is Verdict.UNKNOWN
    changed = ("A" if letter.code[0] != "A" else "B") + letter.code[1:]
    assert verdict(code=changed) is Verdict.NOT_GENUINE
    assert verdict(passport="QZX7P0001") is Verdict.NOT_GENUINE
    # The day is not typed: it is signed. A register whose day was changed no longer matches the code.
    scene.connection.execute("UPDATE letter_register SET issued_day = '2027-01-01'")
    assert verdict() is Verdict.NOT_GENUINE


def test_a_revoked_letter_fails_and_the_revocation_is_logged(scene):
    scene.approve(0)
    keys = scene.recovery_keys()
    (letter,) = letters.make_letters(scene.connection, scene.event, keys=keys, actor="vera", reason=REASON).letters
    reference = letter.reference
    letter_register.revoke(scene.connection, scene.event, reference=reference, reason="passport lost", actor="vera")
    verdict = letter_register.verify(
        scene.connection, scene.event, reference=letter.reference, code=letter.code, passport="QZX7P0000", actor="vera"
    )
    assert verdict is Verdict.REVOKED
    (entry,) = _entries(scene, "letter revoked")
    assert (json.loads(entry.detail)["reference"], entry.reason) == (letter.reference, "passport lost")


def test_a_letter_still_verifies_after_the_purge_destroyed_the_passport(scene):
    scene.approve(0)
    keys = scene.recovery_keys()
    (letter,) = letters.make_letters(scene.connection, scene.event, keys=keys, actor="vera", reason=REASON).letters
    retention.purge(scene.connection, scene.event, scene.event.ends + datetime.timedelta(days=61))
    assert scene.connection.execute("SELECT count(*) FROM field_values").fetchone()[0] == 0
    verdict = letter_register.verify(
        scene.connection, scene.event, reference=letter.reference, code=letter.code, passport="QZX7P0000", actor="x"
    )
    assert verdict is Verdict.GENUINE


def test_the_register_forgets_its_letters_after_its_retention(scene):
    scene.approve(0)
    letters.make_letters(scene.connection, scene.event, keys=scene.recovery_keys(), actor="vera", reason=REASON)
    forgets_on = scene.event.letters_register_forgets_on()
    retention.purge(scene.connection, scene.event, forgets_on - datetime.timedelta(days=1))
    assert scene.connection.execute("SELECT count(*) FROM letter_register").fetchone()[0] == 1
    retention.purge(scene.connection, scene.event, forgets_on)
    assert scene.connection.execute("SELECT count(*) FROM letter_register").fetchone()[0] == 0


def test_a_reader_without_every_letter_compartment_cannot_make_letters(scene):
    scene.approve(0)
    keys = scene.recovery_keys()
    visa_only = {(c, g): key for (c, g), key in keys.items() if c == "visa"}
    for held in ({}, visa_only):  # an admin without grants holds nothing
        with pytest.raises(letters.MayNotMakeLetters):
            letters.make_letters(scene.connection, scene.event, keys=held, actor="root", reason=REASON)
    with pytest.raises(ReasonRequired):
        letters.make_letters(scene.connection, scene.event, keys=keys, actor="vera", reason="  ")
    assert not _entries(scene, "letters")
    assert scene.connection.execute("SELECT count(*) FROM letter_register").fetchone()[0] == 0


def test_every_letter_made_is_in_the_log_with_its_reason_before_anything_is_opened(scene):
    pseudonyms = sorted([scene.approve(0), scene.approve(1)])
    run = letters.make_letters(scene.connection, scene.event, keys=scene.recovery_keys(), actor="vera", reason=REASON)
    (opening,) = _entries(scene, "letters")
    detail = json.loads(opening.detail)
    assert (detail["pseudonyms"], detail["compartments"], opening.reason) == (pseudonyms, ["travel", "visa"], REASON)
    (registered,) = _entries(scene, "letters registered")
    assert json.loads(registered.detail)["references"] == {letter.pseudonym: letter.reference for letter in run.letters}
    assert opening.seq < registered.seq


def test_a_passport_expiring_too_soon_or_a_missing_field_gets_no_letter_without_an_override(scene):
    early = scene.approve(0, passport_expiry="2027-08-06")  # the event ends on 7 May 2027: 7 August is the least
    missing = scene.approve(1, travel_from="")
    on_time = scene.approve(2, passport_expiry="2027-08-07")
    keys = scene.recovery_keys()
    check = letters.check_letters(scene.connection, scene.event, keys=keys, actor="vera", reason=REASON)
    assert check.ready == (on_time,)
    findings = {f.pseudonym: f for f in check.findings}
    assert findings[early].expires == datetime.date(2027, 8, 6) and findings[missing].missing == ("travel_from",)
    assert scene.connection.execute("SELECT count(*) FROM letter_register").fetchone()[0] == 0

    run = letters.make_letters(scene.connection, scene.event, keys=keys, actor="vera", reason=REASON)
    assert [letter.pseudonym for letter in run.letters] == [on_time]
    assert {f.pseudonym for f in run.findings} == {early, missing}
    with pytest.raises(letters.OverrideReasonRequired):
        letters.make_letters(scene.connection, scene.event, keys=keys, actor="vera", reason=REASON, overrides=[early])
    run = letters.make_letters(
        scene.connection, scene.event, keys=keys, actor="vera", reason=REASON,
        overrides=[early], override_reason="consulate accepts it",
    )  # fmt: skip
    assert [letter.pseudonym for letter in run.letters] == [early]
    assert [f.pseudonym for f in run.findings] == [missing]
    (override,) = _entries(scene, "letter checks overridden")
    assert json.loads(override.detail) == {"pseudonyms": [early], "checks": ["passport expiry"]}
    assert override.reason == "consulate accepts it"


def test_a_missing_passport_number_cannot_be_overridden(scene):
    nobody = scene.approve(0, passport_number="")
    run = letters.make_letters(
        scene.connection, scene.event, keys=scene.recovery_keys(), actor="vera", reason=REASON,
        overrides=[nobody], override_reason="we will write it by hand",
    )  # fmt: skip
    assert run.letters == () and run.findings[0].no_passport_number


def test_the_register_holds_no_passport_value(scene):
    scene.approve(0)
    letters.make_letters(scene.connection, scene.event, keys=scene.recovery_keys(), actor="vera", reason=REASON)
    rows = scene.connection.execute("SELECT * FROM letter_register").fetchall()
    text = repr(rows) + "".join(json.dumps(entry.detail) for entry in audit.entries(scene.connection))
    assert "QZX7P0000" not in text and "Nguy" not in text
    assert len(rows[0][5]) == 32  # the keyed hash


def _with_letters_table(table: str) -> str:
    """The demo event with its [letters] table replaced."""
    source = demo_event_source()
    return source[: source.index("[letters]")] + table


_TABLE = """[letters]
reference_prefix = "SDF27"
letterhead = ["Nordic Defenders Network"]
signatory_name = "Astrid Berg"
signatory_title = "Programme Director"
passport_number = "passport_number"
passport_expiry = "passport_expiry"
register_retain_days_after_event = 365
[letters.body]
en = "We invite {passport_name} to {event.name}."
"""


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("{passport_name}", "{passport_nmae}"), "{passport_nmae}"),
        (("{event.name}", "{event.place}"), "{event.place}"),
        (('en = "We', 'es = "Invitamos a {nombre}."\nen = "We'), "{nombre}"),
        (('passport_number = "passport_number"', 'passport_number = "passport_expiry"'), "passport_number"),
        (('reference_prefix = "SDF27"', 'reference_prefix = "sdf-27"'), "reference_prefix"),
        (("register_retain_days_after_event = 365\n", ""), "register_retain_days_after_event"),
    ],
)
def test_the_event_file_names_a_placeholder_or_a_letter_setting_that_is_wrong(change, named):
    assert load_event(_with_letters_table(_TABLE)).letters is not None
    with pytest.raises(EventDefinitionError, match=re.escape(named)):
        load_event(_with_letters_table(_TABLE.replace(*change)))


def test_the_letter_needs_every_compartment_its_placeholders_read():
    rules = load_event(_with_letters_table(_TABLE)).letters
    assert rules.compartments == ("visa",)
    rules = load_event(_with_letters_table(_TABLE.replace("{event.name}", "{event.name} from {travel_from}"))).letters
    assert rules.compartments == ("travel", "visa")


def test_an_instance_without_a_letter_key_draws_one_on_first_use_and_keeps_it(scene):
    def stored() -> list:
        return scene.connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'letters'").fetchall()

    assert stored() == []  # as on an instance set up before letters existed
    scene.approve(0)
    (first,) = letters.make_letters(
        scene.connection, scene.event, keys=scene.recovery_keys(), actor="vera", reason=REASON
    ).letters
    assert len(stored()) == 1
    verdict = letter_register.verify(
        scene.connection, scene.event, reference=first.reference, code=first.code, passport="QZX7P0000", actor="x"
    )
    assert verdict is Verdict.GENUINE and len(stored()) == 1


def test_an_instance_from_before_letters_migrates_and_makes_them(tmp_path):
    path = tmp_path / "old"
    create_instance(path, demo_event_source())
    instance = open_instance(path)
    with instance.connection() as connection:
        # What an instance at version 9 holds: neither the register (0010), nor the scrub mark and its triggers
        # (0011), nor check-in (0012), nor the blocks of numbers reserved for offline letters (0014).
        for (trigger,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            connection.execute(f'DROP TRIGGER "{trigger}"')
        for table in ("passes", "arrivals", "desk_list", "desk_passes", "pass_lists"):
            connection.execute(f"DROP TABLE {table}")
        connection.execute("ALTER TABLE kits DROP COLUMN bundle_public_key")
        for table in ("scrub_pending", "letter_register", "letter_blocks"):
            connection.execute(f"DROP TABLE {table}")
        _values_as_before_slots(connection)
        connection.execute("PRAGMA user_version = 9")
    with opened(path) as (reopened, connection):
        assert connection.execute("PRAGMA user_version").fetchone()[0] == db.latest_version()
        assert letter_register.register_size(connection, reopened.event) == 0


def _values_as_before_slots(connection) -> None:
    """Migration 0015 undone on an instance holding no value yet: the tables that held values, as 0001 and 0009
    made them, in place of the views and the slots."""
    for view in ("data_keys", "field_values", "messages"):
        connection.execute(f"DROP VIEW {view}")
    for table in ("message_slots", "field_value_slots", "data_key_slots", "sealed_slots"):
        connection.execute(f"DROP TABLE {table}")
    migrations = resources.files("app.storage").joinpath("migrations")
    for name, table in (("0001_initial.sql", "data_keys"), ("0001_initial.sql", "field_values"),
                        ("0009_messages.sql", "messages")):  # fmt: skip
        sql = migrations.joinpath(name).read_text("utf-8")
        connection.execute(re.search(rf"CREATE TABLE {table} \(.*?\) WITHOUT ROWID;", sql, re.DOTALL)[0])


def test_the_code_is_twenty_characters_that_survive_being_read_aloud():
    keys = letter_crypto.letter_keys(bytes(32))
    day = datetime.date(2027, 2, 1)
    code = letter_crypto.verification_code(
        keys, reference="SDF27-0001", day=day, starts=day, ends=day, hashed_passport=bytes(32)
    )
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{5}-){3}[0-9A-HJKMNP-TV-Z]{5}", code)
    misread = code.lower().replace("0", "o").replace("1", "l").replace("-", " ")
    assert letter_crypto.codes_match(code, misread)
    assert letter_crypto.passport_hash(keys, "ab 12-345") == letter_crypto.passport_hash(keys, "AB12345")
