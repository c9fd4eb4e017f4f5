"""The one place that writes the audit log: hash-chained entries with no personal value and no time,
and checkpoints over the chain signed with the instance's Ed25519 key.

An entry holds an actor (a staff username, 'participant', 'cli' or 'system'), an action, a
subject (a pseudonym, a username, a field or a compartment), details, a reason, and the day.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from app.common import base64_text
from app.common.errors import GatehouseError
from app.storage import db
from crypto import log_chain
from crypto.log_chain import Checkpoint, LogEntry, Verification, VerifiedPrefix

Entry = LogEntry
EXPORT_FORMAT = "gatehouse-audit-log"
EXPORT_VERSION = 1


def current_day(connection: db.Connection) -> str:
    """Today, or the last day written in the log if the system clock now says earlier.

    The log's days never go backwards, and nothing that counts days from a logged step
    (an approval, a purge) can be pulled earlier by a clock that jumped back.
    """
    last = last_day(connection)
    return max(connection.clock.today(), last) if last else connection.clock.today()


def last_day(connection: db.Connection) -> str | None:
    """The day of the newest entry (YYYY-MM-DD); None for an empty log."""
    last = connection.execute("SELECT day FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return str(last[0]) if last else None


def record(
    connection: db.Connection,
    actor: str,
    action: str,
    subject: str = "",
    detail: Mapping[str, object] | None = None,
    reason: str = "",
) -> str:
    """Append one entry; call inside the transaction that does what it records. Returns the entry's day."""
    last = connection.execute("SELECT seq, entry_hash, day FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, previous, day = (
        (last[0] + 1, last[1], max(connection.clock.today(), last[2]))
        if last
        else (1, log_chain.GENESIS_HASH, connection.clock.today())
    )
    detail_text = json.dumps(dict(detail or {}), sort_keys=True, ensure_ascii=False)
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
            log_chain.entry_hash(seq, day, actor, action, subject, detail_text, reason, previous),
        ),
    )
    return day


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


def entries(connection: db.Connection, after_seq: int = 0, limit: int | None = None) -> list[LogEntry]:
    query = "SELECT * FROM audit_log WHERE seq > ? ORDER BY seq"
    parameters: tuple[int, ...] = (after_seq,)
    if limit is not None:
        query, parameters = query + " LIMIT ?", (after_seq, limit)
    return [LogEntry(*row) for row in connection.execute(query, parameters)]


def last_entries(connection: db.Connection, count: int) -> list[LogEntry]:
    rows = connection.execute("SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?", (count,)).fetchall()
    return [LogEntry(*row) for row in reversed(rows)]


def last_entry_with_action(connection: db.Connection, action: str) -> LogEntry | None:
    row = connection.execute("SELECT * FROM audit_log WHERE action = ? ORDER BY seq DESC LIMIT 1", (action,)).fetchone()
    return LogEntry(*row) if row else None


def first_broken(log: Iterable[LogEntry]) -> int | None:
    """The number of the first entry whose chain does not hold, or None if all hold."""
    broken = log_chain.first_broken_link(log)
    return broken[0] if broken else None


def checkpoints(connection: db.Connection) -> list[Checkpoint]:
    return [Checkpoint(*row) for row in connection.execute("SELECT * FROM audit_checkpoints ORDER BY seq")]


def public_key_text(verify_key: bytes) -> str:
    """A signing key as `gatehouse audit public-key` prints it, so that people can compare two by eye."""
    return base64_text.encode(verify_key)


def signing_public_key(connection: db.Connection) -> bytes:
    return connection.execute("SELECT public_key FROM instance_keys WHERE purpose = 'signing'").fetchone()[0]


def sign_head(connection: db.Connection, event_id: str) -> Checkpoint | None:
    """Sign a checkpoint over the newest entry, unless it is signed already; None for an empty log."""
    with db.transaction(connection):
        head = connection.execute("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        if head is None:
            return None
        existing = connection.execute("SELECT * FROM audit_checkpoints WHERE seq = ?", (head[0],)).fetchone()
        if existing is not None:
            return Checkpoint(*existing)
        private_key = connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'signing'").fetchone()[
            0
        ]
        checkpoint = log_chain.sign_checkpoint(
            SigningKey(private_key), event_id, head[0], head[1], current_day(connection)
        )
        connection.execute(
            "INSERT INTO audit_checkpoints (seq, day, head_hash, signature) VALUES (?, ?, ?, ?)",
            (checkpoint.seq, checkpoint.day, checkpoint.head_hash, checkpoint.signature),
        )
    return checkpoint


def verify_stored(connection: db.Connection, event_id: str, since: VerifiedPrefix | None = None) -> Verification:
    """The stored log checked as an auditor checks an export, except that entries since the last
    daily signing are expected.

    With ``since`` (a prefix this process verified earlier: Verification.prefix()), the entries it covers are
    not hashed again: once every checkpoint up to it still verifies against the entry hashes stored now, only the
    entries after it are checked; otherwise the whole log is. An entry changed inside the prefix with its stored
    hash left as it was is then caught by `gatehouse audit verify` and by this page after a restart, not at
    once. A page shown often stays fast on a long log; `gatehouse audit verify` checks every entry of an export.
    """
    if since is not None and _prefix_stands(connection, event_id, since):
        newer = [Checkpoint(*row) for row in connection.execute(
            "SELECT * FROM audit_checkpoints WHERE seq > ? ORDER BY seq", (since.seq,)
        )]  # fmt: skip
        return log_chain.verify_log(
            event_id,
            entries(connection, after_seq=since.seq),
            newer,
            signing_public_key(connection),
            head_signed=False,
            since=since,
        )
    return log_chain.verify_log(
        event_id, entries(connection), checkpoints(connection), signing_public_key(connection), head_signed=False
    )


def _prefix_stands(connection: db.Connection, event_id: str, since: VerifiedPrefix) -> bool:
    """Whether what the prefix covers still reads as it did: every checkpoint up to it signed by the instance's key
    and holding the hash its entry has now (a few signatures, not the whole chain), and as many of them."""
    covered = connection.execute(
        "SELECT c.seq, c.day, c.head_hash, c.signature, a.entry_hash FROM audit_checkpoints AS c"
        " LEFT JOIN audit_log AS a ON a.seq = c.seq WHERE c.seq <= ? ORDER BY c.seq",
        (since.seq,),
    ).fetchall()
    if len(covered) != since.checkpoints or not covered or covered[-1][0] != since.seq:
        return False
    verify_key = VerifyKey(signing_public_key(connection))
    for seq, day, head_hash, signature, stored_hash in covered:
        if stored_hash != head_hash:
            return False
        try:
            verify_key.verify(log_chain.checkpoint_message(event_id, seq, head_hash, day), signature)
        except (BadSignatureError, ValueError, TypeError):
            return False
    return covered[-1][2] == since.entry_hash


def export_document(connection: db.Connection, event_id: str) -> dict[str, Any]:
    """The whole log with its checkpoints, after signing the head: what `gatehouse audit verify` reads.

    It ends at the head just signed: an entry another request writes meanwhile waits for the next export,
    rather than making this one fail its own verification as not covered by a checkpoint.
    """
    head = sign_head(connection, event_id)
    last_seq = head.seq if head is not None else 0
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "event": event_id,
        "public_key": base64_text.encode(signing_public_key(connection)),
        "entries": [
            {
                "seq": e.seq,
                "day": e.day,
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "detail": e.detail,
                "reason": e.reason,
                "previous_hash": base64_text.encode(e.previous_hash),
                "entry_hash": base64_text.encode(e.entry_hash),
            }
            for e in entries(connection)
            if e.seq <= last_seq
        ],
        "checkpoints": [
            {
                "seq": c.seq,
                "day": c.day,
                "head_hash": base64_text.encode(c.head_hash),
                "signature": base64_text.encode(c.signature),
            }
            for c in checkpoints(connection)
            if c.seq <= last_seq
        ],
    }


class ExportUnreadable(GatehouseError, ValueError):
    """The file is not an audit log export Gatehouse can read; the message says why."""


def verify_document(document: object, public_key: bytes) -> tuple[str, Verification]:
    """(event id, verification) for an export read from a file; ExportUnreadable for anything malformed.

    The public key an auditor kept is what counts: the one written in the file is not trusted.
    """
    event_id, log, signed = read_document(document)
    return event_id, log_chain.verify_log(event_id, log, signed, public_key)


def read_document(document: object) -> tuple[str, list[LogEntry], list[Checkpoint]]:
    """(event id, entries, checkpoints) of an export read from a file, unchecked; ExportUnreadable if malformed."""
    try:
        if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
            raise ExportUnreadable("this is not a Gatehouse audit log export")
        if document.get("version") != EXPORT_VERSION:
            raise ExportUnreadable(f"this export has version {document.get('version')!r}; this Gatehouse reads 1")
        event_id = _text(document["event"])
        log = [
            LogEntry(
                _integer(e["seq"]),
                _text(e["day"]),
                _text(e["actor"]),
                _text(e["action"]),
                _text(e["subject"]),
                _text(e["detail"]),
                _text(e["reason"]),
                base64_text.decode(e["previous_hash"]),
                base64_text.decode(e["entry_hash"]),
            )
            for e in document["entries"]
        ]
        signed = [
            Checkpoint(
                _integer(c["seq"]),
                _text(c["day"]),
                base64_text.decode(c["head_hash"]),
                base64_text.decode(c["signature"]),
            )
            for c in document["checkpoints"]
        ]
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, ExportUnreadable):
            raise
        raise ExportUnreadable("the export is damaged: a required part is missing or has the wrong type") from None
    return event_id, log, signed


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError
    return value


def _integer(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError
    return value
