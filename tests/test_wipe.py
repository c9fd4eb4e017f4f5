"""An emergency wipe leaves nothing that any key opens: not the recovery words, not a staff key, not the key file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlcipher3
from click.testing import CliRunner

import crypto
from app.cli.main import cli
from app.events.definition import demo_event_source, load_event
from app.instance import wipe
from app.instance.folder import SECRET_FILE, Instance
from app.instance.setup import set_up_database
from app.keys import keyring
from app.registrations.records import load_all_records
from app.staff import grants
from app.staff.accounts import add_staff
from app.storage import db
from app.web.state import state_of
from tests.retention_helpers import register_one
from tests.staff_fixtures import TEST_COST, csrf, login, register_canary

CANARY = "QZX7WIPE93"


def test_after_a_wipe_no_key_opens_anything_left_on_disk(demo_instance, app, client, team, tmp_path, monkeypatch):
    register_canary(client, CANARY)
    instance_dir = demo_instance.path
    key_file_before = (instance_dir / SECRET_FILE).read_bytes()
    copy = tmp_path / "copied-before-deletion"

    real_remove = wipe.remove_files

    def copy_then_remove(path: Path) -> list[str]:
        shutil.copytree(path, copy)  # what someone imaging the disk just before the deletion step would hold
        return real_remove(path)

    monkeypatch.setattr(wipe, "remove_files", copy_then_remove)
    state_of(app).wal_holder.close()
    result = CliRunner().invoke(cli, ["wipe", "--instance", str(instance_dir), "--confirm", "stockholm-forum-2027"])
    assert result.exit_code == 0, result.output
    assert "6  compartment keys sealed to the recovery key" in result.output

    assert not any((instance_dir / name).exists() for name in (SECRET_FILE, db.DATABASE_FILE, "gatehouse.db-wal"))
    database_key = crypto.derive_instance_secrets(key_file_before).database_key
    assert (copy / SECRET_FILE).read_bytes() == key_file_before  # the key file itself is only destroyed last
    with pytest.raises(db.DatabaseKeyError):
        db.connect(copy / db.DATABASE_FILE, database_key)
    on_disk = b"".join(p.read_bytes() for p in copy.iterdir())
    assert CANARY.encode() not in on_disk


def _unencrypted_instance_with_staff(tmp_path: Path):
    connection = db.configure(
        sqlcipher3.connect(str(tmp_path / "unencrypted.db"), isolation_level=None, factory=db.ClockedConnection)
    )
    event = load_event(demo_event_source())
    words = set_up_database(connection, event, demo_event_source())
    instance = Instance(tmp_path, crypto.derive_instance_secrets(crypto.new_master_secret()), event)
    recovery_key = crypto.private_key_from_recovery_words(" ".join(words))
    account = add_staff(connection, "ana", "staff", cost=TEST_COST)
    held = keyring.keys_from_recovery(connection, event.id, recovery_key)
    for compartment in ("identity", "needs"):
        grants.grant(connection, event, compartment=compartment, to="ana", holder_keys=held, actor="recovery")
    for _ in range(20):
        register_one(connection, instance)
    return connection, event, recovery_key, account


def test_destroying_the_keys_leaves_no_sealed_key_in_the_files(tmp_path):
    """Run on a database without page encryption, so that what is left can be searched byte by byte."""
    connection, event, recovery_key, account = _unencrypted_instance_with_staff(tmp_path)
    staff_key = crypto.unlock_private_key(account.member.locked_private_key, account.passphrase)
    assert keyring.keys_from_recovery(connection, event.id, recovery_key)
    assert keyring.keys_held_by(connection, account.member.id, event.id, staff_key)
    sealed = [
        row[0]
        for query in (
            "SELECT sealed_data_key FROM data_keys",
            "SELECT private_key_sealed_to_recovery FROM compartment_keys",
            "SELECT sealed_private_key FROM grants",
            "SELECT locked_private_key FROM staff",
            "SELECT private_key FROM instance_keys",
        )
        for row in connection.execute(query)
    ]
    assert len(sealed) > 20 + 6 + 2

    report = wipe.destroy_keys(connection, event.id, "cli")
    assert report.destroyed["sealed data keys"] == 20 * 4  # four compartments asked at registration

    on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("unencrypted.db*"))
    assert [s for s in sealed if any(s[i : i + 16] in on_disk for i in range(0, len(s) - 16, 8))] == []
    assert keyring.keys_from_recovery(connection, event.id, recovery_key) == {}
    assert keyring.keys_held_by(connection, account.member.id, event.id, staff_key) == {}
    assert list(load_all_records(connection, event.id)) == []
    connection.close()


def test_an_admin_wipes_from_the_browser_with_passphrase_and_a_fresh_code(demo_instance, app, client, team):
    register_canary(client, CANARY)
    login(client, team["root"])
    token = csrf(client, "/staff/wipe")
    form = {"csrf_token": token, "event_id": "stockholm-forum-2027", "passphrase": team["root"].passphrase}

    refused = client.post("/staff/wipe", data={**form, "code": "000000"})
    assert refused.status_code == 400 and (demo_instance.path / db.DATABASE_FILE).exists()
    wrong_event = client.post("/staff/wipe", data={**form, "event_id": "another-event", "code": team["root"].code()})
    assert wrong_event.status_code == 400 and (demo_instance.path / db.DATABASE_FILE).exists()

    done = client.post("/staff/wipe", data={**form, "code": team["root"].code()})
    assert done.status_code == 200 and "Wiped" in done.get_data(as_text=True)
    assert not (demo_instance.path / db.DATABASE_FILE).exists() and not (demo_instance.path / SECRET_FILE).exists()
    assert client.get("/").status_code == 503
    assert client.get("/staff/").status_code == 503


def test_only_an_admin_may_wipe(client, team):
    login(client, team["ana"])
    assert client.get("/staff/wipe").status_code == 403
