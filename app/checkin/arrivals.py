"""Arrivals: carried from a kit's desk to central by bundle, merged there, and counted for staff.

A kit exports every arrival its desk recorded (the whole set each time: importing is idempotent); central keeps
the first use of a pass at each desk, records the bundle id so a replay changes nothing, and flags a pass used
at two desks. offline_bundle/FORMAT.md specifies the records.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from nacl.public import PrivateKey
from nacl.signing import SigningKey

from app.audit import log as audit
from app.common.errors import GatehouseError
from app.events.definition import Event
from app.kits.instance import identity
from app.registrations import listing
from app.storage import db
from app.storage.connection import Connection
from crypto import passes as pass_crypto
from offline_bundle import read_bundle, write_bundle

KIND = "arrivals"
FORMAT = 1
_EPOCH = datetime.date(2000, 1, 1)


class ArrivalsError(GatehouseError):
    """An authentic arrivals bundle that cannot be imported here; the message holds no personal value."""


@dataclass(frozen=True)
class ImportReport:
    kit: str
    added: int
    already_here: int
    unknown: int  # pass ids central never issued: not counted
    replay: bool


def export_arrivals(connection: Connection, event: Event) -> tuple[list[bytes], int]:
    """On a kit: every arrival its desk recorded, signed by the kit and encrypted to central."""
    kit = identity(connection)
    rows = connection.execute("SELECT pass_tag, day, desk FROM arrivals ORDER BY day, desk, pass_tag")
    records = [
        pass_tag + (datetime.date.fromisoformat(day) - _EPOCH).days.to_bytes(2, "big") + desk.encode("utf-8")
        for pass_tag, day, desk in rows
    ]
    parts = write_bundle(
        KIND,
        {"event": event.id, "kit": kit.name, "format": FORMAT},
        records,
        signing_key=SigningKey(kit.signing_key),
        recipient=kit.central_bundle_public_key,
    )
    with db.transaction(connection):
        audit.record(connection, "cli", "arrivals export", kit.name, {"arrivals": len(records)})
    return parts, len(records)


def import_arrivals(connection: Connection, event: Event, parts: Sequence[bytes]) -> ImportReport:
    """On central: merge a kit's arrivals, all or nothing; a replay of a bundle imported before changes nothing."""
    kits = {verify_key: name for verify_key, name in connection.execute("SELECT verify_key, name FROM kits")}
    bundle_key = connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'bundle'").fetchone()[0]
    bundle = read_bundle(parts, kind=KIND, trusted_signers=kits, recipient_key=PrivateKey(bundle_key))
    kit = bundle.signer.name
    revoked = connection.execute("SELECT revoked_day FROM kits WHERE name = ?", (kit,)).fetchone()[0]
    if revoked is not None:
        raise ArrivalsError(f"The kit {kit} was revoked on {revoked}: its bundles are not imported.")
    if bundle.header.get("event") != event.id or bundle.header.get("format") != FORMAT:
        raise ArrivalsError(f"This bundle is for the event {bundle.header.get('event')!r}, or another version.")
    arrivals = [_decode(record) for record in bundle.records]
    with db.transaction(connection):
        if connection.execute("SELECT 1 FROM imported_bundles WHERE bundle_id = ?", (bundle.bundle_id,)).fetchone():
            return ImportReport(kit, 0, 0, 0, replay=True)
        known = {tag for (tag,) in connection.execute("SELECT pass_tag FROM passes WHERE event_id = ?", (event.id,))}
        added = unknown = 0
        for pass_tag, day, desk in arrivals:
            if pass_tag not in known:
                unknown += 1
                continue
            added += connection.execute(
                "INSERT OR IGNORE INTO arrivals (pass_tag, desk, day) VALUES (?, ?, ?)", (pass_tag, desk, day)
            ).rowcount
        connection.execute(
            "INSERT INTO imported_bundles (bundle_id, kit, day) VALUES (?, ?, ?)",
            (bundle.bundle_id, kit, audit.current_day(connection)),
        )
        detail = {"added": added, "already here": len(arrivals) - added - unknown, "unknown passes": unknown}
        audit.record(connection, "cli", "arrivals import", kit, detail)
    return ImportReport(kit, added, len(arrivals) - added - unknown, unknown, replay=False)


def _decode(record: bytes) -> tuple[bytes, str, str]:
    tag_bytes = pass_crypto.PASS_TAG_BYTES
    pass_tag, day, desk = record[:tag_bytes], record[tag_bytes : tag_bytes + 2], record[tag_bytes + 2 :]
    try:
        name = desk.decode("utf-8")
    except UnicodeDecodeError:
        name = ""
    if len(pass_tag) != tag_bytes or len(day) != 2 or not 2 <= len(name) <= 40:
        raise ArrivalsError("The bundle is authentic but malformed: an arrival is not as a desk writes one.")
    return pass_tag, (_EPOCH + datetime.timedelta(days=int.from_bytes(day, "big"))).isoformat(), name


@dataclass(frozen=True)
class ArrivalCounts:
    """For staff: arrived and expected, who is approved and not arrived, and passes used at two desks or more."""

    arrived: int
    expected: int
    registrations: listing.Counts  # for the capacity line, as the registrations page words it
    not_arrived: list[str]  # pseudonyms
    double_use: list[tuple[str, list[str]]]  # pseudonym (or "(withdrawn)") and the desks


def counts(connection: Connection, event: Event) -> ArrivalCounts:
    approved = connection.execute(
        "SELECT r.pseudonym, EXISTS (SELECT 1 FROM passes AS p JOIN arrivals AS a ON a.pass_tag = p.pass_tag"
        "  WHERE p.registration_id = r.id)"
        " FROM registrations AS r WHERE r.event_id = ? AND r.status = 'approved' ORDER BY r.pseudonym",
        (event.id,),
    ).fetchall()
    doubles: dict[bytes, tuple[str, list[str]]] = {}
    for pass_tag, pseudonym, desk in connection.execute(
        "SELECT a.pass_tag, r.pseudonym, a.desk FROM arrivals AS a JOIN passes AS p ON p.pass_tag = a.pass_tag"
        " LEFT JOIN registrations AS r ON r.id = p.registration_id"
        " WHERE p.event_id = ? AND a.pass_tag IN (SELECT pass_tag FROM arrivals GROUP BY pass_tag HAVING count(*) > 1)"
        " ORDER BY r.pseudonym, a.desk",
        (event.id,),
    ):
        doubles.setdefault(pass_tag, (pseudonym or "(withdrawn)", []))[1].append(desk)
    return ArrivalCounts(
        arrived=sum(1 for _pseudonym, came in approved if came),
        expected=len(approved),
        registrations=listing.counts(connection, event.id, event.capacity),
        not_arrived=[pseudonym for pseudonym, came in approved if not came],
        double_use=list(doubles.values()),
    )
