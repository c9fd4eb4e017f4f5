"""A restore refuses, in one sentence and with nothing written, every backup it must not trust: a flipped byte
anywhere, a cut, the wrong recovery words, another signer, a withdrawal record of another instance or event, and
a folder that already holds an instance."""

from __future__ import annotations

from pathlib import Path

import pytest
from nacl.signing import SigningKey

from app.backups.backup import write_backup
from app.backups.errors import BackupError, WrongRecoveryWords
from app.backups.opening import open_backup, with_withdrawal_records
from app.backups.restore import restore
from app.backups.withdrawals import KIND, export_record
from app.events.definition import demo_event_source
from app.instance.folder import opened
from app.instance.setup import create_instance
from offline_bundle import write_bundle
from tests.test_staff_cli import gatehouse

OTHER_EVENT = demo_event_source().replace('id = "stockholm-forum-2027"', 'id = "kyiv-forum-2027"')


@pytest.fixture(scope="module")
def small_backup(tmp_path_factory) -> tuple[Path, list[str], bytes]:
    """A backup of a new demo instance: the smallest there is (one padded part of 16 KiB)."""
    folder = tmp_path_factory.mktemp("small")
    words = create_instance(folder / "instance", demo_event_source())
    with opened(folder / "instance") as (instance, connection):
        made = write_backup(connection, instance, folder / "b.ghb")
    return folder / "b.ghb", words, made.signer


def _refused(part: bytes, words: list[str], signer: bytes | None) -> bool:
    try:
        open_backup(part, " ".join(words), signer)
    except BackupError:
        return True
    return False


def test_every_flipped_byte_of_a_small_backup_is_refused(small_backup):
    path, words, signer = small_backup
    part = path.read_bytes()
    assert not _refused(part, words, signer), "the backup itself opens"
    accepted = [
        position
        for position in range(len(part))
        if not _refused(
            part[:position] + bytes([part[position] ^ (1 << position % 8)]) + part[position + 1 :], words, signer
        )
    ]
    assert accepted == [], f"{len(accepted)} flipped bytes were not refused, the first at {accepted[:1]}"


def test_every_cut_of_a_small_backup_is_refused(small_backup):
    path, words, signer = small_backup
    part = path.read_bytes()
    assert all(_refused(part[:length], words, signer) for length in range(len(part)))
    assert _refused(part + b"\0", words, signer)


def test_the_wrong_recovery_words_are_refused(small_backup, tmp_path):
    path, words, signer = small_backup
    another_events_words = create_instance(tmp_path / "other", demo_event_source())
    miscopied = [*words[:5], words[6], words[5], *words[7:]]
    for wrong in (another_events_words, miscopied, words[:23], ["nothing"] * 24):
        with pytest.raises(WrongRecoveryWords, match="this event's 24 recovery words"):
            open_backup(path.read_bytes(), " ".join(wrong), signer)


def test_a_backup_signed_by_another_key_than_signer_is_refused(small_backup):
    path, words, _signer = small_backup
    with pytest.raises(BackupError, match="not signed by the key --signer gives"):
        open_backup(path.read_bytes(), " ".join(words), bytes(SigningKey.generate().verify_key))


def test_a_withdrawal_record_of_another_instance_or_event_is_refused(small_backup, tmp_path):
    path, words, signer = small_backup
    backup = open_backup(path.read_bytes(), " ".join(words), signer)
    create_instance(tmp_path / "other", OTHER_EVENT)
    with opened(tmp_path / "other") as (instance, connection):
        export_record(connection, instance.event.id, tmp_path / "other.ghb")
    with pytest.raises(BackupError, match="not signed by the instance the backup holds"):
        with_withdrawal_records(backup, [("other.ghb", [(tmp_path / "other.ghb").read_bytes()])])
    # Signed by the same instance, but naming another event: refused all the same.
    with opened(path.parent / "instance") as (_instance, connection):
        seed = connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'signing'").fetchone()[0]
    record = write_bundle(
        KIND, {"event": "kyiv-forum-2027", "day": "2027-04-01", "format": 1}, [], signing_key=SigningKey(seed)
    )
    with pytest.raises(
        BackupError, match="is of the event 'kyiv-forum-2027', and the backup of 'stockholm-forum-2027'"
    ):
        with_withdrawal_records(backup, [("forged.ghb", record)])


def test_a_restore_into_a_folder_that_holds_an_instance_is_refused_and_changes_nothing(small_backup, tmp_path):
    path, words, _signer = small_backup
    create_instance(tmp_path / "taken", demo_event_source())
    before = {p.name: p.read_bytes() for p in (tmp_path / "taken").iterdir()}
    refused = gatehouse(
        "restore", str(path), "--instance", str(tmp_path / "taken"), "--unverified", stdin=" ".join(words)
    )
    assert refused.returncode == 1 and "already holds a Gatehouse instance" in refused.stderr
    assert {p.name: p.read_bytes() for p in (tmp_path / "taken").iterdir()} == before
    with pytest.raises(BackupError, match="already holds"):
        restore(open_backup(path.read_bytes(), " ".join(words), None), tmp_path / "taken")


def test_each_refusal_on_the_command_line_is_one_sentence_and_writes_nothing(small_backup, tmp_path):
    path, words, signer = small_backup
    damaged = tmp_path / "damaged.ghb"
    part = path.read_bytes()
    damaged.write_bytes(part[:1000] + bytes([part[1000] ^ 1]) + part[1001:])
    (tmp_path / "cut.ghb").write_bytes(part[: len(part) // 2])
    audit_export = tmp_path / "log.ghb"
    assert (
        gatehouse("audit", "export", "--instance", str(path.parent / "instance"), "--out", str(audit_export)).returncode
        == 0
    )
    cases = [
        ([str(damaged), "--unverified"], words, "damaged"),
        ([str(tmp_path / "cut.ghb"), "--unverified"], words, "damaged"),
        ([str(path), "--unverified"], ["wrong"] * 24, "recovery words"),
        ([str(audit_export), "--unverified"], words, "not a backup"),
        ([str(path)], words, "say whose signature to trust"),
        ([str(path), "--signer", "not a key"], words, "gatehouse audit public-key"),
        ([str(tmp_path / "missing.ghb"), "--unverified"], words, "does not exist"),
    ]
    for arguments, typed, said in cases:
        target = tmp_path / "new"
        refused = gatehouse("restore", *arguments, "--instance", str(target), stdin=" ".join(typed) + "\n")
        assert refused.returncode != 0, arguments
        assert said in refused.stderr and "Traceback" not in refused.stderr, refused.stderr
        assert len(refused.stderr.strip().splitlines()[-1]) < 300, "one sentence"
        assert not target.exists(), f"{arguments} wrote something"
    restored = gatehouse(
        "restore", str(path), "--instance", str(tmp_path / "new"), "--signer", signer.hex(), stdin=" ".join(words)
    )
    assert restored.returncode == 0, restored.stderr
