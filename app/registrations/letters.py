"""Visa support letters: checked, then made from the fields the event's letter reads, in one logged opening.

Making letters reads the fields of the [letters] table (app.events.letter_rules) of approved registrations, and
only for a reader who holds every compartment they are sealed to. One entry, written before anything is
decrypted, names the compartments, the fields and every pseudonym opened, with the reason. Before a letter is
made its person is checked: a field the letter reads that is empty, or a passport that expires less than three
months after the event's last day, is a finding; no letter is made for them unless staff override the finding
with a reason (logged). A missing passport number cannot be overridden: the register could not hold its hash.
Each letter made enters the register (app.registrations.letter_register) in one transaction, logged.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from babel.dates import format_date

from app.audit import log as audit
from app.common.errors import GatehouseError, NotAllowed
from app.events.definition import Event, LetterRules
from app.events.letter_rules import PLACEHOLDER
from app.keys.keyring import HeldKeys
from app.registrations import letter_register, reading, set_aside
from app.storage import db
from app.storage.connection import Connection

BLANK = "_" * 16  # an overridden empty field: a line to fill in by hand
PASSPORT_MONTHS_AFTER_EVENT = 3  # what Schengen consulates ask: valid three months after leaving


@dataclass(frozen=True)
class Finding:
    """Why no letter is made for a person without an override."""

    pseudonym: str
    missing: tuple[str, ...]  # keys of the fields the letter reads that are empty
    expires: datetime.date | None  # the passport's expiry, when it is too early
    no_passport_number: bool  # no override: the register could not hold the number's hash

    @property
    def may_override(self) -> bool:
        return not self.no_passport_number


@dataclass(frozen=True)
class Letter:
    reference: str
    code: str
    pseudonym: str
    language: str
    issued: datetime.date
    letterhead: tuple[str, ...]
    paragraphs: tuple[str, ...]
    signatory_name: str
    signatory_title: str


@dataclass(frozen=True)
class LetterRun:
    letters: tuple[Letter, ...]  # by reference
    ready: tuple[str, ...]  # pseudonyms with no finding (a check only: no letter made)
    findings: tuple[Finding, ...]  # people with no letter, and why
    overridden: tuple[Finding, ...]  # findings staff overrode: these people have a letter
    set_aside: tuple[str, ...]
    not_opened: tuple[str, ...]


class MayNotMakeLetters(NotAllowed):
    """The reader lacks a compartment the letter reads; ``missing`` names which."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(f"making letters needs the {', '.join(missing)} compartment(s), which you do not hold")


class NotApprovedForLetters(GatehouseError):
    def __init__(self, pseudonym: str) -> None:
        super().__init__(f"{pseudonym} is not an approved registration of this event")


class NoSuchLetterLanguage(GatehouseError):
    def __init__(self, languages: tuple[str, ...]) -> None:
        super().__init__(f"the event's letter is written in {', '.join(languages)} only")


class OverrideReasonRequired(GatehouseError):
    def __init__(self) -> None:
        super().__init__("overriding a check needs its own reason, of 4 to 300 characters")


def missing_compartments(event: Event, keys: Iterable[tuple[str, int]]) -> list[str]:
    held = {compartment for compartment, _generation in keys}
    return [c for c in letter_register.rules_of(event).compartments if c not in held]


def candidates(connection: Connection, event: Event) -> list[str]:
    """Approved pseudonyms with no standing letter: those a run makes letters for unless told whom."""
    letter_register.rules_of(event)
    made = letter_register.with_letters(connection, event)
    return sorted(p for p in _approved(connection, event).values() if p not in made)


def check_letters(
    connection: Connection, event: Event, *, keys: HeldKeys, actor: str, reason: str, only: Collection[str] = ()
) -> LetterRun:
    """The findings for every person a run would make a letter for; logged as one opening, nothing made."""
    opened, run = _open(connection, event, keys, actor, reason, "letters checked", only)
    findings = [_finding(event, pseudonym, values) for pseudonym, values in opened.items()]
    return LetterRun(
        letters=(),
        ready=tuple(sorted(f.pseudonym for f in findings if not f.missing and not f.expires)),
        findings=tuple(f for f in findings if f.missing or f.expires),
        overridden=(),
        set_aside=run.set_aside,
        not_opened=run.not_opened,
    )


def make_letters(
    connection: Connection,
    event: Event,
    *,
    keys: HeldKeys,
    actor: str,
    reason: str,
    language: str = "en",
    only: Collection[str] = (),
    overrides: Collection[str] = (),
    override_reason: str = "",
) -> LetterRun:
    """A letter for each person the run covers whose checks pass or are overridden, each one registered.

    Refused, with nothing logged or decrypted: EventWritesNoLetters, MayNotMakeLetters, ReasonRequired,
    NoSuchLetterLanguage, NotApprovedForLetters, OverrideReasonRequired.
    """
    check_request(event, language, overrides, override_reason)
    opened, run = _open(connection, event, keys, actor, reason, "letters", only, language)
    with db.transaction(connection):
        letter_keys = letter_register.letter_keys(connection)
        day = audit.current_day(connection)
        rules = letter_register.rules_of(event)

        def register(pseudonym: str, values: Mapping[str, str]) -> letter_register.Entry:
            return letter_register.enter(connection, event, letter_keys, pseudonym, values[rules.passport_number], day)

        made, refused, overridden = write_letters(event, language, opened, overrides, register)
        if overridden:
            record_overrides(connection, actor, event, overridden, override_reason)
        references = {letter.pseudonym: letter.reference for letter in made}
        detail = registered(references, [f.pseudonym for f in refused])
        audit.record(connection, actor, "letters registered", event.id, detail, reason.strip())
    return LetterRun(tuple(made), (), tuple(refused), tuple(overridden), run.set_aside, run.not_opened)


def check_request(event: Event, language: str, overrides: Collection[str], override_reason: str) -> None:
    """Refuse a run whose language or override reason is wrong, before anything is opened (also offline)."""
    rules = letter_register.rules_of(event)
    if language not in rules.languages():
        raise NoSuchLetterLanguage(rules.languages())
    if overrides and not 4 <= len(override_reason.strip()) <= set_aside.MAX_REASON:
        raise OverrideReasonRequired()


def write_letters(
    event: Event,
    language: str,
    opened: Mapping[str, Mapping[str, str]],
    overrides: Collection[str],
    register: Callable[[str, Mapping[str, str]], letter_register.Entry],
) -> tuple[list[Letter], list[Finding], list[Finding]]:
    """The letters of the people opened whose checks pass or are overridden, each entered by ``register``.

    Returns the letters, the findings that refused a letter, and the findings overridden. Central registers
    in its database; an air-gapped laptop in the block of numbers its export reserved (app.staff.offline_letters).
    """
    rules = letter_register.rules_of(event)
    made: list[Letter] = []
    refused, overridden = [], []
    for pseudonym, values in sorted(opened.items()):
        finding = _finding(event, pseudonym, values)
        if finding.missing or finding.expires:
            if pseudonym not in overrides or not finding.may_override:
                refused.append(finding)
                continue
            overridden.append(finding)
        made.append(_letter(event, rules, language, register(pseudonym, values), values))
    return made, refused, overridden


def record_overrides(
    connection: Connection, actor: str, event: Event, overridden: Sequence[Finding], override_reason: str
) -> None:
    """The log entry for findings set aside: who, and which checks (never a value); inside a transaction."""
    checks = {"pseudonyms": [f.pseudonym for f in overridden], "checks": sorted(checked_names(overridden))}
    audit.record(connection, actor, "letter checks overridden", event.id, checks, override_reason.strip())


def registered(references: Mapping[str, str], refused: Sequence[str]) -> dict[str, object]:
    """The detail of a "letters registered" entry, on central or from a laptop: each reference by pseudonym,
    and who got none."""
    return {
        "references": dict(references),
        "refused": list(refused),
    }


def checked_names(findings: Sequence[Finding]) -> set[str]:
    """The names of the checks overridden: field keys and "passport expiry", never a value."""
    return {key for f in findings for key in f.missing} | {"passport expiry" for f in findings if f.expires}


def _approved(connection: Connection, event: Event) -> dict[str, str]:
    rows = connection.execute(
        "SELECT id, pseudonym FROM registrations WHERE event_id = ? AND status = 'approved'", (event.id,)
    )
    return dict(rows.fetchall())


def _open(
    connection: Connection,
    event: Event,
    keys: HeldKeys,
    actor: str,
    reason: str,
    action: str,
    only: Collection[str],
    language: str | None = None,
) -> tuple[dict[str, dict[str, str]], LetterRun]:
    """The letter fields of the run's people, by pseudonym, after one audit entry naming them all."""
    rules = letter_register.rules_of(event)
    missing = missing_compartments(event, keys)
    if missing:
        raise MayNotMakeLetters(missing)
    reason = reason.strip()
    if not 4 <= len(reason) <= set_aside.MAX_REASON:
        raise set_aside.ReasonRequired()
    approved = _approved(connection, event)
    if only:
        strangers = sorted(set(only) - set(approved.values()))
        if strangers:
            raise NotApprovedForLetters(strangers[0])
        chosen = {rid: p for rid, p in approved.items() if p in only}
    else:
        made = letter_register.with_letters(connection, event)
        chosen = {rid: p for rid, p in approved.items() if p not in made}
    detail: dict[str, object] = {
        "compartments": list(rules.compartments),
        "fields": list(rules.fields),
        "pseudonyms": sorted(chosen.values()),
    }
    if language:
        detail["language"] = language
    audit.log(connection, actor, action, event.id, detail, reason)

    run = reading.open_fields(
        connection, event, chosen, status="approved", compartments=rules.compartments, fields=rules.fields,
        keys=keys, actor=actor, action=action, reason=reason,
    )  # fmt: skip
    return run.values, LetterRun((), (), (), (), run.set_aside, run.not_opened)


def last_valid_day(event: Event) -> datetime.date:
    """The earliest expiry a passport may have: three months after the event's last day."""
    month = event.ends.month - 1 + PASSPORT_MONTHS_AFTER_EVENT
    year, month = event.ends.year + month // 12, month % 12 + 1
    # 30 November and three months is 28 (or 29) February: the month's last day when it is shorter.
    return datetime.date(year, month, min(event.ends.day, calendar.monthrange(year, month)[1]))


def _finding(event: Event, pseudonym: str, values: Mapping[str, str]) -> Finding:
    rules = letter_register.rules_of(event)
    missing = tuple(key for key in rules.fields if not values.get(key, "").strip())
    expires = None
    try:
        expiry = datetime.date.fromisoformat(values.get(rules.passport_expiry, ""))
    except ValueError:
        expiry = None
    if expiry is not None and expiry < last_valid_day(event):
        expires = expiry
    return Finding(pseudonym, missing, expires, rules.passport_number in missing)


def _letter(
    event: Event, rules: LetterRules, language: str, entry: letter_register.Entry, values: Mapping[str, str]
) -> Letter:
    def long_date(day: datetime.date) -> str:
        return format_date(day, "long", locale=language)

    by_key = {field.key: field for field in event.fields}
    facts = {
        "event.name": event.name(language),
        "event.organiser": event.organiser(language),
        "event.location": event.location(language),
        "event.starts": long_date(event.starts),
        "event.ends": long_date(event.ends),
        "letter.reference": entry.reference,
        "letter.day": long_date(entry.issued),
        "letter.code": entry.code,
    }

    def value(name: str) -> str:
        if name in facts:
            return facts[name]
        typed = values.get(name, "").strip()
        if not typed:
            return BLANK
        field = by_key[name]
        if field.type == "date":
            try:
                return long_date(datetime.date.fromisoformat(typed))
            except ValueError:
                return typed
        return field.display(typed, language)

    paragraphs = [p.strip() for p in rules.body(language).split("\n\n") if p.strip()]
    return Letter(
        reference=entry.reference,
        code=entry.code,
        pseudonym=entry.pseudonym,
        language=language,
        issued=entry.issued,
        letterhead=rules.letterhead,
        paragraphs=tuple(PLACEHOLDER.sub(lambda m: value(m.group(1)), " ".join(p.split())) for p in paragraphs),
        signatory_name=rules.signatory_name,
        signatory_title=rules.signatory_title(language),
    )
