"""The audit log verifies offline with only the instance's public key, and any single change is caught and named."""

from __future__ import annotations

import base64
import copy
import json
import re

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
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


# An export against what the auditor kept: an earlier export (--since) or a head code on paper (--head).


def _forged(document: dict, signing_key: SigningKey, tmp_path, name: str = "forged.ghb"):
    """What someone holding the instance's key does after an edit: number the entries again from 1, recompute
    every hash, sign every checkpoint again at its place (clipped to the new end), and sign the bundle."""
    entries, previous = document["entries"], log_chain.GENESIS_HASH
    for seq, entry in enumerate(entries, start=1):
        entry["seq"] = seq
        previous = _rehash(entry, previous)
    hashes = {entry["seq"]: base64.b64decode(entry["entry_hash"]) for entry in entries}
    days = {min(checkpoint["seq"], len(entries)): checkpoint["day"] for checkpoint in document["checkpoints"]}
    days.setdefault(len(entries), document["checkpoints"][-1]["day"])  # an export is signed at its head
    document["checkpoints"] = [
        _signed(signing_key, document["event"], seq, hashes[seq], day) for seq, day in days.items()
    ]
    return _bundle(document, signing_key, tmp_path / name)


def _signed(signing_key: SigningKey, event_id: str, seq: int, head_hash: bytes, day: str) -> dict:
    checkpoint = log_chain.sign_checkpoint(signing_key, event_id, seq, head_hash, day)
    return {
        "seq": seq,
        "day": day,
        "head_hash": base64.b64encode(head_hash).decode(),
        "signature": base64.b64encode(checkpoint.signature).decode(),
    }


def _bundle(document: dict, signing_key: SigningKey, target):
    head = {name: document[name] for name in ("format", "version", "event", "checkpoints")}
    records = [json.dumps(head).encode(), *(json.dumps(entry).encode() for entry in document["entries"])]
    (part,) = write_bundle(KIND, {"event": document["event"]}, records, signing_key=signing_key)
    target.write_bytes(part)
    return target


def _check(export, key, *options):
    return CliRunner().invoke(cli, ["audit", "verify", str(export), "--public-key", key, *options])


def _head_code_of(export, key) -> str:
    result = _check(export, key)
    assert result.exit_code == 0, result.output
    return re.search(r"^Head code: (\S+) ", result.output, re.MULTILINE).group(1)


@pytest.mark.parametrize("tamper", [_change, _delete, _swap, _insert])
@pytest.mark.parametrize("seq", [1, 7, 12])
def test_a_rewrite_signed_again_with_the_instance_key_is_named_by_the_earlier_export_and_the_head_code(
    exported, tamper, seq
):
    document, key, tmp_path, signing_key = exported
    earlier = tmp_path / "log.ghb"
    code = _head_code_of(earlier, key)
    tamper(document, seq)
    forged = _forged(document, signing_key, tmp_path)
    assert _check(forged, key).exit_code == 0  # alone, it verifies: the known limit this guards against

    since = _check(forged, key, "--since", str(earlier))
    assert since.exit_code == 1
    assert f"DIVERGES: this export does not extend log.ghb. Entry {seq} differs " in since.output, since.output
    head = _check(forged, key, "--head", code)
    assert head.exit_code == 1 and f"DIVERGES: this export does not hold the head code {code}." in head.output


def test_a_later_honest_export_extends_the_earlier_one_and_holds_its_head_code(exported):
    _document, key, tmp_path, _signing_key = exported
    earlier, later = tmp_path / "log.ghb", tmp_path / "later.ghb"
    code = _head_code_of(earlier, key)
    instance = ["--instance", str(tmp_path / "instance")]
    assert CliRunner().invoke(cli, ["audit", "export", *instance, "--out", str(later)]).exit_code == 0
    for kept in (["--since", str(earlier)], ["--head", code], ["--since", str(earlier), "--head", code]):
        result = _check(later, key, *kept)
        assert result.exit_code == 0, result.output
        assert "DIVERGES" not in result.output and "OK: every link holds" in result.output
    assert _check(earlier, key, "--since", str(earlier), "--head", code).exit_code == 0  # an export extends itself
    assert _head_code_of(later, key) != code


def test_exports_given_the_wrong_way_round_are_named_missing_at_the_end(exported):
    _document, key, tmp_path, _signing_key = exported
    earlier, later = tmp_path / "log.ghb", tmp_path / "later.ghb"
    assert CliRunner().invoke(cli, ["audit", "export", "--instance", str(tmp_path / "instance"), "--out", str(later)])
    ends = len(_document_of(earlier.read_bytes())["entries"])
    result = _check(earlier, key, "--since", str(later), "--head", _head_code_of(later, key))
    assert result.exit_code == 1
    assert f"Entries {ends + 1} to {ends + 1} of the earlier export are missing: this export ends at entry {ends}" in (
        result.output
    )
    assert f"This export ends at entry {ends}, before entry {ends + 1} of the head code" in result.output


def test_checkpoints_signed_again_dropped_or_added_before_the_earlier_end_are_named(exported):
    document, key, tmp_path, signing_key = exported
    earlier = tmp_path / "log.ghb"
    hashes = {entry["seq"]: base64.b64decode(entry["entry_hash"]) for entry in document["entries"]}
    first = document["checkpoints"][0]

    redated = copy.deepcopy(document)
    redated["checkpoints"][0] = _signed(
        signing_key, document["event"], first["seq"], hashes[first["seq"]], "2001-01-01"
    )
    dropped = copy.deepcopy(document)
    del dropped["checkpoints"][0]
    added = copy.deepcopy(document)
    added["checkpoints"].insert(0, _signed(signing_key, document["event"], 2, hashes[2], first["day"]))
    expected = {
        "redated": f"The checkpoint at entry {first['seq']} is not the one the earlier export holds",
        "dropped": f"The checkpoint at entry {first['seq']} of the earlier export is missing from this one",
        "added": "This export has a checkpoint at entry 2 that the earlier export did not",
    }
    for name, forged in (("redated", redated), ("dropped", dropped), ("added", added)):
        target = _bundle(forged, signing_key, tmp_path / f"{name}.ghb")
        assert _check(target, key).exit_code == 0, name  # each verifies alone
        result = _check(target, key, "--since", str(earlier))
        assert result.exit_code == 1 and expected[name] in result.output, result.output


def test_an_earlier_export_that_does_not_verify_or_is_of_another_key_is_refused(exported, tmp_path):
    document, key, folder, signing_key = exported
    broken = copy.deepcopy(document)
    _change(broken, 3)
    _bundle(broken, signing_key, folder / "broken.ghb")
    result = _check(folder / "log.ghb", key, "--since", str(folder / "broken.ghb"))
    assert result.exit_code == 1 and "BROKEN: the earlier export broken.ghb does not verify: entry 3 " in result.output
    _bundle(copy.deepcopy(document), SigningKey.generate(), folder / "stranger.ghb")
    result = _check(folder / "log.ghb", key, "--since", str(folder / "stranger.ghb"))
    assert result.exit_code == 1 and "The earlier export stranger.ghb is not signed by this key" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "content", [b"", b"\xff\xfe", b"[]", b'{"format": "gatehouse-audit-log", "version": 1}', b'{"format": "other"}']
)
def test_an_unreadable_earlier_export_gets_a_clear_message_not_a_traceback(exported, content):
    _document, key, tmp_path, _signing_key = exported
    (tmp_path / "kept.ghb").write_bytes(content)
    result = _check(tmp_path / "log.ghb", key, "--since", str(tmp_path / "kept.ghb"))
    assert result.exit_code == 1
    assert "Error: The earlier export kept.ghb" in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_earlier_export_of_another_event_is_refused(exported):
    document, key, tmp_path, signing_key = exported
    other = copy.deepcopy(document)
    other["event"] = "another-event"
    other["checkpoints"] = [
        _signed(signing_key, "another-event", c["seq"], base64.b64decode(c["head_hash"]), c["day"])
        for c in other["checkpoints"]
    ]
    _bundle(other, signing_key, tmp_path / "other.ghb")
    assert _check(tmp_path / "other.ghb", key).exit_code == 0
    result = _check(tmp_path / "log.ghb", key, "--since", str(tmp_path / "other.ghb"))
    assert result.exit_code == 1 and "one cannot extend the other" in result.output, result.output


def test_a_head_code_reads_back_as_written_in_any_case_with_any_spacing():
    head_hash = bytes(range(32))
    code = log_chain.head_code(1234, head_hash)
    assert re.fullmatch(r"1234(-[0-9A-HJKMNP-TV-Z]{5}){5}", code), code
    assert log_chain.HEAD_CODE_BITS == 120
    number, rest = code.split("-", 1)
    as_copied = [
        code,
        code.lower(),
        f" {number} {rest.replace('-', ' ')} ",
        f"{number}-{rest.replace('-', '')}",
        f"{number}-{rest.translate(str.maketrans('10', 'lo'))}",  # Crockford: l and I read as 1, o as 0
        f"{number}-{rest.translate(str.maketrans('10', 'IO'))}",
    ]
    for copied in as_copied:
        assert log_chain.parse_head_code(copied) == log_chain.HeadCode(1234, head_hash[:15]), copied
        assert str(log_chain.parse_head_code(copied)) == code
    with_a_one = next(c for c in (log_chain.head_code(7, bytes([i]) * 32) for i in range(256)) if "1" in c[2:])
    with pytest.raises(log_chain.MalformedHeadCode):  # a dotless ı upper-cases to I, read as 1: refused, not read
        log_chain.parse_head_code(with_a_one[:2] + with_a_one[2:].replace("1", "ı"))


@given(seq=st.integers(1, 2**63 - 1), head_hash=st.binary(min_size=32, max_size=32), data=st.data())
def test_a_head_code_miscopied_in_one_character_or_two_neighbours_swapped_is_refused(seq, head_hash, data):
    code = log_chain.head_code(seq, head_hash)
    assert log_chain.parse_head_code(code) == log_chain.HeadCode(seq, head_hash[:15])
    places = [i for i, character in enumerate(code) if character != "-"]  # neighbours across a hyphen too
    k = data.draw(st.integers(0, len(places) - 1))
    i = places[k]
    other = data.draw(st.sampled_from([c for c in "0123456789ABCDEFGHJKMNPQRSTVWXYZ" if c != code[i]]))
    slips = [code[:i] + other + code[i + 1 :]]
    if k + 1 < len(places) and code[i] != code[places[k + 1]]:
        swapped = list(code)
        swapped[i], swapped[places[k + 1]] = swapped[places[k + 1]], swapped[i]
        slips.append("".join(swapped))
    for slip in slips:
        with pytest.raises(log_chain.MalformedHeadCode):
            log_chain.parse_head_code(slip)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "nothing", "13", "13-", "-ABCDE", "0-00000-00000-00000-00000-00000", "13-ABCDE-FGHJK",
     "13-ABCDE-FGHJK-MNPQR-STVWX-YZ012-3", "13-ABCDE-FGHJK-MNPQR-STVWX-YZ01U", "١٣-ABCDE-FGHJK-MNPQR-STVWX-YZ012",
     "13-ABCDE-FGHJK-MNPQR-STVWX-YZ01!", "99999999999999999999-ABCDE-FGHJK-MNPQR-STVWX-YZ012"],
)  # fmt: skip
def test_a_malformed_head_code_gets_one_sentence_and_no_traceback(exported, text):
    _document, key, tmp_path, _signing_key = exported
    result = _check(tmp_path / "log.ghb", key, "--head", text)
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ") and ("head code" in line), line
    assert result.exception is None or isinstance(result.exception, SystemExit)


def _chain(contents: list[str], signing_key: SigningKey, signed_at: int = 0) -> tuple[list, list]:
    """A log of one entry per reason, with checkpoints at entry ``signed_at`` (if any) and at its head."""
    entries, previous = [], log_chain.GENESIS_HASH
    for seq, reason in enumerate(contents, start=1):
        digest = log_chain.entry_hash(seq, "2027-01-01", "ana", "open", "", "{}", reason, previous)
        entries.append(log_chain.LogEntry(seq, "2027-01-01", "ana", "open", "", "{}", reason, previous, digest))
        previous = digest
    heads = sorted({signed_at, len(entries)} - {0})
    return entries, [
        log_chain.sign_checkpoint(signing_key, "e", seq, entries[seq - 1].entry_hash, "2027-01-01") for seq in heads
    ]


@given(
    reasons=st.lists(st.text(max_size=3), min_size=1, max_size=12),
    cut=st.integers(1, 12),
    changed=st.integers(1, 12),
    data=st.data(),
)
def test_a_log_extends_each_of_its_prefixes_and_diverges_exactly_where_one_entry_changed(reasons, cut, changed, data):
    key = SigningKey(bytes(32))
    cut, changed = min(cut, len(reasons)), min(changed, cut, len(reasons))
    earlier, later = _chain(reasons[:cut], key), _chain(reasons, key, signed_at=cut)
    assert log_chain.first_divergence(*earlier, *later) is None
    other = data.draw(st.text(max_size=3).filter(lambda text: text != reasons[changed - 1]))
    rewritten = _chain([*reasons[: changed - 1], other, *reasons[changed:]], key, signed_at=cut)
    assert log_chain.verify_log("e", *rewritten, bytes(key.verify_key)).ok  # signed again: it verifies alone
    divergence = log_chain.first_divergence(*earlier, *rewritten)
    assert divergence is not None and divergence.seq == changed
    code = log_chain.parse_head_code(log_chain.head_code(cut, earlier[0][-1].entry_hash))
    assert log_chain.find_head(later[0], code) is None
    assert log_chain.find_head(rewritten[0], code) is not None
