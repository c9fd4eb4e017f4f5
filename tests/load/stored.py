"""What the database holds after a load or a crash, checked against what the server acknowledged.

Every check opens the real SQLCipher file with the instance key and every record with the
compartment keys from the recovery words, as the organisers would after an incident.
Problems are described by count and position only: never a value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import crypto
from app import audit
from app.instance import open_instance
from app.keyring import keys_from_recovery
from app.records import load_all_records, open_record
from tests.load.driver import Acknowledged, Submission


@dataclass
class Findings:
    records: int = 0
    acknowledged_forms: int = 0
    # Forms whose answer never arrived (the server was killed) that are stored: token -> pseudonym.
    unanswered_stored: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def check_stored(
    instance_path: Path,
    recovery_words: list[str],
    acknowledged: Iterable[Acknowledged],
    unanswered: Iterable[Submission] = (),
) -> Findings:
    """Every acknowledged form is stored exactly once, under the receipt it was given, with the values it sent.

    A form sent but never answered may be stored or not, but if stored then whole, once, and
    with the values sent; nothing else may be stored at all.
    """
    instance = open_instance(instance_path)
    event = instance.event
    findings = Findings()
    receipts: dict[str, Acknowledged] = {}
    for position, ack in enumerate(acknowledged):
        earlier = receipts.setdefault(ack.submission.token, ack)
        if (earlier.pseudonym, earlier.codename) != (ack.pseudonym, ack.codename):
            findings.problems.append(f"acknowledgement {position}: one form was given two different receipts")
    findings.acknowledged_forms = len(receipts)
    pending = {submission.token: submission for submission in unanswered if submission.token not in receipts}

    connection = instance.connect()
    try:
        rows = connection.execute(
            "SELECT id, pseudonym, codename_lookup FROM registrations WHERE event_id = ?", (event.id,)
        ).fetchall()
        recovery_key = crypto.private_key_from_recovery_words(" ".join(recovery_words))
        keys = keys_from_recovery(connection, event.id, recovery_key)
        sealed = {record.registration_id: record for record in load_all_records(connection, event.id)}
    finally:
        connection.close()
    findings.records = len(rows)
    by_lookup = {lookup: (registration_id, pseudonym) for registration_id, pseudonym, lookup in rows}
    field_keys = [rule.key for rule in event.registration_fields()]

    def stored_as_sent(submission: Submission, what: str) -> str | None:
        """The pseudonym the form is stored under, after checking its values; None if not stored."""
        codename = crypto.codename_for_submission(instance.secrets.receipt_key, submission.token)
        found = by_lookup.get(crypto.codename_lookup(instance.secrets.codename_lookup_key, codename))
        if found is None:
            return None
        registration_id, pseudonym = found
        if registration_id not in sealed:
            findings.problems.append(f"{what}: stored without any sealed value")
            return pseudonym
        opened = open_record(event.id, sealed[registration_id], keys)
        values = {key: value for part in opened.values() for key, value in part.items()}
        wrong = sorted(key for key in field_keys if values.get(key) != submission.form[key])
        if wrong or len(values) != len(field_keys):
            findings.problems.append(f"{what}: opens with other values than were sent ({', '.join(wrong)})")
        return pseudonym

    for position, (token, ack) in enumerate(receipts.items()):
        what = f"acknowledged form {position}"
        if ack.codename != crypto.codename_for_submission(instance.secrets.receipt_key, token):
            findings.problems.append(f"{what}: the receipt's codename is not this form's")
        pseudonym = stored_as_sent(ack.submission, what)
        if pseudonym is None:
            findings.problems.append(f"{what}: acknowledged but not stored")
        elif pseudonym != ack.pseudonym:
            findings.problems.append(f"{what}: stored under another pseudonym than its receipt's")
    for position, (token, submission) in enumerate(pending.items()):
        pseudonym = stored_as_sent(submission, f"unanswered form {position}")
        if pseudonym is not None:
            findings.unanswered_stored[token] = pseudonym

    expected = len(receipts) + len(findings.unanswered_stored)
    if len(rows) != expected:
        findings.problems.append(f"{len(rows)} records stored for {expected} forms sent")
    return findings


def database_health(instance_path: Path) -> list[str]:
    """SQLite's and SQLCipher's own checks of every page, and the audit chain verified: problems found."""
    instance = open_instance(instance_path)
    connection = instance.connect()
    try:
        problems = [
            f"integrity_check: {row[0]}"
            for row in connection.execute("PRAGMA integrity_check").fetchall()
            if row[0] != "ok"
        ]
        # SQLCipher checks each page's HMAC: a torn or stale page shows up here.
        problems += [f"cipher_integrity_check: {row[0]}" for row in connection.execute("PRAGMA cipher_integrity_check")]
        problems += [
            f"foreign_key_check: {row[0]}" for row in connection.execute("PRAGMA foreign_key_check").fetchall()
        ]
        verification = audit.verify_stored(connection, instance.event.id)
        if not verification.ok:
            problems.append(f"audit chain: {verification.problem}")
    finally:
        connection.close()
    return problems
