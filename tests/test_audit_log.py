"""The audit log verifies offline with only the instance's public key, and any single change is caught and named."""

from __future__ import annotations

import base64
import copy
import json

import pytest
from click.testing import CliRunner
from nacl.signing import SigningKey

from app.audit import log as audit
from app.audit.bundle import KIND
from app.cli.main import cli
from app.instance.folder import open_instance
from crypto import log_chain
from offline_bundle import read_bundle, write_bundle
from tests.retention_helpers import new_instance, register_one


@pytest.fixture
def exported(tmp_path):
    """A log of a dozen entries with several signed checkpoints, exported and its public key printed.

    Also the instance's signing key: the tampering tests below model someone who holds it, edits the
    log and signs the bundle again, so that only the hash chain and the checkpoints can catch the edit.
    """
    instance, _words = new_instance(tmp_path / "instance")
    connection = instance.connect()
    try:
        for n in range(12):
            register_one(connection, instance)
            audit.log(connection, "ana", "open", f"Pseudonym {n}", {"compartments": ["identity"]}, "checking the badge")
            if n % 4 == 3:
                audit.sign_head(connection, instance.event.id)
        signing_key = SigningKey(
            connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'signing'").fetchone()[0]
        )
    finally:
        connection.close()
    runner = CliRunner()
    out = tmp_path / "log.ghb"
    result = runner.invoke(cli, ["audit", "export", "--instance", str(instance.path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    key = runner.invoke(cli, ["audit", "public-key", "--instance", str(instance.path)]).output.strip()
    return _document_of(out.read_bytes()), key, tmp_path, signing_key


def _document_of(bundle: bytes) -> dict:
    """The log as the bundle carries it: its head record (with the checkpoints), then one record per entry."""
    records = read_bundle([bundle], kind=KIND, trusted_signers=lambda _key: "anyone").records
    return {**json.loads(records[0]), "entries": [json.loads(record) for record in records[1:]]}


def _verify(document, key, tmp_path, signing_key):
    """Sign the (edited) log as a bundle again with the instance's key, and verify it as an auditor does."""
    head = {name: document[name] for name in ("format", "version", "event", "checkpoints")}
    records = [json.dumps(head).encode(), *(json.dumps(entry).encode() for entry in document["entries"])]
    target = tmp_path / "candidate.ghb"
    target.unlink(missing_ok=True)
    (part,) = write_bundle(KIND, {"event": document["event"]}, records, signing_key=signing_key)
    target.write_bytes(part)
    return CliRunner().invoke(cli, ["audit", "verify", str(target), "--public-key", key])


def _rehash(entry: dict, previous: bytes) -> bytes:
    """What a forger does to make an edited entry consistent with itself."""
    digest = log_chain.entry_hash(
        entry["seq"], entry["day"], entry["actor"], entry["action"], entry["subject"], entry["detail"],
        entry["reason"], previous,
    )  # fmt: skip
    entry["previous_hash"] = base64.b64encode(previous).decode()
    entry["entry_hash"] = base64.b64encode(digest).decode()
    return digest


def test_an_untouched_export_verifies_on_another_machine(exported):
    document, key, tmp_path, signing_key = exported
    result = CliRunner().invoke(cli, ["audit", "verify", str(tmp_path / "log.ghb"), "--public-key", key])
    assert result.exit_code == 0, result.output
    assert "OK: every link holds" in result.output
    assert "Nothing is missing at the end" in result.output
    assert _verify(document, key, tmp_path, signing_key).exit_code == 0  # the tests' re-signing changes nothing


def test_entries_appended_after_the_export_was_signed_are_caught(exported):
    document, key, tmp_path, signing_key = exported
    forged = copy.deepcopy(document["entries"][-1])
    forged["seq"] += 1
    _rehash(forged, base64.b64decode(document["entries"][-1]["entry_hash"]))
    document["entries"].append(forged)
    result = _verify(document, key, tmp_path, signing_key)
    assert result.exit_code == 1 and f"entries {forged['seq']} to {forged['seq']} are not covered" in result.output
    assert len(document["checkpoints"]) >= 3


def _change(doc, seq):
    doc["entries"][seq - 1]["reason"] = "nothing to see"


def _delete(doc, seq):
    del doc["entries"][seq - 1]


def _swap(doc, seq):
    entries = doc["entries"]
    entries[seq - 1], entries[seq] = entries[seq], entries[seq - 1]


def _insert(doc, seq):
    forged = copy.deepcopy(doc["entries"][seq - 1])
    forged["action"] = "login"
    doc["entries"].insert(seq - 1, forged)


def _renumber(doc, seq):
    doc["entries"][seq - 1]["seq"] += 1


@pytest.mark.parametrize("tamper", [_change, _delete, _swap, _insert, _renumber])
@pytest.mark.parametrize("seq", [1, 7, 12])
def test_any_single_entry_changed_removed_moved_or_added_is_caught_and_named(exported, tamper, seq):
    document, key, tmp_path, signing_key = exported
    tamper(document, seq)
    result = _verify(document, key, tmp_path, signing_key)
    assert result.exit_code == 1
    assert f"BROKEN: entry {seq} " in result.output, result.output


@pytest.mark.parametrize("part", ["seq", "day", "head_hash", "signature"])
def test_a_changed_checkpoint_is_caught_and_named(exported, part):
    document, key, tmp_path, signing_key = exported
    checkpoint = document["checkpoints"][1]
    if part == "seq":
        checkpoint["seq"] -= 1
    elif part == "day":
        checkpoint["day"] = "2001-01-01"
    else:
        raw = bytearray(base64.b64decode(checkpoint[part]))
        raw[5] ^= 0x01
        checkpoint[part] = base64.b64encode(bytes(raw)).decode()
    result = _verify(document, key, tmp_path, signing_key)
    assert result.exit_code == 1
    assert f"checkpoint at entry {checkpoint['seq']}" in result.output, result.output


def test_a_rewrite_with_every_hash_recomputed_is_caught_by_the_signed_checkpoints(exported):
    document, key, tmp_path, signing_key = exported
    entries = document["entries"]
    entries[9]["reason"] = "routine"
    previous = base64.b64decode(entries[8]["entry_hash"])
    for entry in entries[9:]:
        previous = _rehash(entry, previous)
    result = _verify(document, key, tmp_path, signing_key)
    assert result.exit_code == 1
    signed_before = max(c["seq"] for c in document["checkpoints"] if c["seq"] < 10)
    assert f"after the checkpoint at entry {signed_before} may have been changed" in result.output, result.output


def test_entries_cut_from_the_end_are_reported_missing(exported):
    document, key, tmp_path, signing_key = exported
    del document["entries"][-3:]
    result = _verify(document, key, tmp_path, signing_key)
    assert result.exit_code == 1
    assert "entries are missing at the end" in result.output


def test_a_log_signed_by_another_key_does_not_verify(exported, tmp_path):
    document, _key, _, signing_key = exported
    other, _words = new_instance(tmp_path / "other")
    connection = other.connect()
    try:
        other_key = base64.b64encode(audit.signing_public_key(connection)).decode()
    finally:
        connection.close()
    result = _verify(document, other_key, tmp_path, signing_key)
    assert result.exit_code == 1 and "not signed by this key" in result.output
    instance_key = exported[1]
    forged = _verify(document, instance_key, tmp_path, SigningKey.generate())  # re-signed, not by the instance
    assert forged.exit_code == 1 and "not signed by this key" in forged.output


def test_a_byte_changed_by_anyone_without_the_instance_key_is_refused_as_damaged(exported):
    document, key, tmp_path, signing_key = exported
    assert _verify(document, key, tmp_path, signing_key).exit_code == 0
    genuine = (tmp_path / "candidate.ghb").read_bytes()
    for position in (0, 9, 40, len(genuine) // 2, len(genuine) - 1):
        changed = bytearray(genuine)
        changed[position] ^= 0x04
        (tmp_path / "candidate.ghb").write_bytes(bytes(changed))
        result = CliRunner().invoke(cli, ["audit", "verify", str(tmp_path / "candidate.ghb"), "--public-key", key])
        assert result.exit_code == 1, position
        assert "damaged" in result.output or "not a Gatehouse bundle" in result.output, result.output
        assert "Traceback" not in result.output
    edited = genuine.replace(b"checking the badge", b"checking the beard")
    assert edited != genuine
    (tmp_path / "candidate.ghb").write_bytes(edited)
    result = CliRunner().invoke(cli, ["audit", "verify", str(tmp_path / "candidate.ghb"), "--public-key", key])
    assert result.exit_code == 1 and "damaged" in result.output


@pytest.mark.parametrize(
    "content", [b"", b"\xff\xfe", b"[]", b'{"format": "gatehouse-audit-log", "version": 1}', b'{"format": "other"}']
)
def test_an_unreadable_file_gets_a_clear_message_not_a_traceback(tmp_path, content):
    target = tmp_path / "bad.json"
    target.write_bytes(content)
    result = CliRunner().invoke(
        cli, ["audit", "verify", str(target), "--public-key", base64.b64encode(bytes(32)).decode()]
    )
    assert result.exit_code == 1
    assert "Error:" in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_log_holds_no_personal_value_no_address_and_no_time(tmp_path):
    instance, _words = new_instance(tmp_path / "instance")
    connection = instance.connect()
    try:
        register_one(connection, instance, full_name="QZX-canary-name", safe_contact="QZX-canary-contact")
        document = audit.export_document(connection, instance.event.id)
    finally:
        connection.close()
    text = json.dumps(document)
    assert "QZX" not in text and "127.0.0.1" not in text
    assert all(len(e["day"]) == 10 for e in document["entries"])  # YYYY-MM-DD: a day, never a time


def test_the_running_server_signs_its_log_every_day(tmp_path):
    from app.serving.maintenance import run_daily

    instance, _words = new_instance(tmp_path / "instance")
    run_daily(instance)
    connection = open_instance(instance.path).connect()
    try:
        head = audit.last_entries(connection, 1)[0]
        assert [c.seq for c in audit.checkpoints(connection)] == [head.seq]
        assert audit.verify_stored(connection, instance.event.id).ok
    finally:
        connection.close()
