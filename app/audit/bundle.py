"""The audit log as a bundle, the one format for everything that leaves an instance: signed by the instance
and not encrypted, so that an auditor anywhere can check it with the instance's public key alone.

Records: first a JSON document {"format", "version", "event", "checkpoints"}, then one JSON object per entry,
in order (the fields of app.audit.export_document). Reading checks the bundle's signature first, so a byte
changed by anyone without the instance's key is refused as damaged; then the hash chain and the signed
checkpoints, which name the first entry changed even by someone who re-signed the bundle with that key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from nacl.signing import SigningKey

from app.audit import log as audit
from app.common.progress import Progress
from app.storage.connection import Connection
from crypto import log_chain
from crypto.log_chain import Checkpoint, LogEntry, Verification
from offline_bundle import read_bundle, write_bundle

KIND = "audit-log"


def export_log(connection: Connection, event_id: str, actor: str) -> tuple[list[bytes], int, int]:
    """Log the export, then write the log as a bundle (the head signed now): what both front-ends hand out."""
    audit.log(connection, actor, "audit export", event_id)
    return write_audit_bundle(connection, event_id)


def write_audit_bundle(connection: Connection, event_id: str) -> tuple[list[bytes], int, int]:
    """The log with its checkpoints (the head signed now), as one bundle part; and the two counts."""
    document = audit.export_document(connection, event_id)
    head = {key: document[key] for key in ("format", "version", "event", "checkpoints")}
    records = [_json(head), *(_json(entry) for entry in document["entries"])]
    signing_key = connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'signing'").fetchone()[0]
    parts = write_bundle(KIND, {"event": event_id}, records, signing_key=SigningKey(signing_key))
    return parts, len(document["entries"]), len(document["checkpoints"])


@dataclass(frozen=True)
class AuditExport:
    """An export as an auditor reads it: the log it carries, and what checking it with their key found."""

    event_id: str
    entries: list[LogEntry]
    checkpoints: list[Checkpoint]
    verification: Verification


def read_audit_bundle(parts: list[bytes], public_key: bytes, progress: Progress | None = None) -> AuditExport:
    """The export, its chain and checkpoints checked; a BundleError if the bundle is not authentic under
    ``public_key``, audit.ExportUnreadable if its records are not a log."""
    bundle = read_bundle(parts, kind=KIND, trusted_signers={public_key: "instance"}, progress=progress)
    try:
        head = json.loads(bundle.records[0])
        document = {**head, "entries": [json.loads(record) for record in bundle.records[1:]]}
    except (ValueError, IndexError, TypeError):
        raise audit.ExportUnreadable("the export is damaged: a record is not readable") from None
    event_id, entries, checkpoints = audit.read_document(document)
    verification = log_chain.verify_log(event_id, entries, checkpoints, public_key)
    return AuditExport(event_id, entries, checkpoints, verification)


def verify_audit_bundle(
    parts: list[bytes], public_key: bytes, progress: Progress | None = None
) -> tuple[str, Verification]:
    """(event id, verification); a BundleError if the bundle is not authentic under ``public_key``,
    audit.ExportUnreadable if its records are not a log."""
    export = read_audit_bundle(parts, public_key, progress)
    return export.event_id, export.verification


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
