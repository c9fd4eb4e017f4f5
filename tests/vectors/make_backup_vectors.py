"""Writes backup-v1.json: a `backup` bundle and a `withdrawals` bundle, for offline_bundle/FORMAT.md.

The backup is of a real instance of a tiny event (one compartment, two fields) holding one registration, with
one other registration withdrawn and one value purged; its keys are whatever that instance drew, and are given
in the vector. The bundles are sealed with fixed randomness. Run once; the vectors are then frozen: every later
Gatehouse must restore this backup (tests/test_backup_vectors.py).

    python -m tests.vectors.make_backup_vectors
"""

from __future__ import annotations

import datetime
import json
import tempfile
from pathlib import Path

from nacl.public import PrivateKey

import crypto
from app.backups import backup, tables, withdrawals
from app.instance.folder import opened
from app.instance.setup import create_instance
from app.registrations import destroyed, retention
from app.registrations.lifecycle import decide, find_by_id, withdraw
from app.registrations.register import register
from offline_bundle.bundle import _write
from tests.helpers import SetClock

BUNDLE_ID = bytes(range(0xA0, 0xB0))
EPHEMERAL_SECRET = bytes(range(0x80, 0xA0))
TINY_EVENT = """\
[event]
id = "vector-2027"
name = "A test vector"
organiser = "Nobody"
description = "Two fields."
location = "Nowhere"
starts = 2027-05-04
ends = 2027-05-07
contact = "Nobody."
default_retain_days_after_event = 0
max_retain_days_after_event = 30

[[compartments]]
name = "identity"
label = "Identity"
purpose = "to know who is coming"
readers = "the registration team"

[[fields]]
key = "full_name"
label = "Full name"
compartment = "identity"
retain_days_after_event = 30

[[fields]]
key = "note"
label = "Note"
compartment = "identity"
retain_days_after_approval = 1
"""


def _cell(value: object) -> object:
    """A row's value in JSON: bytes as {"hex": ...}, anything else as itself."""
    return {"hex": value.hex()} if isinstance(value, bytes) else value


def build(folder: Path) -> dict:
    words = create_instance(folder / "instance", TINY_EVENT)
    clock = SetClock(datetime.datetime(2027, 4, 1, 12, tzinfo=datetime.UTC))
    with opened(folder / "instance", clock) as (instance, connection):
        kept, withdrawn, purged = (
            register(connection, instance, crypto.new_submission_token(), {"full_name": name, "note": note})
            for name, note in (("Ana Example", "vegan"), ("Withdrawn Example", "x"), ("Purged Example", "y"))
        )
        ids = dict(connection.execute("SELECT pseudonym, id FROM registrations"))
        withdraw(connection, find_by_id(connection, ids[withdrawn.pseudonym]))
        decide(connection, instance.event.id, ids[purged.pseudonym], "approved", "cli")
        clock.advance(2 * 86400)
        retention.purge(connection, instance.event, retention.purge_day(connection))  # its note, one day after
        contents = backup.backup_contents(connection, instance)
        record, _count = withdrawals.write_record(connection, instance.event.id)
        record_ids = [withdrawals.encode(item) for item in destroyed.every_id(connection)]
        signer_seed = bytes(contents.signing_key)
    recovery_secret = bytes(crypto.private_key_from_recovery_words(" ".join(words)))
    part = _write(
        backup.KIND,
        contents.header,
        contents.records,
        signing_key=contents.signing_key,
        recipient=PrivateKey(recovery_secret).public_key,
        part_size=None,
        progress=None,
        bundle_id=BUNDLE_ID,
        ephemeral_secret=EPHEMERAL_SECRET,
    )
    document = json.loads(contents.records[0])
    rows, at = {}, 1
    for name, columns, count in document["tables"]:
        decoded = [tables.decode_row(row, len(columns)) for row in contents.records[at : at + count]]
        rows[name] = [[_cell(value) for value in row] for row in decoded]
        at += count
    return {
        "format": "gatehouse backup and withdrawal record, version 1: see offline_bundle/FORMAT.md",
        "backup": {
            "recovery_secret_key": recovery_secret.hex(),
            "recovery_words": " ".join(words),
            "signer_seed": signer_seed.hex(),
            "bundle_id": BUNDLE_ID.hex(),
            "ephemeral_secret_key": EPHEMERAL_SECRET.hex(),
            "kind": backup.KIND,
            "header": contents.header,
            "records": [record.hex() for record in contents.records],
            "rows": rows,
            "parts": [part_bytes.hex() for part_bytes in part],
        },
        "withdrawals": {
            "signer_seed": signer_seed.hex(),
            "kind": withdrawals.KIND,
            "records": [item.hex() for item in record_ids],
            "registration_ids": {"withdrawn": ids[withdrawn.pseudonym], "purged_note": ids[purged.pseudonym]},
            # A signed-only bundle draws only its id: the reader is what the vector checks.
            "parts": [part_bytes.hex() for part_bytes in record],
        },
        "kept_registration": ids[kept.pseudonym],
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        document = build(Path(folder))
    target = Path(__file__).parent / "backup-v1.json"
    target.write_text(json.dumps(document, indent=1) + "\n")


if __name__ == "__main__":
    main()
