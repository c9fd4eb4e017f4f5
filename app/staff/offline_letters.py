"""Visa letters made on an air-gapped laptop from a staff export made for it (`bundle open ... --letters`).

The same checks and the same letters as on central (app.registrations.letters.write_letters), numbered in the
block central reserved for this export and signed with the letter secret sealed to this staff member. The
laptop keeps no log: the run goes back to central as a letters-made bundle (app.registrations.letter_blocks),
which central logs as its own opening, overrides and registration, with the reasons given here.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from nacl.public import PrivateKey

import crypto
from app.registrations import letter_blocks, letter_register, letters, set_aside
from app.registrations.letters import LetterRun
from app.staff.offline_export import OpenedExport, StaffExportError
from crypto import letters as letter_crypto


@dataclass(frozen=True)
class OfflineLetters:
    run: LetterRun
    bundle: list[bytes]  # the letters-made bundle, for `gatehouse letters import` on central
    block: tuple[int, int]


def make_offline_letters(
    opened: OpenedExport,
    staff_key: PrivateKey,
    *,
    reason: str,
    today: datetime.date,
    language: str = "en",
    only: Collection[str] = (),
    overrides: Collection[str] = (),
    override_reason: str = "",
) -> OfflineLetters:
    """The letters of one run, numbered within the export's block, and the bundle that registers them at central.

    Refused, with nothing made: StaffExportError (no letters in this export, a clock before the export, a block
    too small), and what central refuses: EventWritesNoLetters, MayNotMakeLetters, ReasonRequired,
    NoSuchLetterLanguage, NotApprovedForLetters, OverrideReasonRequired.
    """
    event = opened.event
    carried = opened.letters
    if carried is None:
        raise StaffExportError(
            "This export carries no letter key: ask central for one made with 'bundle export --letters N'."
        )
    rules = letter_register.rules_of(event)
    missing = letters.missing_compartments(event, ((c, 0) for c in opened.compartments))
    if missing:
        raise letters.MayNotMakeLetters(missing)
    if not 4 <= len(reason.strip()) <= set_aside.MAX_REASON:
        raise set_aside.ReasonRequired()
    letters.check_request(event, language, overrides, override_reason)
    if today.isoformat() < opened.exported_day:
        raise StaffExportError(
            f"This laptop's clock says {today.isoformat()}, before the export was made ({opened.exported_day}):"
            " set the clock, since the day is printed on every letter."
        )
    chosen = _chosen(opened, carried, only)
    try:
        secret = crypto.open_sealed(staff_key, carried.sealed_secret)
        keys = letter_crypto.letter_keys(secret)
    except (crypto.RecordTampered, ValueError):
        raise StaffExportError("The letter key in this export does not open with your key.") from None
    first, last = carried.block
    entries: list[letter_blocks.MadeEntry] = []

    def register(pseudonym: str, values: Mapping[str, str]) -> letter_register.Entry:
        number = first + len(entries)
        if number > last:
            raise StaffExportError(
                f"This export's block holds {last - first + 1} letter numbers: make letters for fewer people"
                " (--only), or ask for an export with a larger block. No letter was made."
            )
        passport, day = values[rules.passport_number], today.isoformat()
        entry, hashed = letter_register.new_entry(event, keys, number, pseudonym, passport, day)
        entries.append(letter_blocks.MadeEntry(number, pseudonym, day, hashed))
        return entry

    made, refused, overridden = letters.write_letters(event, language, chosen, overrides, register)
    record = letter_blocks.MadeOffline(
        event_id=event.id,
        username=opened.username,
        block=carried.block,
        run=secrets.token_bytes(letter_blocks.RUN_BYTES),
        language=language,
        reason=reason.strip(),
        opened=tuple(sorted(chosen)),
        refused=tuple(f.pseudonym for f in refused),
        overridden=tuple(f.pseudonym for f in overridden),
        override_checks=tuple(sorted(letters.checked_names(overridden))),
        override_reason=override_reason.strip(),
        entries=tuple(entries),
    )
    bundle = letter_blocks.write_made(record, keys, carried.central_bundle_key)
    run = LetterRun(tuple(made), (), tuple(refused), tuple(overridden), tuple(opened.set_aside), ())
    return OfflineLetters(run, bundle, carried.block)


def _chosen(
    opened: OpenedExport, carried: letter_blocks.ExportLetters, only: Collection[str]
) -> dict[str, Mapping[str, str]]:
    """The approved people of the run, by pseudonym: ``only`` these, else those with no standing letter."""
    approved = {
        pseudonym: values
        for pseudonym, status, _day, values in opened.rows
        if status == "approved" and pseudonym not in opened.set_aside
    }
    if only:
        strangers = sorted(set(only) - set(approved))
        if strangers:
            raise letters.NotApprovedForLetters(strangers[0])
        return {p: values for p, values in approved.items() if p in only}
    return {p: values for p, values in approved.items() if p not in carried.with_letters}
