"""`gatehouse staff`, `grant`, `revoke` and `keys`, run as a person or a script would run them."""

from __future__ import annotations

import re
import subprocess
import sys

import crypto
from app.instance.folder import open_instance
from app.keys import keyring
from app.registrations.records import load_all_records, open_record
from tests.staff_fixtures import register_canary


def gatehouse(*arguments: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *arguments], input=stdin, capture_output=True, text=True, timeout=60
    )


def test_an_offline_key_is_registered_by_its_public_key_and_opens_grants_off_the_server(demo_instance, app, tmp_path):
    key_file = tmp_path / "mira.key"
    made = gatehouse("keys", "new", "--out", str(key_file), stdin="a long offline passphrase\n")
    assert made.returncode == 0, made.stderr
    public_hex = made.stdout.strip().splitlines()[-1]
    assert "a long offline passphrase" not in key_file.read_text()
    instance = ["--instance", str(demo_instance.path)]
    added = gatehouse("staff", "add", "mira", "--role", "staff", "--public-key", public_hex, *instance)
    assert added.returncode == 0, added.stderr
    assert "stays on their own machine" in added.stdout
    words = " ".join(demo_instance.recovery_words)
    granted = gatehouse("grant", "--compartment", "visa", "--to", "mira", "--recovery", *instance, stdin=words + "\n")
    assert granted.returncode == 0, granted.stderr

    connection = open_instance(demo_instance.path).connect()
    try:
        locked_on_server = connection.execute("SELECT locked_private_key FROM staff WHERE username='mira'").fetchone()
        staff_id = connection.execute("SELECT id FROM staff WHERE username='mira'").fetchone()[0]
        locked = bytes.fromhex(re.search(r"locked ([0-9a-f]+)", key_file.read_text()).group(1))
        offline_key = crypto.unlock_private_key(locked, "a long offline passphrase")
        held = keyring.keys_held_by(connection, staff_id, "stockholm-forum-2027", offline_key)
    finally:
        connection.close()
    assert locked_on_server == (None,), "the server never holds this person's private key"
    assert set(held) == {("visa", 1)}


def test_grant_from_a_holder_reads_the_passphrase_from_standard_input(demo_instance, app, team, client):
    register_canary(client, "QZX7CLI93")
    instance = ["--instance", str(demo_instance.path)]
    wrong = gatehouse("grant", "--compartment", "identity", "--to", "otto", "--from", "ana", *instance, stdin="no\n")
    assert wrong.returncode != 0 and "not right" in wrong.stderr and "Traceback" not in wrong.stderr
    not_held = gatehouse(
        "grant",
        "--compartment",
        "visa",
        "--to",
        "otto",
        "--from",
        "ana",
        *instance,
        stdin=team["ana"].passphrase + "\n",
    )
    assert not_held.returncode != 0 and "does not hold visa" in not_held.stderr
    granted = gatehouse(
        "grant",
        "--compartment",
        "identity",
        "--to",
        "otto",
        "--from",
        "ana",
        *instance,
        stdin=team["ana"].passphrase + "\n",
    )
    assert granted.returncode == 0, granted.stderr

    opened = open_instance(demo_instance.path)
    connection = opened.connect()
    try:
        locked = connection.execute("SELECT locked_private_key FROM staff WHERE username='otto'").fetchone()[0]
        otto = keyring.keys_held_by(
            connection,
            team["otto"].staff_id,
            opened.event.id,
            crypto.unlock_private_key(locked, team["otto"].passphrase),
        )
        (record,) = load_all_records(connection, opened.event.id)
    finally:
        connection.close()
    assert open_record(opened.event.id, record, otto)["identity"]["full_name"] == "QZX7CLI93-name"


def test_cli_refuses_bad_input_with_a_clear_message(demo_instance, team):
    instance = ["--instance", str(demo_instance.path)]
    cases = [
        (("staff", "add", "Bad Name!", "--role", "staff"), "username"),
        (("staff", "add", "ana", "--role", "staff"), "already an account"),
        (("staff", "add", "kim", "--role", "staff", "--public-key", "zz"), "64 hexadecimal"),
        (("staff", "disable", "nobody"), "no account named"),
        (("grant", "--compartment", "nowhere", "--to", "otto", "--recovery"), "no compartment named"),
        (("grant", "--compartment", "visa", "--to", "otto"), "--from USERNAME or --recovery"),
        (("grant", "--compartment", "visa", "--to", "otto", "--recovery"), "not this event's recovery words"),
    ]
    for arguments, message in cases:
        result = gatehouse(*arguments, *instance, stdin="not the words\n")
        assert result.returncode != 0, arguments
        assert message in result.stderr, (arguments, result.stderr)
        assert "Traceback" not in result.stderr


def test_disable_then_revoke_with_rotation(demo_instance, team):
    instance = ["--instance", str(demo_instance.path)]
    assert gatehouse("staff", "disable", "otto", *instance).returncode == 0
    listing = gatehouse("staff", "list", *instance).stdout
    assert re.search(r"otto\s+staff\s+disabled", listing)
    revoked = gatehouse("revoke", "--compartment", "needs", "--from", "otto", "--rotate", *instance)
    assert revoked.returncode == 0, revoked.stderr
    assert "generation 2" in revoked.stdout
    connection = open_instance(demo_instance.path).connect()
    try:
        holders = connection.execute(
            "SELECT staff.username FROM grants JOIN staff ON staff.id = grants.staff_id"
            " WHERE compartment = 'needs' AND generation = 2"
        ).fetchall()
    finally:
        connection.close()
    assert holders == [("ana",)], "the new generation goes to the remaining holders only"
