"""`gatehouse backup` and `gatehouse restore`: a backup, the instance destroyed, a restore into a new folder, and
everything back; the first due day, the rotation that keys on it, and every bad input refused in one sentence."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest

from app.audit import log as audit
from app.backups import rotation
from app.backups.backup import backup_into, first_due_day, write_backup
from app.backups.errors import BackupError
from app.backups.restore import restore_backup
from app.backups.withdrawals import export_record
from app.events.definition import demo_event_source
from app.instance import wipe
from app.instance.folder import SECRET_FILE, open_instance, opened
from app.instance.setup import create_instance
from app.kits.sync import import_from_kit
from app.registrations.lifecycle import decide, find_by_codename, find_by_id, withdraw
from app.serving.maintenance import run_daily
from app.web.application import create_app
from tests.helpers import SetClock, codename_on, hidden_fields, page_text, valid_answers
from tests.kit_fixtures import make_kit
from tests.retention_helpers import register_one
from tests.staff_fixtures import login, open_page, registration_ids
from tests.sync_fixtures import export, register_on_kit
from tests.test_staff_cli import gatehouse

APRIL_FIRST = datetime.datetime(2027, 4, 1, 12, tzinfo=datetime.UTC)  # before the demo event (4 to 7 May 2027)
TABLES_BROUGHT_BACK = ("registrations", "data_keys", "field_values", "staff", "grants", "compartment_keys", "events")


def _rows(path: Path, table: str) -> list[tuple]:
    with opened(path) as (_instance, connection):
        return sorted(connection.execute(f"SELECT * FROM {table}").fetchall())  # noqa: S608


def _register(client, canary: str) -> str:
    """Register through the form; return the codename the receipt shows."""
    tokens = hidden_fields(page_text(client.get("/register")))
    answers = valid_answers(full_name=f"{canary}-name", access_needs=f"{canary}-needs")
    return codename_on(page_text(client.post("/register", data={**tokens, **answers})))


def _restore(backup: Path, target: Path, words: list[str], *extra: str):
    signer = ["--unverified"] if "--signer" not in extra else []
    return gatehouse("restore", str(backup), "--instance", str(target), *signer, *extra, stdin=" ".join(words) + "\n")


def test_backup_destroy_restore_brings_back_every_registration_grant_and_log_entry_and_staff_open_what_they_held(
    demo_instance, app, client, team, tmp_path
):
    codename = _register(client, "QZX7FIRST93")
    _register(client, "QZX7SECOND93")
    with opened(demo_instance.path) as (instance, connection):
        first = find_by_codename(connection, instance.secrets.codename_lookup_key, instance.event.id, codename)
        decide(connection, instance.event.id, first.registration_id, "approved", "ana")
    ids = registration_ids(app)
    made = gatehouse("backup", "--instance", str(demo_instance.path), "--out", str(tmp_path / "b.ghb"))
    assert made.returncode == 0, made.stderr
    signer = gatehouse("audit", "public-key", "--instance", str(demo_instance.path)).stdout.strip()
    assert signer in made.stdout, "the backup prints the key a restore checks it with"
    before = {table: _rows(demo_instance.path, table) for table in TABLES_BROUGHT_BACK}
    log_before = audit.entries(open_instance(demo_instance.path).connect())
    wipe.wipe(open_instance(demo_instance.path), "cli", "stockholm-forum-2027")

    restored = _restore(tmp_path / "b.ghb", tmp_path / "new", demo_instance.recovery_words, "--signer", signer)

    assert restored.returncode == 0, restored.stderr
    assert "2 registrations, 4 staff accounts, 4 grants" in restored.stdout
    assert {table: _rows(tmp_path / "new", table) for table in TABLES_BROUGHT_BACK} == before
    log_after = audit.entries(open_instance(tmp_path / "new").connect())
    assert log_after[: len(log_before) - 1] == log_before[:-1], "every entry up to the backup, unchanged"
    backup_entry, restore_entry = log_before[-1], log_after[len(log_before) - 1]
    assert (backup_entry.action, restore_entry.action) == ("backup", "restored from backup")
    assert json.loads(restore_entry.detail)["backup sha256"] == json.loads(backup_entry.detail)["sha256"]
    assert (tmp_path / "new" / SECRET_FILE).read_bytes() != b"", "a new key: the old one was wiped with its files"

    restored_app = create_app({"INSTANCE_DIR": tmp_path / "new", "TESTING": True})
    staff = restored_app.test_client()
    login(staff, team["ana"])
    html = "".join(page_text(open_page(staff, registration_id)) for registration_id in ids)
    assert all(f"QZX7{canary}93-{field}" in html for canary in ("FIRST", "SECOND") for field in ("name", "needs"))
    otto = restored_app.test_client()
    login(otto, team["otto"])
    html = "".join(page_text(open_page(otto, registration_id)) for registration_id in ids)
    assert "QZX7SECOND93-needs" in html and "QZX7SECOND93-name" not in html, "otto holds needs only, as before"
    participant = restored_app.test_client()
    csrf = hidden_fields(page_text(participant.get("/status")))["csrf_token"]
    status = page_text(participant.post("/status", data={"csrf_token": csrf, "codename": codename}))
    assert "accepted" in status.lower(), "a codename given before the backup still opens its registration"


def test_the_audit_log_records_the_restore_and_verifies_across_it(demo_instance, tmp_path):
    path = str(demo_instance.path)
    assert gatehouse("audit", "export", "--instance", path, "--out", str(tmp_path / "kept.ghb")).returncode == 0
    key = gatehouse("audit", "public-key", "--instance", path).stdout.strip()
    assert gatehouse("backup", "--instance", path, "--out", str(tmp_path / "b.ghb")).returncode == 0
    assert _restore(tmp_path / "b.ghb", tmp_path / "new", demo_instance.recovery_words).returncode == 0

    exported = gatehouse("audit", "export", "--instance", str(tmp_path / "new"), "--out", str(tmp_path / "new.ghb"))
    assert exported.returncode == 0, exported.stderr
    verified = gatehouse(
        "audit", "verify", str(tmp_path / "new.ghb"), "--public-key", key, "--since", str(tmp_path / "kept.ghb")
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "restored from backup" in [
        entry.action for entry in audit.entries(open_instance(tmp_path / "new").connect())
    ]


def test_the_first_due_day_is_the_earliest_day_any_decision_from_today_on_could_destroy_a_value(tmp_path):
    create_instance(tmp_path / "instance", demo_event_source())
    clock = SetClock(APRIL_FIRST)
    with opened(tmp_path / "instance", clock) as (instance, connection):
        today = clock.date()
        assert first_due_day(connection, instance.event, today) is None, "an instance with no value"
        register_one(connection, instance)
        # Undecided: it could be rejected today, and the demo event destroys a rejection 7 days after it.
        assert first_due_day(connection, instance.event, today) == datetime.date(2027, 4, 9)
        clock.advance(-2 * 86400)
        rejected = register_one(connection, instance)
        decide(connection, instance.event.id, rejected, "rejected", "ana")
        assert first_due_day(connection, instance.event, today) == datetime.date(2027, 4, 7)
        made = write_backup(connection, instance, tmp_path / "b.ghb")
    assert made.first_due == datetime.date(2027, 4, 7)


def test_a_backup_whose_first_due_day_has_come_is_deleted_by_the_next_rotation(tmp_path):
    create_instance(tmp_path / "instance", demo_event_source())
    folder = tmp_path / "backups"
    folder.mkdir()
    clock = SetClock(APRIL_FIRST)
    with opened(tmp_path / "instance", clock) as (instance, connection):
        register_one(connection, instance)
        made, path, deleted = backup_into(connection, instance, folder, keep=7)
    assert deleted == [] and path.name == "gatehouse-backup-stockholm-forum-2027-2027-04-01-01-due-2027-04-09.ghb"
    (folder / "notes.txt").write_text("not a backup")

    assert rotation.rotate(folder, "stockholm-forum-2027", datetime.date(2027, 4, 8)) == []
    clock.advance(8 * 86400)
    run_daily(open_instance(tmp_path / "instance", clock), folder)  # the server's daily maintenance

    assert not path.exists() and made.first_due == clock.date()
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"], "only Gatehouse's own backups are touched"


def test_backup_into_keeps_at_most_the_newest_n(tmp_path):
    create_instance(tmp_path / "instance", demo_event_source())
    folder = tmp_path / "backups"
    folder.mkdir()
    with opened(tmp_path / "instance", SetClock(APRIL_FIRST)) as (instance, connection):
        paths = [backup_into(connection, instance, folder, keep=2)[1] for _ in range(4)]
    assert sorted(folder.iterdir()) == paths[2:]
    assert [int(re.search(r"-(\d\d)-due-", p.name).group(1)) for p in paths] == [1, 2, 3, 4]


def test_backup_refuses_keep_0_and_a_missing_folder_in_one_sentence(demo_instance, tmp_path):
    path = str(demo_instance.path)
    for arguments, said in [
        (["--into", str(tmp_path), "--keep", "0"], "keep at least one backup"),
        (["--into", str(tmp_path / "missing")], "does not exist"),
        (["--instance", str(tmp_path / "nothing"), "--out", str(tmp_path / "b.ghb")], "no Gatehouse instance"),
    ]:
        refused = gatehouse("backup", "--instance", path, *arguments)
        assert refused.returncode != 0 and said in refused.stderr and "Traceback" not in refused.stderr
    assert list(tmp_path.iterdir()) == [demo_instance.path]
    with opened(demo_instance.path) as (instance, connection):
        with pytest.raises(BackupError, match="keep at least one"):
            backup_into(connection, instance, tmp_path, keep=0)
        with pytest.raises(BackupError, match="there is no folder"):
            backup_into(connection, instance, tmp_path / "missing", keep=1)


def test_the_withdrawal_record_replaces_an_older_one_of_this_instance_and_never_another_file(tmp_path):
    create_instance(tmp_path / "instance", demo_event_source())
    record = tmp_path / "withdrawals.ghb"
    with opened(tmp_path / "instance") as (instance, connection):
        assert export_record(connection, instance.event.id, record) == 0
        withdraw(connection, find_by_id(connection, register_one(connection, instance)))
        assert export_record(connection, instance.event.id, record) == 1, "the newer record replaced the older"
        (tmp_path / "notes.txt").write_text("mine")
        with pytest.raises(BackupError, match="not this instance's withdrawal record: not overwritten"):
            export_record(connection, instance.event.id, tmp_path / "notes.txt")
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instance", "notes.txt", "withdrawals.ghb"]


def test_a_field_kit_sending_everything_again_after_a_restore_does_not_bring_back_what_was_withdrawn(tmp_path):
    """The backup predates the kit's first bundle, so the restored instance has never seen the registration;
    the withdrawal record still keeps it out when the kit sends it again."""
    kit = make_kit(tmp_path)
    codenames = register_on_kit(kit, 2)
    with opened(kit.central.path) as (central, connection):
        write_backup(connection, central, tmp_path / "b.ghb")
        import_from_kit(connection, central, export(kit).parts)
        lookup_key = central.secrets.codename_lookup_key
        withdraw(connection, find_by_codename(connection, lookup_key, central.event.id, codenames[0]))
        export_record(connection, central.event.id, tmp_path / "withdrawals.ghb")
    record = (str(tmp_path / "withdrawals.ghb"), [(tmp_path / "withdrawals.ghb").read_bytes()])
    words = " ".join(kit.recovery_words)
    restore_backup((tmp_path / "b.ghb").read_bytes(), words, tmp_path / "new", signer=None, records=[record])

    with opened(tmp_path / "new") as (restored, connection):
        report = import_from_kit(connection, restored, export(kit, everything=True).parts)
        pseudonyms = [row[0] for row in connection.execute("SELECT pseudonym FROM registrations")]
    assert (report.added, report.gone_since) == (1, 1) and len(pseudonyms) == 1
