"""Pass-list bundles: central tells a kit's desk the pass public key and which passes stand or are revoked.

The whole list every time, with a sequence number: a desk takes a list only if it is newer than the one it holds,
so a replayed or older bundle changes nothing. The bundle is signed by the central instance and encrypted to the
kit's bundle key; it never carries the private pass key, nor a pass id: passes are listed by tag, so that a lost
desk's list cannot be typed back as short codes. offline_bundle/FORMAT.md specifies the records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nacl.signing import SigningKey

import crypto
from app.audit import log as audit
from app.checkin import passes
from app.common.errors import GatehouseError
from app.events.definition import Event
from app.kits.bundle import UnknownKit, normalise_kit_name
from app.kits.instance import identity
from app.storage import db
from app.storage.connection import Connection
from crypto import passes as pass_crypto
from offline_bundle import read_bundle, write_bundle

KIND = "pass-list"
FORMAT = 1
STANDS, REVOKED = b"\x00", b"\x01"


class ListError(GatehouseError):
    """A pass list that cannot be made for this kit, or an authentic one that does not belong here."""


@dataclass(frozen=True)
class LoadReport:
    sequence: int
    standing: int
    revoked: int
    changed: bool  # False: this list or a newer one was loaded before, and nothing changed


def export_list(connection: Connection, event: Event, kit: str) -> tuple[list[bytes], int]:
    """The pass list for this kit's desk, encrypted to the kit; logged. Returns the parts and the sequence."""
    kit = normalise_kit_name(kit)
    with db.transaction(connection):
        row = connection.execute("SELECT bundle_public_key, revoked_day FROM kits WHERE name = ?", (kit,)).fetchone()
        if row is None:
            raise UnknownKit(kit)
        if row[1] is not None:
            raise ListError(f"the kit {kit} was revoked on {row[1]}: it gets no pass list")
        if row[0] is None:
            raise ListError(f"the kit {kit} was made before check-in existed: make a new kit for the desk")
        connection.execute("INSERT OR IGNORE INTO pass_lists (id, sequence) VALUES (1, 0)")
        connection.execute("UPDATE pass_lists SET sequence = sequence + 1")
        sequence = connection.execute("SELECT sequence FROM pass_lists").fetchone()[0]
        records = [passes.public_key_within(connection)]
        states = passes.states(connection, event)
        for pass_tag, state in sorted(states.items()):
            records.append(pass_tag + (REVOKED if state.revoked else STANDS + (state.pseudonym or "").encode("utf-8")))
        revoked = sum(state.revoked for state in states.values())
        detail = {"sequence": sequence, "passes": len(states), "revoked": revoked}
        audit.record(connection, "cli", "pass list made", kit, detail)
        signing = connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'signing'").fetchone()[0]
        header = {"event": event.id, "kit": kit, "sequence": sequence, "made": connection.clock.today(), "format": 1}
        parts = write_bundle(KIND, header, records, signing_key=SigningKey(signing), recipient=row[0])
    return parts, sequence


def load_list(connection: Connection, event: Event, parts: Sequence[bytes], keys: crypto.KitKeys) -> LoadReport:
    """On a kit: take the list if it is newer than the one held; a BundleError or ListError, and no change, if not."""
    kit = identity(connection)
    bundle = read_bundle(
        parts, kind=KIND, trusted_signers={kit.central_verify_key: "central"}, recipient_key=keys.bundle_key
    )
    header = bundle.header
    if header.get("event") != event.id or header.get("kit") != kit.name:
        raise ListError(f"this pass list is for {header.get('kit')!r} of {header.get('event')!r}, not this kit")
    sequence, made = header.get("sequence"), header.get("made")
    if header.get("format") != FORMAT or not isinstance(sequence, int) or not isinstance(made, str):
        raise ListError("this pass list was written by another version of Gatehouse")
    public_key, entries = _decode(bundle.records)
    with db.transaction(connection):
        held = connection.execute("SELECT sequence FROM desk_list").fetchone()
        if held is not None and held[0] >= sequence:
            return LoadReport(sequence, 0, 0, changed=False)
        connection.execute("DELETE FROM desk_list")
        connection.execute("DELETE FROM desk_passes")
        connection.execute(
            "INSERT INTO desk_list (id, pass_public_key, sequence, made_day) VALUES (1, ?, ?, ?)",
            (public_key, sequence, made),
        )
        connection.executemany(
            "INSERT INTO desk_passes (pass_tag, pseudonym, revoked) VALUES (?, ?, ?)",
            [(pass_tag, pseudonym, int(pseudonym is None)) for pass_tag, pseudonym in entries],
        )
        revoked = sum(pseudonym is None for _pass_tag, pseudonym in entries)
        detail = {"sequence": sequence, "passes": len(entries), "revoked": revoked}
        audit.record(connection, "cli", "pass list loaded", kit.name, detail)
    return LoadReport(sequence, len(entries) - revoked, revoked, changed=True)


def _decode(records: list[bytes]) -> tuple[bytes, list[tuple[bytes, str | None]]]:
    if not records or len(records[0]) != 32:
        raise ListError("this pass list is malformed: it does not start with the pass public key")
    entries: list[tuple[bytes, str | None]] = []
    for record in records[1:]:
        tag_bytes = pass_crypto.PASS_TAG_BYTES
        pass_tag, mark, pseudonym = record[:tag_bytes], record[tag_bytes : tag_bytes + 1], record[tag_bytes + 1 :]
        if len(pass_tag) != tag_bytes or mark not in (STANDS, REVOKED) or (mark == REVOKED and pseudonym):
            raise ListError("this pass list is malformed: a pass entry is not as central writes one")
        try:
            entries.append((pass_tag, pseudonym.decode("utf-8") if mark == STANDS else None))
        except UnicodeDecodeError:
            raise ListError("this pass list is malformed: a pseudonym is not text") from None
    return records[0], entries
