"""A staff laptop or account taken: the attacker holds what one staff member holds, here a person
granted only `needs` (logistics). Nothing outside `needs` opens; the key file without its
passphrase opens nothing; the passphrase without the second factor does not log in.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

import crypto
from app.instance.folder import open_instance
from app.keys import keyring
from app.registrations.records import load_all_records, open_record
from app.storage import db
from tests.conftest import running_server
from tests.security import canaries, scenes, visitor
from tests.test_staff_cli import gatehouse

KEY_FILE_PASSPHRASE = "laptop key file passphrase of mira"


def test_staff_account_taken_opens_only_that_persons_compartments(demo_instance, team, tmp_path):
    with running_server(demo_instance.path, tmp_path) as server:
        scenes.a_working_day(server.url, team)
        otto = visitor.log_in(server.url, team["otto"])  # passphrase and authenticator, both taken
        seen = set()
        for registration_id in visitor.registration_ids(otto):
            page = visitor.open_record(otto, registration_id, "catering")
            assert page.status == 200
            seen |= canaries.compartments_seen(page.html)
        exported = otto.post_form("/staff/", "/staff/export", {"reason": "catering"}).html
        header = next(csv.reader(io.StringIO(exported)))
        granting = otto.post_form(
            "/staff/grants", "/staff/grants", {"grant-compartment": "identity", "grant-username": "otto"}, "grant-"
        )
        page_path = f"/staff/registrations/{registration_id}"
        deciding = otto.post_form(page_path, page_path + "/decision", {"decision": "approved"})
    assert seen == {"needs"}
    assert canaries.compartments_seen(exported) == {"needs"}
    assert header == ["pseudonym", "status", "submitted_day", "track", "diet", "access_needs"]
    assert granting.status == 403 and deciding.status == 403


@pytest.fixture
def key_file(tmp_path):
    """Mira's key file, made on her laptop by `gatehouse keys new`, at the production cost."""
    path = tmp_path / "mira.key"
    made = gatehouse("keys", "new", "--out", str(path), stdin=KEY_FILE_PASSPHRASE + "\n")
    assert made.returncode == 0, made.stderr
    return path


@pytest.fixture
def laptop(demo_instance, key_file):
    """Mira keeps her key offline, on her laptop; she is granted `needs` from the recovery words."""
    public_hex = re.search(r"^public ([0-9a-f]+)$", key_file.read_text(), re.MULTILINE).group(1)
    instance = ["--instance", str(demo_instance.path)]
    assert gatehouse("staff", "add", "mira", "--role", "staff", "--public-key", public_hex, *instance).returncode == 0
    words = " ".join(demo_instance.recovery_words)
    granted = gatehouse("grant", "--compartment", "needs", "--to", "mira", "--recovery", *instance, stdin=words + "\n")
    assert granted.returncode == 0, granted.stderr
    return key_file


def _locked(key_file) -> bytes:
    return bytes.fromhex(re.search(r"^locked ([0-9a-f]+)$", key_file.read_text(), re.MULTILINE).group(1))


def test_staff_laptop_taken_with_key_file_passphrase_and_a_database_copy_opens_only_needs(
    demo_instance, team, laptop, tmp_path
):
    with running_server(demo_instance.path, tmp_path) as server:
        participants = scenes.a_working_day(server.url, team)
        database = scenes.copy_database_files(demo_instance.path, tmp_path / "copied", with_key_file=True)
    mira_key = crypto.unlock_private_key(_locked(laptop), KEY_FILE_PASSPHRASE)  # the worst case: passphrase too
    instance = open_instance(demo_instance.path)
    database_key = crypto.derive_instance_secrets((database.parent / "secret.key").read_bytes()).database_key
    connection = db.connect(database, database_key)
    try:
        mira_id = connection.execute("SELECT id FROM staff WHERE username = 'mira'").fetchone()[0]
        held = keyring.keys_held_by(connection, mira_id, instance.event.id, mira_key)
        records = list(load_all_records(connection, instance.event.id))
        others_grants = connection.execute("SELECT sealed_private_key FROM grants WHERE staff_id != ?", (mira_id,))
        sealed_elsewhere = [row[0] for row in others_grants] + [
            row[0] for row in connection.execute("SELECT private_key_sealed_to_recovery FROM compartment_keys")
        ]
    finally:
        connection.close()
    assert set(held) == {("needs", 1)}
    opened = [open_record(instance.event.id, record, held) for record in records]
    assert {compartment for values in opened for compartment in values} == {"needs"}
    assert sorted(values["needs"]["access_needs"] for values in opened) == sorted(
        canaries.canary(number, "access_needs") for number in range(len(participants))
    )
    for sealed in sealed_elsewhere:  # no other sealed copy of any compartment key opens with her key
        with pytest.raises(crypto.RecordTampered):
            crypto.open_sealed(mira_key, sealed)


def test_staff_key_file_taken_without_its_passphrase_opens_nothing(key_file):
    text = key_file.read_text()
    locked = _locked(key_file)
    assert crypto.locked_key_cost(locked).at_least(crypto.PRODUCTION_COST), "every guess costs 64 MiB of Argon2id"
    unlocked = crypto.unlock_private_key(locked, KEY_FILE_PASSPHRASE)
    assert bytes(unlocked).hex() not in text and bytes(unlocked) not in key_file.read_bytes()
    for guess in ("", "mira", KEY_FILE_PASSPHRASE.upper(), KEY_FILE_PASSPHRASE + " "):
        with pytest.raises(crypto.WrongPassphrase):
            crypto.unlock_private_key(locked, guess)


def test_staff_account_taken_without_the_second_factor_cannot_log_in(demo_instance, team, tmp_path):
    otto = team["otto"]
    with running_server(demo_instance.path, tmp_path) as server:
        used_code = otto.code()
        assert visitor.log_in_with(server.url, otto, used_code).status == 303  # otto himself, earlier
        attempts = {
            "no code": visitor.log_in_with(server.url, otto, ""),
            "a wrong code": visitor.log_in_with(server.url, otto, "000000"),
            "the code otto just used": visitor.log_in_with(server.url, otto, used_code),
        }
    for what, page in attempts.items():
        assert page.status == 400, what
        assert not any(c.startswith("gatehouse_staff=") for c in page.headers.get("set-cookie", [])), what
