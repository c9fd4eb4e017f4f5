"""The one place that writes the audit log: hash-chained entries with no personal value and no time.

Each entry's hash covers its content and the previous entry's hash, so changing,
removing or reordering an entry breaks every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app import db
from app.days import today

GENESIS_HASH = bytes(32)


@dataclass(frozen=True)
class Entry:
    seq: int
    day: str
    actor: str
    action: str
    subject: str
    detail: str
    reason: str
    previous_hash: bytes
    entry_hash: bytes


def entry_hash(
    seq: int, day: str, actor: str, action: str, subject: str, detail: str, reason: str, previous: bytes
) -> bytes:
    content = json.dumps([seq, day, actor, action, subject, detail, reason], ensure_ascii=False).encode("utf-8")
    return hashlib.blake2b(previous + content, digest_size=32, person=b"gh.audit.v1").digest()


def record(
    connection: db.Connection,
    actor: str,
    action: str,
    subject: str = "",
    detail: Mapping[str, object] | None = None,
    reason: str = "",
) -> None:
    """Append one entry; call inside the transaction that does what it records."""
    last = connection.execute("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, previous = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    detail_text = json.dumps(dict(detail or {}), sort_keys=True, ensure_ascii=False)
    day = today()
    connection.execute(
        "INSERT INTO audit_log (seq, day, actor, action, subject, detail, reason, previous_hash, entry_hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            seq,
            day,
            actor,
            action,
            subject,
            detail_text,
            reason,
            previous,
            entry_hash(seq, day, actor, action, subject, detail_text, reason, previous),
        ),
    )


def log(
    connection: db.Connection,
    actor: str,
    action: str,
    subject: str = "",
    detail: Mapping[str, object] | None = None,
    reason: str = "",
) -> None:
    """Append one entry in a transaction of its own, for events that change nothing else."""
    with db.transaction(connection):
        record(connection, actor, action, subject, detail, reason)


def entries(connection: db.Connection) -> list[Entry]:
    return [Entry(*row) for row in connection.execute("SELECT * FROM audit_log ORDER BY seq")]


def first_broken(log: Iterable[Entry]) -> int | None:
    """The sequence number of the first entry whose chain does not hold, or None if all hold."""
    previous, expected_seq = GENESIS_HASH, 1
    for entry in log:
        recomputed = entry_hash(
            entry.seq, entry.day, entry.actor, entry.action, entry.subject, entry.detail, entry.reason, previous
        )
        if entry.seq != expected_seq or entry.previous_hash != previous or entry.entry_hash != recomputed:
            return entry.seq
        previous, expected_seq = entry.entry_hash, expected_seq + 1
    return None
