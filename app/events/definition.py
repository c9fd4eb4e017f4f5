"""An event's definition, read from TOML: what it is, its compartments and its form fields."""

from __future__ import annotations

import datetime
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from app.common.errors import GatehouseError

FIELD_TYPES = ("text", "textarea", "email", "date", "choice")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 2000, "email": 254, "date": 10, "choice": 100}
# What a field's retention may count from: the event's last day, or the day its registration was approved.
RETENTION_STEPS = ("event", "approval")
# The most characters a badge name field may allow: what a 90 x 55 mm badge shows without cutting a name.
BADGE_NAME_MAX_LENGTH = 60
# Counts below this are shown as "fewer than" it (app.registrations.counts), unless the event sets its own.
DEFAULT_SMALLEST_COUNT_SHOWN = 5


class EventDefinitionError(GatehouseError, ValueError):
    """The event TOML breaks a rule; the message names the part at fault."""


class Text:
    """Text an organiser wrote, in one or several languages ({"en": ..., "es": ...})."""

    def __init__(self, value: str | Mapping[str, str], where: str) -> None:
        if isinstance(value, str):
            value = {"en": value}
        if not isinstance(value, Mapping) or "en" not in value or not all(isinstance(v, str) for v in value.values()):
            raise EventDefinitionError(f"{where}: give a text, or a table of texts by language with at least 'en'")
        self._by_language = dict(value)

    def __call__(self, language: str) -> str:
        return self._by_language.get(language) or self._by_language["en"]

    def languages(self) -> tuple[str, ...]:
        return tuple(self._by_language)


@dataclass(frozen=True)
class Compartment:
    name: str
    label: Text
    purpose: Text
    readers: Text


@dataclass(frozen=True)
class Retention:
    """How long a field's values are kept: ``days`` after the event's last day, or after approval."""

    days: int
    after: str  # one of RETENTION_STEPS


@dataclass(frozen=True)
class Field:
    key: str
    label: Text
    help: Text | None
    type: str
    required: bool
    compartment: str
    max_length: int
    retention: Retention
    after_approval: bool
    choices: tuple[tuple[str, Text], ...]

    def display(self, value: str, language: str) -> str:
        """A stored value as a person reads it: a choice by its label, anything else as typed."""
        return next((label(language) for choice, label in self.choices if choice == value), value)


@dataclass(frozen=True)
class BadgeFields:
    """Which fields make a badge: a text field for the name, and a choice field whose answers mark "no photos"."""

    name: str  # key of a text field; left empty, the badge shows the pseudonym
    photo_consent: str | None  # key of a choice field, or None: the event asks nothing about photographs
    no_photos: tuple[str, ...]  # answers of photo_consent that mean: no photographs at all
    no_face: tuple[str, ...]  # answers that mean: no photographs of my face
    compartments: tuple[str, ...]  # the compartments these fields are sealed to, in the definition's order


# A message's length when the event says nothing (message_max_length), and the most it may allow.
DEFAULT_MESSAGE_MAX_LENGTH = 2000
MESSAGE_MAX_LENGTH_LIMIT = 4000


@dataclass(frozen=True)
class CannedMessage:
    """A message staff may send as it is, written by the organisers in each language they give."""

    key: str
    text: Text


@dataclass(frozen=True)
class MessageRules:
    """Messages between the organisers and a participant: who writes and reads them, how long, how long kept."""

    by: str  # the compartment whose holders send and read messages, and whose key every message is sealed to
    retain_days_after_event: int
    max_length: int
    canned: tuple[CannedMessage, ...]

    def canned_message(self, key: str) -> CannedMessage | None:
        return next((message for message in self.canned if message.key == key), None)


@dataclass(frozen=True)
class LetterRules:
    """The [letters] table: how a visa support letter reads, and which fields it checks and registers."""

    reference_prefix: str  # a letter's reference is this, a dash and its number: SDF27-0042
    letterhead: tuple[str, ...]
    signatory_name: str
    signatory_title: Text
    body: Text  # paragraphs split by blank lines; {placeholders} name fields, event facts and the letter's own
    passport_number: str  # key of the field whose keyed hash the register keeps
    passport_expiry: str  # key of the date field checked against the event's last day
    register_retain_days_after_event: int  # the register forgets a letter this long after the event's last day
    fields: tuple[str, ...]  # every field a letter reads, in the definition's order
    compartments: tuple[str, ...]  # the compartments those fields are sealed to

    def languages(self) -> tuple[str, ...]:
        return self.body.languages()


@dataclass(frozen=True)
class Event:
    id: str
    name: Text
    organiser: Text
    description: Text
    location: Text
    starts: datetime.date
    ends: datetime.date
    contact: Text
    invitation_required: bool
    decided_by: str  # holders of this compartment approve, waitlist or reject registrations
    capacity: int | None  # once this many are approved, newcomers are waitlisted
    max_retain_days_after_event: int  # nothing is kept longer than this after the event's last day
    retain_days_after_rejection: int | None  # a rejected registration's values go this long after the decision
    compartments: tuple[Compartment, ...]
    fields: tuple[Field, ...]
    badges: BadgeFields | None = None  # None: the event prints no badges
    smallest_count_shown: int = DEFAULT_SMALLEST_COUNT_SHOWN  # a count below it is shown as "fewer than" it
    messages: MessageRules | None = None  # None: the event has no messages (no messages_by)
    letters: LetterRules | None = None  # None: the event writes no visa support letters

    def letters_register_forgets_on(self) -> datetime.date | None:
        """The day the register of letters forgets every letter of this event; None if it writes none."""
        if self.letters is None:
            return None
        return self.ends + datetime.timedelta(days=self.letters.register_retain_days_after_event + 1)

    def registration_fields(self) -> tuple[Field, ...]:
        """The fields asked at registration; follow-up fields wait for approval."""
        return tuple(field for field in self.fields if not field.after_approval)

    def follow_up_fields(self) -> tuple[Field, ...]:
        """The fields asked only once a registration is approved, through the codename."""
        return tuple(field for field in self.fields if field.after_approval)

    def compartment(self, name: str) -> Compartment:
        return next(c for c in self.compartments if c.name == name)

    def latest_destruction(self) -> datetime.date:
        """The day by which every value of the event is destroyed, whatever happened to its registration."""
        return self.ends + datetime.timedelta(days=self.max_retain_days_after_event + 1)

    def destroyed_on(self, field: Field, approved_on: datetime.date | None = None) -> datetime.date:
        """The day a field's values are destroyed: the day after the last day they are kept.

        A rule that counts from approval applies from the approval day; until a registration
        is approved (and if it never is), the event's maximum applies.
        """
        if field.retention.after == "event":
            return self.ends + datetime.timedelta(days=field.retention.days + 1)
        if approved_on is None:
            return self.latest_destruction()
        return min(approved_on + datetime.timedelta(days=field.retention.days + 1), self.latest_destruction())

    def messages_destroyed_on(self) -> datetime.date | None:
        """The day every message and answer is destroyed (the day after the last day kept); None without messages."""
        if self.messages is None:
            return None
        return self.ends + datetime.timedelta(days=self.messages.retain_days_after_event + 1)


def load_event(source: str) -> Event:
    """Parse and check an event definition; EventDefinitionError names what is wrong."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        raise EventDefinitionError(f"the event file is not valid TOML: {error}") from None
    return _event(data)


def demo_event_source() -> str:
    return resources.files("app.events").joinpath("demo.toml").read_text("utf-8")


def _event(data: dict[str, Any]) -> Event:
    from app.events.letter_rules import letter_rules  # it reads the types defined here

    info = _table(data, "event", "the file")
    event_id = _required(info, "id", str, "[event]")
    if not _KEY.fullmatch(event_id.replace("-", "_")):
        raise EventDefinitionError("[event] id: use lowercase letters, digits and hyphens")
    starts = _required(info, "starts", datetime.date, "[event]")
    ends = _required(info, "ends", datetime.date, "[event]")
    if ends < starts:
        raise EventDefinitionError("[event] ends: the event cannot end before it starts")

    compartments = tuple(_compartment(entry, i) for i, entry in enumerate(_list(data, "compartments")))
    names = [c.name for c in compartments]
    if not compartments or len(set(names)) != len(names):
        raise EventDefinitionError("[[compartments]]: define at least one, each with a distinct name")

    decided_by = info.get("decided_by", names[0] if names else "")
    if decided_by not in names:
        raise EventDefinitionError(f"[event] decided_by: '{decided_by}' is not a defined compartment")

    capacity = info.get("capacity")
    if capacity is not None and (not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1):
        raise EventDefinitionError("[event] capacity: a whole number of at least 1, or leave it out")

    smallest_count_shown = info.get("smallest_count_shown", DEFAULT_SMALLEST_COUNT_SHOWN)
    if not _is_whole(smallest_count_shown) or smallest_count_shown < 2:
        raise EventDefinitionError(
            "[event] smallest_count_shown: a whole number of at least 2 (counts below it are shown as"
            f" 'fewer than' it), or leave it out for {DEFAULT_SMALLEST_COUNT_SHOWN}"
        )

    default_retention, max_retention = _retention_limits(info)
    rejection = info.get("retain_days_after_rejection")
    if rejection is not None and (not _is_whole(rejection) or not 0 <= rejection <= max_retention):
        raise EventDefinitionError(
            f"[event] retain_days_after_rejection: a whole number from 0 to {max_retention}"
            " (max_retain_days_after_event), or leave it out"
        )

    fields = tuple(
        _field(entry, i, set(names), default_retention, max_retention) for i, entry in enumerate(_list(data, "fields"))
    )
    keys = [f.key for f in fields]
    if len(set(keys)) != len(keys):
        raise EventDefinitionError("[[fields]]: two fields share a key")
    if not any(not f.after_approval for f in fields):
        raise EventDefinitionError("[[fields]]: at least one field must be asked at registration")

    return Event(
        id=event_id,
        name=Text(_required(info, "name", (str, dict), "[event]"), "[event] name"),
        organiser=Text(_required(info, "organiser", (str, dict), "[event]"), "[event] organiser"),
        description=Text(_required(info, "description", (str, dict), "[event]"), "[event] description"),
        location=Text(_required(info, "location", (str, dict), "[event]"), "[event] location"),
        contact=Text(_required(info, "contact", (str, dict), "[event]"), "[event] contact"),
        starts=starts,
        ends=ends,
        invitation_required=bool(info.get("invitation_required", False)),
        decided_by=decided_by,
        capacity=capacity,
        max_retain_days_after_event=max_retention,
        retain_days_after_rejection=rejection,
        compartments=compartments,
        fields=fields,
        badges=_badges(data.get("badges"), fields, names),
        smallest_count_shown=smallest_count_shown,
        messages=_messages(info, data, names, max_retention),
        letters=letter_rules(data.get("letters"), fields, names),
    )


def _compartment(entry: Any, position: int) -> Compartment:
    where = f"[[compartments]] #{position + 1}"
    if not isinstance(entry, dict):
        raise EventDefinitionError(f"{where}: expected a table")
    name = _required(entry, "name", str, where)
    if not _KEY.fullmatch(name):
        raise EventDefinitionError(f"{where} name: use lowercase letters, digits and underscores")
    where = f"compartment '{name}'"
    return Compartment(
        name=name,
        label=Text(_required(entry, "label", (str, dict), where), f"{where} label"),
        purpose=Text(_required(entry, "purpose", (str, dict), where), f"{where} purpose"),
        readers=Text(_required(entry, "readers", (str, dict), where), f"{where} readers"),
    )


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _retention_limits(info: dict[str, Any]) -> tuple[int, int]:
    """(default, maximum) days after the event: both must be stated, and the default within the maximum."""
    maximum = _required(info, "max_retain_days_after_event", int, "[event]")
    if maximum < 0:
        raise EventDefinitionError("[event] max_retain_days_after_event: cannot be negative")
    default = _required(info, "default_retain_days_after_event", int, "[event]")
    if not 0 <= default <= maximum:
        raise EventDefinitionError(
            f"[event] default_retain_days_after_event: from 0 to {maximum} (max_retain_days_after_event)"
        )
    return default, maximum


def _retention(entry: dict[str, Any], where: str, default: int, maximum: int) -> Retention:
    known = {f"retain_days_after_{step}": step for step in RETENTION_STEPS}
    unknown = sorted(key for key in entry if key.startswith("retain") and key not in known)
    if unknown:
        raise EventDefinitionError(f"{where} {unknown[0]}: retention counts from {' or '.join(known)}")
    given = [(known[key], entry[key]) for key in known if key in entry]
    if not given:
        return Retention(default, "event")
    if len(given) > 1:
        raise EventDefinitionError(f"{where}: give one retention rule, not both {' and '.join(known)}")
    step, days = given[0]
    if not _is_whole(days) or days < 0:
        raise EventDefinitionError(f"{where} retain_days_after_{step}: a whole number of days, 0 or more")
    if days > maximum:
        raise EventDefinitionError(
            f"{where} retain_days_after_{step}: {days} days is more than the event's maximum of {maximum}"
            " (max_retain_days_after_event)"
        )
    return Retention(days, step)


def _field(entry: Any, position: int, compartments: set[str], default_retention: int, max_retention: int) -> Field:
    where = f"[[fields]] #{position + 1}"
    if not isinstance(entry, dict):
        raise EventDefinitionError(f"{where}: expected a table")
    key = _required(entry, "key", str, where)
    if not _KEY.fullmatch(key):
        raise EventDefinitionError(f"{where} key: use lowercase letters, digits and underscores")
    where = f"field '{key}'"
    field_type = entry.get("type", "text")
    if field_type not in FIELD_TYPES:
        raise EventDefinitionError(f"{where} type: one of {', '.join(FIELD_TYPES)}")
    compartment = _required(entry, "compartment", str, where)
    if compartment not in compartments:
        raise EventDefinitionError(f"{where} compartment: '{compartment}' is not defined")
    max_length = entry.get("max_length", DEFAULT_MAX_LENGTH[field_type])
    if not isinstance(max_length, int) or not 1 <= max_length <= 4000:
        raise EventDefinitionError(f"{where} max_length: a whole number from 1 to 4000")
    retention = _retention(entry, where, default_retention, max_retention)
    choices = tuple(_choices(entry.get("choices"), where)) if field_type == "choice" else ()
    if field_type == "choice" and not choices:
        raise EventDefinitionError(f"{where} choices: a choice field needs choices")
    help_text = entry.get("help")
    return Field(
        key=key,
        label=Text(_required(entry, "label", (str, dict), where), f"{where} label"),
        help=Text(help_text, f"{where} help") if help_text is not None else None,
        type=field_type,
        required=bool(entry.get("required", False)),
        compartment=compartment,
        max_length=max_length,
        retention=retention,
        after_approval=bool(entry.get("after_approval", False)),
        choices=choices,
    )


_BADGE_KEYS = ("name", "photo_consent", "no_photos", "no_face")


def _badges(raw: Any, fields: tuple[Field, ...], compartments: list[str]) -> BadgeFields | None:
    """The optional [badges] table: name = a text field, photo_consent = a choice field, and which of its
    answers mean no photographs (no_photos) or none of the face (no_face); any other answer allows photographs."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise EventDefinitionError("[badges]: expected a table")
    unknown = sorted(set(raw) - set(_BADGE_KEYS))
    if unknown:
        raise EventDefinitionError(f"[badges] {unknown[0]}: unknown; use {', '.join(_BADGE_KEYS)}")
    by_key = {field.key: field for field in fields}
    name = by_key.get(_required(raw, "name", str, "[badges]"))
    if name is None or name.type != "text":
        raise EventDefinitionError(f"[badges] name: '{raw['name']}' is not a text field of this event")
    if name.max_length > BADGE_NAME_MAX_LENGTH:
        raise EventDefinitionError(
            f"[badges] name: field '{name.key}' allows {name.max_length} characters; a badge holds at most"
            f" {BADGE_NAME_MAX_LENGTH} (give the field a smaller max_length)"
        )
    marks = {key: raw.get(key, []) for key in ("no_photos", "no_face")}
    for key, values in marks.items():
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            raise EventDefinitionError(f"[badges] {key}: a list of answers of the photo_consent field")
    photo = None
    if "photo_consent" in raw:
        photo = by_key.get(raw["photo_consent"]) if isinstance(raw["photo_consent"], str) else None
        if photo is None or photo.type != "choice":
            raise EventDefinitionError(f"[badges] photo_consent: '{raw['photo_consent']}' is not a choice field")
        answers = {value for value, _label in photo.choices}
        for key, values in marks.items():
            strange = [value for value in values if value not in answers]
            if strange:
                raise EventDefinitionError(
                    f"[badges] {key}: '{strange[0]}' is not an answer of field '{photo.key}'"
                    f" ({', '.join(value for value, _label in photo.choices)})"
                )
        if set(marks["no_photos"]) & set(marks["no_face"]):
            raise EventDefinitionError("[badges]: an answer is in both no_photos and no_face")
        if not marks["no_photos"] and not marks["no_face"]:
            raise EventDefinitionError("[badges]: name the answers of photo_consent that mean no_photos or no_face")
    elif marks["no_photos"] or marks["no_face"]:
        raise EventDefinitionError("[badges]: no_photos and no_face need photo_consent, the field they answer")
    needed = {name.compartment} | ({photo.compartment} if photo else set())
    return BadgeFields(
        name=name.key,
        photo_consent=photo.key if photo else None,
        no_photos=tuple(marks["no_photos"]),
        no_face=tuple(marks["no_face"]),
        compartments=tuple(compartment for compartment in compartments if compartment in needed),
    )


def _messages(
    info: dict[str, Any], data: dict[str, Any], compartments: list[str], max_retention: int
) -> MessageRules | None:
    """messages_by, messages_retain_days_after_event and message_max_length in [event]; [[messages]] canned ones."""
    by = info.get("messages_by")
    if by is None:
        if "messages" in data or any(key in info for key in ("messages_retain_days_after_event", "message_max_length")):
            raise EventDefinitionError("[event] messages_by: name the compartment that sends and reads messages")
        return None
    if by not in compartments:
        raise EventDefinitionError(f"[event] messages_by: '{by}' is not a defined compartment")
    retain = info.get("messages_retain_days_after_event", max_retention)
    if not _is_whole(retain) or not 0 <= retain <= max_retention:
        raise EventDefinitionError(
            f"[event] messages_retain_days_after_event: a whole number from 0 to {max_retention}"
            " (max_retain_days_after_event)"
        )
    max_length = info.get("message_max_length", DEFAULT_MESSAGE_MAX_LENGTH)
    if not _is_whole(max_length) or not 1 <= max_length <= MESSAGE_MAX_LENGTH_LIMIT:
        raise EventDefinitionError(f"[event] message_max_length: a whole number from 1 to {MESSAGE_MAX_LENGTH_LIMIT}")
    canned = []
    for position, entry in enumerate(_list(data, "messages")):
        where = f"[[messages]] #{position + 1}"
        if not isinstance(entry, dict):
            raise EventDefinitionError(f"{where}: expected a table")
        key = _required(entry, "key", str, where)
        if not _KEY.fullmatch(key):
            raise EventDefinitionError(f"{where} key: use lowercase letters, digits and underscores")
        text = Text(_required(entry, "text", (str, dict), where), f"message '{key}' text")
        if any(len(text(language)) > max_length for language in text.languages()):
            raise EventDefinitionError(f"message '{key}' text: longer than message_max_length ({max_length})")
        canned.append(CannedMessage(key, text))
    if len({message.key for message in canned}) != len(canned):
        raise EventDefinitionError("[[messages]]: two messages share a key")
    return MessageRules(by, retain, max_length, tuple(canned))


def _choices(raw: Any, where: str) -> Iterator[tuple[str, Text]]:
    if not isinstance(raw, list):
        raise EventDefinitionError(f"{where} choices: a list of {{ value = ..., label = ... }}")
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise EventDefinitionError(f"{where} choices: each needs a value and a label")
        label = item["label"] if "label" in item else item["value"]
        yield item["value"], Text(label, f"{where} choice label")


def _table(data: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise EventDefinitionError(f"{where}: missing the [{name}] table")
    return value


def _list(data: dict[str, Any], name: str) -> list[Any]:
    value = data.get(name, [])
    if not isinstance(value, list):
        raise EventDefinitionError(f"[[{name}]]: expected an array of tables")
    return value


def _required(table: dict[str, Any], name: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = table.get(name)
    if value is None:
        raise EventDefinitionError(f"{where}: '{name}' is missing")
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise EventDefinitionError(f"{where} {name}: wrong type")
    return value
