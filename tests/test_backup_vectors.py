"""The `backup` and `withdrawals` bundle kinds of offline_bundle/FORMAT.md, against their frozen vectors: the
writer's bytes, a reader written from FORMAT.md alone, and a restore of the vector by this Gatehouse."""

from __future__ import annotations

import datetime
import json
import struct
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from nacl.public import PrivateKey
from nacl.signing import SigningKey

from app.backups import tables
from app.backups.opening import open_backup, with_withdrawal_records
from app.backups.restore import restore
from app.instance.folder import opened
from offline_bundle import read_bundle
from offline_bundle.bundle import _write
from tests.helpers import SetClock

VECTORS = json.loads((Path(__file__).parent / "vectors" / "backup-v1.json").read_text())
BACKUP, RECORD = VECTORS["backup"], VECTORS["withdrawals"]


def _row_from_format_md(data: bytes, columns: int) -> list[object]:
    """A row as FORMAT.md describes it: per column a tag, then 8 bytes or a u32 length and that many bytes."""
    values: list[object] = []
    at = 0
    for _ in range(columns):
        tag = data[at]
        at += 1
        if tag == 0:
            values.append(None)
        elif tag == 1:
            values.append(int.from_bytes(data[at : at + 8], "big", signed=True))
            at += 8
        elif tag == 2:
            values.append(struct.unpack(">d", data[at : at + 8])[0])
            at += 8
        else:
            length = int.from_bytes(data[at : at + 4], "big")
            raw = data[at + 4 : at + 4 + length]
            values.append(raw.decode("utf-8") if tag == 3 else {"hex": raw.hex()})
            at += 4 + length
    assert at == len(data)
    return values


def test_the_backup_vector_is_written_byte_for_byte_from_its_inputs():
    parts = _write(
        BACKUP["kind"],
        BACKUP["header"],
        [bytes.fromhex(record) for record in BACKUP["records"]],
        signing_key=SigningKey(bytes.fromhex(BACKUP["signer_seed"])),
        recipient=PrivateKey(bytes.fromhex(BACKUP["recovery_secret_key"])).public_key,
        part_size=None,
        progress=None,
        bundle_id=bytes.fromhex(BACKUP["bundle_id"]),
        ephemeral_secret=bytes.fromhex(BACKUP["ephemeral_secret_key"]),
    )
    assert [part.hex() for part in parts] == BACKUP["parts"]


def test_the_backup_vector_reads_with_a_reader_written_from_format_md():
    signer = bytes(SigningKey(bytes.fromhex(BACKUP["signer_seed"])).verify_key)
    bundle = read_bundle(
        [bytes.fromhex(part) for part in BACKUP["parts"]],
        kind="backup",
        trusted_signers={signer: "instance"},
        recipient_key=PrivateKey(bytes.fromhex(BACKUP["recovery_secret_key"])),
    )
    assert bundle.header == BACKUP["header"] and [r.hex() for r in bundle.records] == BACKUP["records"]
    document = json.loads(bundle.records[0])
    assert (document["format"], document["version"]) == ("gatehouse-backup", 1)
    assert set(document["secrets"]) == {"codename lookup", "receipt", "invitation"}
    rows, at = {}, 1
    for name, columns, count in document["tables"]:
        rows[name] = [_row_from_format_md(record, len(columns)) for record in bundle.records[at : at + count]]
        at += count
    assert at == len(bundle.records) and rows == BACKUP["rows"]
    columns = {name: columns for name, columns, _count in document["tables"]}
    events = dict(zip(columns["events"], rows["events"][0], strict=True))
    recovery_public_key = PrivateKey(bytes.fromhex(BACKUP["recovery_secret_key"])).public_key
    assert events["recovery_public_key"] == {"hex": bytes(recovery_public_key).hex()}


def test_the_withdrawal_record_vector_reads_with_a_reader_written_from_format_md():
    signer = bytes(SigningKey(bytes.fromhex(RECORD["signer_seed"])).verify_key)
    bundle = read_bundle(
        [bytes.fromhex(part) for part in RECORD["parts"]], kind="withdrawals", trusted_signers={signer: "i"}
    )
    assert bundle.header["event"] == BACKUP["header"]["event"] and bundle.header["format"] == 1
    whole, value = sorted(bundle.records, key=len)
    assert whole.hex() == RECORD["registration_ids"]["withdrawn"]
    assert value[:16].hex() == RECORD["registration_ids"]["purged_note"] and value[32:] == b"note"
    assert [record.hex() for record in bundle.records] == RECORD["records"]


def test_the_vector_backup_restores_with_this_gatehouse(tmp_path):
    signer = bytes(SigningKey(bytes.fromhex(BACKUP["signer_seed"])).verify_key)
    backup = open_backup(bytes.fromhex(BACKUP["parts"][0]), BACKUP["recovery_words"], signer)
    backup = with_withdrawal_records(backup, [("vector", [bytes.fromhex(part) for part in RECORD["parts"]])])
    report = restore(backup, tmp_path / "restored", SetClock(datetime.datetime(2027, 4, 3, 12, tzinfo=datetime.UTC)))
    assert report.log_verifies and report.registrations == 2
    with opened(tmp_path / "restored") as (_instance, connection):
        ids = {row[0] for row in connection.execute("SELECT id FROM registrations")}
        notes = connection.execute("SELECT registration_id FROM field_values WHERE field_key = 'note'").fetchall()
    assert VECTORS["kept_registration"] in ids and RECORD["registration_ids"]["withdrawn"] not in ids
    assert notes == [(VECTORS["kept_registration"],)], "the purged note stays purged"


database_values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(),
    st.binary(),
)


@given(st.lists(database_values, max_size=8))
def test_any_row_round_trips(values):
    assert tables.decode_row(tables.encode_row(values), len(values)) == tuple(values)


@given(st.binary(max_size=64), st.integers(min_value=0, max_value=6))
def test_any_bytes_decode_to_a_row_or_are_refused_as_malformed(data, columns):
    try:
        row = tables.decode_row(data, columns)
    except tables.RowMalformed:
        return
    assert tables.encode_row(row) == data
