"""A rogue admin: an administrator account holding no grant, with the web pages, the CLI and a shell.

A grant is a compartment key sealed by someone who holds it, so an admin who holds none cannot
read, cannot grant, and cannot forge a grant; what an admin can do to access (revoke, rotate,
add or disable staff) is in the log.
"""

from __future__ import annotations

import csv
import io

import pytest

import crypto
from app.audit import log as audit
from app.instance.folder import open_instance
from app.keys.keyring import keys_held_by
from app.registrations.records import load_all_records, open_record
from app.storage import db
from tests.conftest import running_server
from tests.security import canaries, scenes, visitor
from tests.test_staff_cli import gatehouse


def _grants(instance_path):
    connection = open_instance(instance_path).connect()
    try:
        return connection.execute(
            "SELECT staff_id, compartment, generation, granted_by FROM grants ORDER BY 1, 2, 3"
        ).fetchall()
    finally:
        connection.close()


def test_rogue_admin_without_grants_opens_no_record_and_exports_nothing(demo_instance, team, tmp_path):
    with running_server(demo_instance.path, tmp_path) as server:
        participants = scenes.a_working_day(server.url, team)
        root = visitor.log_in(server.url, team["root"])
        pages = [visitor.open_record(root, rid, "annual review") for rid in visitor.registration_ids(root)]
        exported = root.post_form("/staff/", "/staff/export", {"reason": "annual review"}).html
    assert len(pages) == len(participants) and all(page.status == 200 for page in pages)
    assert all(canaries.found_in(page.html) == set() for page in pages)
    assert all(page.html.count("Not yours to see.") == 6 for page in pages)
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0] == ["pseudonym", "status", "submitted_day"] and len(rows) == 1 + len(participants)
    assert canaries.found_in(exported) == set()


def test_rogue_admin_cannot_grant_itself_a_compartment_on_the_web(demo_instance, team, tmp_path):
    before = _grants(demo_instance.path)
    with running_server(demo_instance.path, tmp_path) as server:
        root = visitor.log_in(server.url, team["root"])
        answers = [
            root.post_form(
                "/staff/grants", "/staff/grants", {"grant-compartment": c, "grant-username": who}, prefix="grant-"
            )
            for c in ("identity", "safety", "visa")
            for who in ("root", "otto")
        ]
    assert all(answer.status == 403 and "You do not hold this compartment" in answer.html for answer in answers)
    assert _grants(demo_instance.path) == before


def test_rogue_admin_cannot_grant_itself_a_compartment_with_the_cli(demo_instance, team):
    before = _grants(demo_instance.path)
    instance = ["--instance", str(demo_instance.path)]
    root_passphrase = team["root"].passphrase + "\n"
    attempts = {
        "from itself": gatehouse("grant", "--compartment", "identity", "--to", "root", "--from", "root", *instance,
                                 stdin=root_passphrase),
        "from ana, without her passphrase": gatehouse("grant", "--compartment", "identity", "--to", "root", "--from",
                                                       "ana", *instance, stdin=root_passphrase),
        "with made-up recovery words": gatehouse("grant", "--compartment", "identity", "--to", "root", "--recovery",
                                                 *instance, stdin=" ".join(["abandon"] * 24) + "\n"),
    }  # fmt: skip
    for what, result in attempts.items():
        assert result.returncode != 0, what
        assert "Traceback" not in result.stderr, what
    assert "does not hold identity" in attempts["from itself"].stderr
    assert _grants(demo_instance.path) == before


def test_rogue_admin_with_a_shell_cannot_forge_a_grant(demo_instance, team, tmp_path):
    """With the database key and its own passphrase, the admin writes itself a grant: it opens nothing."""
    with running_server(demo_instance.path, tmp_path) as server:
        scenes.a_working_day(server.url, team)
    instance = open_instance(demo_instance.path)
    connection = instance.connect()
    try:
        root_id, root_public, locked = connection.execute(
            "SELECT id, public_key, locked_private_key FROM staff WHERE username = 'root'"
        ).fetchone()
        with db.transaction(connection):
            for compartment in ("identity", "safety"):
                connection.execute(
                    "INSERT INTO grants (staff_id, event_id, compartment, generation, sealed_private_key, granted_by,"
                    " granted_day) VALUES (?, ?, ?, 1, ?, 'ana', '2027-01-01')",
                    (
                        root_id,
                        instance.event.id,
                        compartment,
                        crypto.seal_to(root_public, bytes(crypto.new_key_pair())),
                    ),
                )
        forged = keys_held_by(
            connection, root_id, instance.event.id, crypto.unlock_private_key(locked, team["root"].passphrase)
        )
        records = list(load_all_records(connection, instance.event.id))
    finally:
        connection.close()
    assert {compartment for compartment, _generation in forged} == {"identity", "safety"}
    for record in records:
        with pytest.raises(crypto.RecordTampered):
            open_record(instance.event.id, record, forged)


def test_rogue_admin_revocations_rotations_and_staff_changes_are_logged(demo_instance, team, tmp_path):
    with running_server(demo_instance.path, tmp_path) as server:
        root = visitor.log_in(server.url, team["root"])
        revoked = root.post_form(
            "/staff/grants",
            "/staff/grants",
            {"revoke-compartment": "needs", "revoke-username": "otto", "revoke-rotate": "y"},
            prefix="revoke-",
        )
        assert revoked.status == 200 and "Revoked" in revoked.html
    instance = ["--instance", str(demo_instance.path)]
    assert gatehouse("revoke", "--compartment", "contact", "--from", "ana", "--rotate", *instance).returncode == 0
    assert gatehouse("staff", "add", "eve", "--role", "admin", *instance).returncode == 0
    assert gatehouse("staff", "disable", "otto", *instance).returncode == 0

    opened = open_instance(demo_instance.path)
    connection = opened.connect()
    try:
        entries = audit.entries(connection)
        assert audit.verify_stored(connection, opened.event.id).ok
    finally:
        connection.close()
    logged = [(e.actor, e.action, e.subject, e.detail) for e in entries]
    assert ("root", "revoke", "otto", '{"compartment": "needs", "rotated_to_generation": 2}') in logged
    assert ("cli", "revoke", "ana", '{"compartment": "contact", "rotated_to_generation": 2}') in logged
    assert ("cli", "staff-add", "eve", '{"role": "admin"}') in logged
    assert ("cli", "staff-disable", "otto", "{}") in logged
