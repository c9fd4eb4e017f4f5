"""What the database holds after a load or a crash, checked against what the participants were told.

Every check opens the real SQLCipher file with the instance key and every record with the
compartment keys from the recovery words, as the organisers would after an incident.
Problems are described by kind, count and position only: never a value.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import crypto
from app.audit import log as audit
from app.instance.folder import open_instance
from app.keys.keyring import keys_from_recovery
from app.registrations.records import load_all_records, open_record
from tests.load.browser import Acknowledged, Submission
from tests.load.driver import Ledger

WITHDRAWN_ACTION = "withdrawn by participant"


@dataclass
class Findings:
    records: int = 0
    acknowledged_forms: int = 0
    withdrawn: int = 0
    # Forms sent whose answer never came (the server was killed) but that are stored: token -> pseudonym.
    unanswered_stored: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """How many problems of each kind, for a failure message that reads at a glance."""
        kinds = Counter(re.sub(r"\d+", "N", problem.partition(": ")[2] or problem) for problem in self.problems)
        return "; ".join(f"{count} x {kind}" for kind, count in kinds.most_common())


def check_stored(instance_path: Path, recovery_words: list[str], ledger: Ledger) -> Findings:
    """The database agrees with every answer a participant received.

    An acknowledged form is stored exactly once, under the receipt it was given, and opens
    with the values sent; an acknowledged withdrawal left no record and one audit entry. What
    was in flight at a kill may have happened or not, but wholly: a form stored with all its
    values, a withdrawal gone with its entry. Nothing else is stored at all.
    """
    instance = open_instance(instance_path)
    event = instance.event
    findings = Findings()
    forms: dict[str, Acknowledged] = {}  # the first receipt of each form
    for position, ack in enumerate(ledger.acknowledged):
        first = forms.setdefault(ack.submission.token, ack)
        if (first.pseudonym, first.codename) != (ack.pseudonym, ack.codename):
            findings.problems.append(f"acknowledgement {position}: one form was given two different receipts")
    findings.acknowledged_forms = len(forms)

    connection = instance.connect()
    try:
        rows = connection.execute(
            "SELECT id, pseudonym, codename_lookup FROM registrations WHERE event_id = ?", (event.id,)
        ).fetchall()
        recovery_key = crypto.private_key_from_recovery_words(" ".join(recovery_words))
        keys = keys_from_recovery(connection, event.id, recovery_key)
        sealed = {record.registration_id: record for record in load_all_records(connection, event.id)}
        withdrawal_entries = Counter(e.subject for e in audit.entries(connection) if e.action == WITHDRAWN_ACTION)
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

    withdrawn = {ack.submission.token for ack in ledger.withdrawn}
    maybe_withdrawn = {ack.submission.token for ack in ledger.withdrawals_in_flight}
    gone: set[str] = set()
    for position, (token, ack) in enumerate(forms.items()):
        what = f"acknowledged form {position}"
        if ack.codename != crypto.codename_for_submission(instance.secrets.receipt_key, token):
            findings.problems.append(f"{what}: the receipt's codename is not this form's")
        pseudonym = stored_as_sent(ack.submission, what)
        if pseudonym is None and (token in withdrawn or token in maybe_withdrawn):
            gone.add(token)
        elif pseudonym is None:
            findings.problems.append(f"{what}: acknowledged but not stored")
        elif token in withdrawn:
            findings.problems.append(f"{what}: withdrawal confirmed but the record is still stored")
        elif pseudonym != ack.pseudonym:
            findings.problems.append(f"{what}: stored under another pseudonym than its receipt's")
    unanswered = {submission.token: submission for submission in ledger.in_flight if submission.token not in forms}
    for position, (token, submission) in enumerate(unanswered.items()):
        pseudonym = stored_as_sent(submission, f"unanswered form {position}")
        if pseudonym is not None:
            findings.unanswered_stored[token] = pseudonym
    findings.withdrawn = len(gone)

    # Each withdrawal that happened left one entry in the audit log, written in the transaction that destroyed it.
    gone_pseudonyms = Counter(forms[token].pseudonym for token in gone)
    if gone_pseudonyms != withdrawal_entries:
        missing = sum((gone_pseudonyms - withdrawal_entries).values())
        extra = sum((withdrawal_entries - gone_pseudonyms).values())
        findings.problems.append(
            f"audit log: {missing} withdrawals without their entry, {extra} entries without a withdrawal"
        )
    expected = len(forms) - len(gone) + len(findings.unanswered_stored)
    if len(rows) != expected:
        findings.problems.append(f"{len(rows)} records stored for {expected} forms sent and not withdrawn")
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
