"""The register of visa letters: each letter's reference, pseudonym, day and keyed passport hash; verify, revoke.

The letter secret (crypto.letters) is kept as the instance's log-signing key is, in instance_keys (purpose
'letters'), inside the SQLCipher database; an instance set up before letters existed draws it on first use.
"""

from __future__ import annotations

import datetime
import enum
import re
from dataclasses import dataclass

from app.audit import log as audit
from app.common.errors import GatehouseError, NotFound
from app.events.definition import Event, LetterRules
from app.registrations import set_aside
from app.storage import db
from app.storage.connection import Connection
from crypto import letters as letter_crypto


class EventWritesNoLetters(GatehouseError):
    def __init__(self) -> None:
        super().__init__("this event writes no visa letters: its definition has no [letters] table")


class UnknownLetter(NotFound):
    def __init__(self) -> None:
        super().__init__("there is no letter with that reference in the register")


class Verdict(enum.Enum):
    GENUINE = "genuine"  # made here, for that passport, and not revoked
    REVOKED = "revoked"  # made here for that passport, and revoked since
    NOT_GENUINE = "not genuine"  # the code or the passport number does not match the register's letter
    UNKNOWN = "unknown"  # no letter with that reference (never made, or forgotten after its retention)


@dataclass(frozen=True)
class Entry:
    number: int
    reference: str
    pseudonym: str
    issued: datetime.date
    code: str


def rules_of(event: Event) -> LetterRules:
    if event.letters is None:
        raise EventWritesNoLetters()
    return event.letters


def letter_keys(connection: Connection) -> letter_crypto.LetterKeys:
    """The instance's letter keys, the secret drawn and stored on first use; call inside a transaction."""
    return letter_crypto.letter_keys(letter_secret(connection))


def letter_secret(connection: Connection) -> bytes:
    """The instance's letter secret, drawn and stored on first use; call inside a transaction."""
    row = connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'letters'").fetchone()
    if row is not None:
        return bytes(row[0])
    secret = letter_crypto.new_letter_secret()
    connection.execute(
        "INSERT INTO instance_keys (purpose, public_key, private_key) VALUES ('letters', ?, ?)",
        (letter_crypto.letter_keys(secret).public_key, secret),
    )
    return secret


def enter(
    connection: Connection, event: Event, keys: letter_crypto.LetterKeys, pseudonym: str, passport: str, day: str
) -> Entry:
    """Register a new letter under the next free number (after any block reserved for a laptop); in a transaction."""
    entry, hashed = new_entry(event, keys, next_number(connection, event), pseudonym, passport, day)
    insert(connection, event, entry, hashed)
    return entry


def next_number(connection: Connection, event: Event) -> int:
    """One more than the largest number registered or reserved (app.registrations.letter_blocks)."""
    (last,) = connection.execute(
        "SELECT max(coalesce((SELECT max(number) FROM letter_register WHERE event_id = ?), 0),"
        " coalesce((SELECT max(last_number) FROM letter_blocks WHERE event_id = ?), 0))",
        (event.id, event.id),
    ).fetchone()
    return int(last) + 1


def new_entry(
    event: Event, keys: letter_crypto.LetterKeys, number: int, pseudonym: str, passport: str, day: str
) -> tuple[Entry, bytes]:
    """The letter numbered ``number`` and the keyed hash of its passport: on central or on an air-gapped laptop."""
    reference = reference_of(event, number)
    hashed = letter_crypto.passport_hash(keys, passport)
    issued = datetime.date.fromisoformat(day)
    return Entry(number, reference, pseudonym, issued, code_of(keys, event, reference, issued, hashed)), hashed


def reference_of(event: Event, number: int) -> str:
    return f"{rules_of(event).reference_prefix}-{number:04d}"


def insert(connection: Connection, event: Event, entry: Entry, hashed: bytes) -> None:
    connection.execute(
        "INSERT INTO letter_register (reference, event_id, number, pseudonym, issued_day, passport_hash)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (entry.reference, event.id, entry.number, entry.pseudonym, entry.issued.isoformat(), hashed),
    )


def code_of(keys: letter_crypto.LetterKeys, event: Event, reference: str, day: datetime.date, hashed: bytes) -> str:
    return letter_crypto.verification_code(
        keys, reference=reference, day=day, starts=event.starts, ends=event.ends, hashed_passport=hashed
    )


def normalise_reference(typed: str) -> str:
    return re.sub(r"\s", "", typed).upper()


def with_letters(connection: Connection, event: Event) -> set[str]:
    """The pseudonyms that have a letter that stands (not revoked)."""
    rows = connection.execute(
        "SELECT pseudonym FROM letter_register WHERE event_id = ? AND revoked_day IS NULL", (event.id,)
    )
    return {pseudonym for (pseudonym,) in rows}


def verify(connection: Connection, event: Event, *, reference: str, code: str, passport: str, actor: str) -> Verdict:
    """Whether a letter is genuine, not revoked, and for that passport; logged with the reference and verdict."""
    rules_of(event)
    reference = normalise_reference(reference)
    with db.transaction(connection):
        row = connection.execute(
            "SELECT issued_day, passport_hash, revoked_day FROM letter_register WHERE reference = ? AND event_id = ?",
            (reference, event.id),
        ).fetchone()
        if row is None:
            verdict = Verdict.UNKNOWN
        else:
            issued_day, stored_hash, revoked_day = row
            keys = letter_keys(connection)
            typed_hash = letter_crypto.passport_hash(keys, passport)
            printed = code_of(keys, event, reference, datetime.date.fromisoformat(issued_day), stored_hash)
            if typed_hash != stored_hash or not letter_crypto.codes_match(printed, code):
                verdict = Verdict.NOT_GENUINE
            else:
                verdict = Verdict.REVOKED if revoked_day else Verdict.GENUINE
        # The log names the reference only when it is one of the register's: what was typed is never written.
        detail = {"reference": reference if row is not None else "(none such)", "verdict": verdict.value}
        audit.record(connection, actor, "letter verified", event.id, detail)
    return verdict


def revoke(connection: Connection, event: Event, *, reference: str, reason: str, actor: str) -> str:
    """Make a letter fail verification from now on; logged with the reason. Returns its reference."""
    rules_of(event)
    reference = normalise_reference(reference)
    reason = reason.strip()
    if not 4 <= len(reason) <= set_aside.MAX_REASON:
        raise set_aside.ReasonRequired()
    with db.transaction(connection):
        row = connection.execute(
            "SELECT pseudonym, revoked_day FROM letter_register WHERE reference = ? AND event_id = ?",
            (reference, event.id),
        ).fetchone()
        if row is None:
            raise UnknownLetter()
        if row[1] is None:
            day = audit.current_day(connection)
            connection.execute("UPDATE letter_register SET revoked_day = ? WHERE reference = ?", (day, reference))
            detail = {"reference": reference, "pseudonym": row[0]}
            audit.record(connection, actor, "letter revoked", event.id, detail, reason)
    return reference


def forget_expired(connection: Connection, event: Event, on_day: datetime.date) -> int:
    """Delete the register's entries once its retention is over; inside the purge's transaction."""
    forgets_on = event.letters_register_forgets_on()
    if forgets_on is None or on_day < forgets_on:
        return 0
    connection.execute("DELETE FROM letter_blocks WHERE event_id = ?", (event.id,))
    return connection.execute("DELETE FROM letter_register WHERE event_id = ?", (event.id,)).rowcount


def register_size(connection: Connection, event: Event) -> int:
    """How many letters of this event the register holds, revoked ones included."""
    return connection.execute("SELECT count(*) FROM letter_register WHERE event_id = ?", (event.id,)).fetchone()[0]
