"""The optional [letters] table of an event: a visa support letter's text and the fields it reads and checks."""

from __future__ import annotations

import re
from typing import Any

from app.events.definition import EventDefinitionError, Field, LetterRules, Text

# What a letter's body may name besides the event's fields: the event's facts and the letter's own.
EVENT_FACTS = ("event.name", "event.organiser", "event.location", "event.starts", "event.ends")
LETTER_FACTS = ("letter.reference", "letter.day", "letter.code")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_PREFIX = re.compile(r"[A-Z0-9]{2,12}")
_KEYS = (
    "reference_prefix",
    "letterhead",
    "signatory_name",
    "signatory_title",
    "body",
    "passport_number",
    "passport_expiry",
    "register_retain_days_after_event",
)


def placeholders(text: str) -> list[str]:
    return PLACEHOLDER.findall(text)


def letter_rules(raw: Any, fields: tuple[Field, ...], compartments: list[str]) -> LetterRules | None:
    """Check the [letters] table: every placeholder of every language names a field or a fact."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise EventDefinitionError("[letters]: expected a table")
    unknown = sorted(set(raw) - set(_KEYS))
    if unknown:
        raise EventDefinitionError(f"[letters] {unknown[0]}: unknown; use {', '.join(_KEYS)}")
    missing = [key for key in _KEYS if key not in raw]
    if missing:
        raise EventDefinitionError(f"[letters]: '{missing[0]}' is missing")
    prefix = raw["reference_prefix"]
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        raise EventDefinitionError("[letters] reference_prefix: 2 to 12 capital letters or digits, such as SDF27")
    letterhead = raw["letterhead"]
    if not isinstance(letterhead, list) or not letterhead or not all(isinstance(line, str) for line in letterhead):
        raise EventDefinitionError("[letters] letterhead: a list of lines")
    if not isinstance(raw["signatory_name"], str) or not raw["signatory_name"].strip():
        raise EventDefinitionError("[letters] signatory_name: the name of the person who signs")
    days = raw["register_retain_days_after_event"]
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 3660:
        raise EventDefinitionError("[letters] register_retain_days_after_event: a whole number of days, 0 to 3660")
    by_key = {field.key: field for field in fields}
    for role, wanted in (("passport_number", ("text",)), ("passport_expiry", ("date",))):
        field = by_key.get(raw[role]) if isinstance(raw[role], str) else None
        if field is None or field.type not in wanted:
            raise EventDefinitionError(f"[letters] {role}: '{raw[role]}' is not a {wanted[0]} field of this event")
    body = Text(raw["body"], "[letters] body")
    read = [raw["passport_number"], raw["passport_expiry"]]
    for language in body.languages():
        for name in placeholders(body(language)):
            if name not in by_key and name not in EVENT_FACTS and name not in LETTER_FACTS:
                raise EventDefinitionError(
                    f"[letters] body ({language}): {{{name}}} is neither a field of this event nor one of"
                    f" {', '.join(EVENT_FACTS + LETTER_FACTS)}"
                )
            if name in by_key and name not in read:
                read.append(name)
    ordered = tuple(field.key for field in fields if field.key in read)
    needed = {by_key[key].compartment for key in ordered}
    return LetterRules(
        reference_prefix=prefix,
        letterhead=tuple(letterhead),
        signatory_name=raw["signatory_name"].strip(),
        signatory_title=Text(raw["signatory_title"], "[letters] signatory_title"),
        body=body,
        passport_number=raw["passport_number"],
        passport_expiry=raw["passport_expiry"],
        register_retain_days_after_event=days,
        fields=ordered,
        compartments=tuple(c for c in compartments if c in needed),
    )
