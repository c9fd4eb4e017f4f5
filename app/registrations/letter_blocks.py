"""Letters made on an air-gapped laptop: a block of numbers reserved for one staff export, and the bundle that
brings the letters made there into central's register.

Central reserves a block when it writes a staff export with letters (logged), and never numbers a letter of
its own inside it (letter_register.next_number). The laptop makes one run of letters in that block, signed
with the letter secret the export sealed to that staff member, and writes a `letters-made` bundle: signed with
the letter key, encrypted to central's bundle key, holding no personal value (offline_bundle/FORMAT.md).
Central takes a run whole or not at all: every number inside its block, the block's first run only, and the
same run again changes nothing.
"""

from __future__ import annotations

import binascii
import datetime
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from nacl.public import PrivateKey, PublicKey

import crypto
from app.audit import log as audit
from app.common import base64_text
from app.common.errors import GatehouseError
from app.events.definition import Event
from app.registrations import letter_register, letters, set_aside
from app.storage import db
from app.storage.connection import Connection
from crypto import letters as letter_crypto
from offline_bundle import read_bundle, write_bundle

KIND = "letters-made"
FORMAT = "gatehouse-letters-made"
VERSION = 1
MAX_BLOCK = 2000  # more letters than any gathering needs from one laptop
RUN_BYTES = 16
_PSEUDONYM = re.compile(r"[A-Za-z][A-Za-z0-9 -]{0,63}")


class LettersRefused(GatehouseError):
    """A letters-made bundle central does not take; nothing was registered. The message holds no value."""


class BadBlockSize(GatehouseError):
    def __init__(self) -> None:
        super().__init__(f"a block of letter numbers holds 1 to {MAX_BLOCK} numbers")


@dataclass(frozen=True)
class Block:
    first: int
    last: int
    username: str
    reserved_day: str

    def __contains__(self, number: object) -> bool:
        return isinstance(number, int) and self.first <= number <= self.last


@dataclass(frozen=True)
class MadeEntry:
    number: int
    pseudonym: str
    issued_day: str
    passport_hash: bytes


@dataclass(frozen=True)
class MadeOffline:
    """One run of letters on a laptop, as its bundle carries it: pseudonyms, numbers, days and hashes only."""

    event_id: str
    username: str
    block: tuple[int, int]
    run: bytes
    language: str
    reason: str
    opened: tuple[str, ...]  # every pseudonym whose letter fields were opened
    refused: tuple[str, ...]
    overridden: tuple[str, ...]
    override_checks: tuple[str, ...]
    override_reason: str
    entries: tuple[MadeEntry, ...] = field(default=())


@dataclass(frozen=True)
class ImportReport:
    added: int
    replay: bool
    block: tuple[int, int]
    username: str


def reserve(connection: Connection, event: Event, username: str, count: int) -> Block:
    """Reserve the next ``count`` numbers for ``username``'s export, logged; its own transaction."""
    letter_register.rules_of(event)
    if isinstance(count, bool) or not 1 <= count <= MAX_BLOCK:
        raise BadBlockSize()
    with db.transaction(connection):
        first = letter_register.next_number(connection, event)
        day = audit.current_day(connection)
        block = Block(first, first + count - 1, username, day)
        connection.execute(
            "INSERT INTO letter_blocks (event_id, first_number, last_number, username, reserved_day)"
            " VALUES (?, ?, ?, ?, ?)",
            (event.id, block.first, block.last, username, day),
        )
        detail = {"first": letter_register.reference_of(event, block.first), "last": block.last, "for": username}
        audit.record(connection, "cli", "letter numbers reserved", event.id, detail)
    return block


def write_made(made: MadeOffline, keys: letter_crypto.LetterKeys, central_bundle_key: bytes) -> list[bytes]:
    """The bundle a laptop sends back: signed with the letter key, encrypted to central's bundle key."""
    header: dict[str, str | int] = {"event": made.event_id, "format": VERSION, "block": made.block[0]}
    return write_bundle(
        KIND, header, [encode_made(made)], signing_key=keys.signing_key, recipient=PublicKey(central_bundle_key)
    )


def import_made(connection: Connection, event: Event, parts: Sequence[bytes]) -> ImportReport:
    """Register the letters of one laptop run, whole or not at all (LettersRefused, BundleError), logged."""
    letter_register.rules_of(event)
    with db.transaction(connection):
        keys = letter_register.letter_keys(connection)
        (bundle_key,) = connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'bundle'").fetchone()
        bundle = read_bundle(
            parts, kind=KIND, trusted_signers={keys.public_key: "letter key"}, recipient_key=PrivateKey(bundle_key)
        )
        if len(bundle.records) != 1:
            raise LettersRefused("This letters bundle is authentic but malformed: it must hold one document.")
        made = decode_made(bundle.records[0])
        if made.event_id != event.id or bundle.header.get("event") != event.id:
            raise LettersRefused("These letters were made for another event.")
        block = _block(connection, event, made)
        row = connection.execute(
            "SELECT run FROM letter_blocks WHERE event_id = ? AND first_number = ?", (event.id, block.first)
        ).fetchone()
        report = ImportReport(len(made.entries), False, made.block, made.username)
        if row[0] is not None:
            if bytes(row[0]) == made.run:
                return ImportReport(0, True, made.block, made.username)
            raise LettersRefused(
                "Letters of this block came back already, from another run of the same export: these letters are"
                " not registered, and would not verify. Destroy their printed copies and make them again."
            )
        _check_entries(connection, event, block, made)
        for entry in made.entries:
            issued = datetime.date.fromisoformat(entry.issued_day)
            reference = letter_register.reference_of(event, entry.number)
            code = letter_register.code_of(keys, event, reference, issued, entry.passport_hash)
            letter_register.insert(
                connection, event, letter_register.Entry(entry.number, reference, entry.pseudonym, issued, code),
                entry.passport_hash,
            )  # fmt: skip
        connection.execute(
            "UPDATE letter_blocks SET run = ? WHERE event_id = ? AND first_number = ?",
            (made.run, event.id, block.first),
        )
        _log(connection, event, made)
    return report


def _block(connection: Connection, event: Event, made: MadeOffline) -> Block:
    row = connection.execute(
        "SELECT first_number, last_number, username, reserved_day FROM letter_blocks"
        " WHERE event_id = ? AND first_number = ?",
        (event.id, made.block[0]),
    ).fetchone()
    if row is None or (row[0], row[1]) != made.block or row[2] != made.username:
        raise LettersRefused("These letters name a block of numbers this instance did not reserve for their maker.")
    return Block(*row)


def _check_entries(connection: Connection, event: Event, block: Block, made: MadeOffline) -> None:
    latest = datetime.date.fromisoformat(audit.current_day(connection)) + datetime.timedelta(days=1)
    numbers = [entry.number for entry in made.entries]
    if len(set(numbers)) != len(numbers):
        raise LettersRefused("These letters give one number twice.")
    for entry in made.entries:
        if entry.number not in block:
            raise LettersRefused(
                f"A letter is numbered {entry.number}, outside the block {block.first}-{block.last} its export"
                " reserved: nothing was registered."
            )
        day = datetime.date.fromisoformat(entry.issued_day)
        if not block.reserved_day <= entry.issued_day or day > latest:
            raise LettersRefused(
                "A letter is dated before its export was made, or after today: check the laptop's clock."
            )
    taken = connection.execute(
        "SELECT count(*) FROM letter_register WHERE event_id = ? AND number BETWEEN ? AND ?",
        (event.id, block.first, block.last),
    ).fetchone()[0]
    if taken:
        raise LettersRefused("A number of this block is in the register already: nothing was registered.")


def _log(connection: Connection, event: Event, made: MadeOffline) -> None:
    """The entries central would have written had the letters been made here, by their maker, with their reasons."""
    rules = letter_register.rules_of(event)
    offline = {"made offline": True, "block": letter_register.reference_of(event, made.block[0])}
    opening = {
        "compartments": list(rules.compartments),
        "fields": list(rules.fields),
        "pseudonyms": list(made.opened),
        "language": made.language,
        **offline,
    }
    audit.record(connection, made.username, "letters", event.id, opening, made.reason)
    if made.overridden:
        checks = {"pseudonyms": list(made.overridden), "checks": list(made.override_checks), **offline}
        audit.record(connection, made.username, "letter checks overridden", event.id, checks, made.override_reason)
    references = {e.pseudonym: letter_register.reference_of(event, e.number) for e in made.entries}
    registered = {**letters.registered(references, made.refused), **offline}
    audit.record(connection, made.username, "letters registered", event.id, registered, made.reason)


def encode_made(made: MadeOffline) -> bytes:
    document = {
        "format": FORMAT,
        "version": VERSION,
        "event": made.event_id,
        "username": made.username,
        "block": list(made.block),
        "run": base64_text.encode(made.run),
        "language": made.language,
        "reason": made.reason,
        "opened": list(made.opened),
        "refused": list(made.refused),
        "overridden": list(made.overridden),
        "override_checks": list(made.override_checks),
        "override_reason": made.override_reason,
        "letters": [[e.number, e.pseudonym, e.issued_day, base64_text.encode(e.passport_hash)] for e in made.entries],
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")


def decode_made(data: bytes) -> MadeOffline:
    malformed = LettersRefused("This letters bundle is authentic but malformed: nothing was registered.")
    try:
        document = json.loads(data)
        if document["format"] != FORMAT or document["version"] != VERSION:
            raise LettersRefused("These letters were written by another version of Gatehouse.")
        first, last = _block_numbers(document["block"])
        entries = tuple(
            MadeEntry(number, pseudonym, day, base64_text.decode(hashed))
            for number, pseudonym, day, hashed in document["letters"]
        )
        made = MadeOffline(
            event_id=_text(document["event"]),
            username=_text(document["username"]),
            block=(first, last),
            run=base64_text.decode(document["run"]),
            language=_text(document["language"]),
            reason=_text(document["reason"]),
            opened=_pseudonyms(document["opened"]),
            refused=_pseudonyms(document["refused"]),
            overridden=_pseudonyms(document["overridden"]),
            override_checks=tuple(_text(check) for check in document["override_checks"]),
            override_reason=_text(document["override_reason"]),
            entries=entries,
        )
    except LettersRefused:
        raise
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise malformed from None
    whole = (
        len(made.run) == RUN_BYTES
        and 4 <= len(made.reason.strip()) <= set_aside.MAX_REASON
        and all(_well_formed(entry) for entry in entries)
    )
    if not whole:
        raise malformed
    return made


def _well_formed(entry: MadeEntry) -> bool:
    try:
        if datetime.date.fromisoformat(entry.issued_day).isoformat() != entry.issued_day:
            return False  # only the canonical YYYY-MM-DD, which compares as days do
    except (TypeError, ValueError):
        return False
    return (
        isinstance(entry.number, int)
        and not isinstance(entry.number, bool)
        and isinstance(entry.pseudonym, str)
        and _PSEUDONYM.fullmatch(entry.pseudonym) is not None
        and len(entry.passport_hash) == 32
    )


def _block_numbers(value: object) -> tuple[int, int]:
    if not isinstance(value, list) or len(value) != 2:
        raise TypeError("not a block")
    first, last = value
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (first, last)) or not 1 <= first <= last:
        raise ValueError("not a block")
    return first, last


def _text(value: object) -> str:
    if not isinstance(value, str) or len(value) > 1000:
        raise TypeError("not a text")
    return value


def _pseudonyms(values: object) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise TypeError("not a list")
    return tuple(_text(value) for value in values)


@dataclass(frozen=True)
class ExportLetters:
    """What a staff export carries to make letters offline: its block, the letter secret sealed to its reader,
    central's bundle key to send the letters back, and who has a standing letter already."""

    block: tuple[int, int]
    sealed_secret: bytes
    central_bundle_key: bytes
    with_letters: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "block": list(self.block),
            "secret": base64_text.encode(self.sealed_secret),
            "central_bundle_key": base64_text.encode(self.central_bundle_key),
            "with_letters": list(self.with_letters),
        }

    @classmethod
    def from_json(cls, value: dict[str, object]) -> ExportLetters:
        """Raises ValueError, KeyError, TypeError or binascii.Error for what is not such a section."""
        block = _block_numbers(value["block"])
        central = base64_text.decode(_text(value["central_bundle_key"]))
        if len(central) != 32:
            raise ValueError("not a key")
        return cls(block, base64_text.decode(_text(value["secret"])), central, _pseudonyms(value["with_letters"]))


def for_export(
    connection: Connection, event: Event, username: str, reader_public_key: bytes, count: int
) -> ExportLetters:
    """Reserve a block for ``username``'s export (logged) and seal the letter secret to them."""
    block = reserve(connection, event, username, count)
    with db.transaction(connection):
        secret = letter_register.letter_secret(connection)
    (central,) = connection.execute("SELECT public_key FROM instance_keys WHERE purpose = 'bundle'").fetchone()
    standing = tuple(sorted(letter_register.with_letters(connection, event)))
    return ExportLetters((block.first, block.last), crypto.seal_to(reader_public_key, secret), bytes(central), standing)
