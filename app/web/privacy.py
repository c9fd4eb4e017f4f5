"""The privacy notice, generated from the retention rules the purge enforces, so the two cannot drift apart."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from babel.lists import format_list
from flask import Flask
from flask_babel import format_date, get_locale, gettext, ngettext
from markupsafe import Markup, escape

from app.events.definition import Event, Field, Retention
from app.web.isolation import isolated

# A full stop doubled where a date that ends in one (Russian "2027 г.") closes a sentence; an ellipsis is left alone.
_DOUBLED_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")


def one_stop(text: str) -> str:
    """The text with a doubled full stop made single, keeping it Markup when it was."""
    tidied = _DOUBLED_STOP.sub(".", str(text))
    return Markup(tidied) if isinstance(text, Markup) else tidied  # noqa: S704 - it was Markup already


@dataclass(frozen=True)
class CompartmentNote:
    """One compartment's part of a form or of the notice: its questions, who reads them and until when."""

    name: str
    label: str
    purpose: str
    readers: str
    fields: tuple[Field, ...]
    labels: tuple[str, ...]  # the fields' labels in the page's language
    kept: Markup  # when its answers are destroyed, as the notice's table says it: "Destroyed on …"
    note: Markup  # the same as the form's note says it after "Only … can read these answers."
    after_approval: bool  # every one of its questions is asked only once a registration is accepted


def retention_text(event: Event, field: Field) -> str:
    """How long this field's values are kept, in the participant's language, with the day they go."""
    if field.retention.after == "event":
        return one_stop(gettext("Destroyed on %(date)s.", date=format_date(event.destroyed_on(field), "medium")))
    return one_stop(
        ngettext(
            "Destroyed %(num)d day after you are accepted, and by %(date)s at the latest.",
            "Destroyed %(num)d days after you are accepted, and by %(date)s at the latest.",
            field.retention.days,
            date=format_date(event.latest_destruction(), "medium"),
        )
    )


def isolated_list(texts: Iterable[str]) -> Markup:
    """The texts as one list in the page's language ("a, b and c"), each isolated where it may be in another
    direction, so that it never reorders the words around it."""
    texts = list(texts)
    tokens = [f"\x00{position}\x00" for position in range(len(texts))]
    joined = str(escape(format_list(tokens, locale=get_locale() or "en")))
    for token, text in zip(tokens, texts, strict=True):
        joined = joined.replace(token, isolated(text))
    return Markup(joined)  # noqa: S704 - every part is escaped above


def _with_fields(text: str, fields: Markup) -> Markup:
    return Markup(one_stop(str(escape(text)).replace("\x00fields\x00", str(fields))))  # noqa: S704 - escaped


def _group_text(event: Event, retention: Retention, fields: Markup) -> Markup:
    """When one group of a compartment's fields is destroyed, naming the fields."""
    if retention.after == "event":
        day = event.ends + datetime.timedelta(days=retention.days + 1)
        text = gettext("Destroyed on %(date)s: %(fields)s.", date=format_date(day, "medium"), fields="\x00fields\x00")
    else:
        text = ngettext(
            "Destroyed %(num)d day after you are accepted, and by %(date)s at the latest: %(fields)s.",
            "Destroyed %(num)d days after you are accepted, and by %(date)s at the latest: %(fields)s.",
            retention.days,
            date=format_date(event.latest_destruction(), "medium"),
            fields="\x00fields\x00",
        )
    return _with_fields(text, fields)


def _they_are_destroyed(event: Event, field: Field) -> str:
    """When every answer of a compartment is destroyed, as a sentence about "these answers"."""
    if field.retention.after == "event":
        return gettext("They are destroyed on %(date)s.", date=format_date(event.destroyed_on(field), "medium"))
    return ngettext(
        "They are destroyed %(num)d day after you are accepted, and by %(date)s at the latest.",
        "They are destroyed %(num)d days after you are accepted, and by %(date)s at the latest.",
        field.retention.days,
        date=format_date(event.latest_destruction(), "medium"),
    )


def _kept(event: Event, fields: tuple[Field, ...], language: str, sentence: bool = False) -> Markup:
    """When these fields are destroyed: one group alike (in the notice's words, or as a sentence for the form's
    note), or each group naming its fields."""
    groups: dict[Retention, list[Field]] = {}
    for field in fields:
        groups.setdefault(field.retention, []).append(field)
    if len(groups) == 1:
        return escape(one_stop(_they_are_destroyed(event, fields[0]) if sentence else retention_text(event, fields[0])))
    ordered = sorted(groups.items(), key=lambda group: event.destroyed_on(group[1][0]))
    return Markup(" ").join(
        _group_text(event, retention, isolated_list(field.label(language) for field in group))
        for retention, group in ordered
    )


def compartment_notes(event: Event, language: str, fields: Iterable[Field]) -> list[CompartmentNote]:
    """These fields grouped by compartment, in the order the event first asks each, with who reads them and
    until when: the one note a form shows per compartment, and a row of the notice."""
    by_compartment: dict[str, list[Field]] = {}
    for field in fields:
        by_compartment.setdefault(field.compartment, []).append(field)
    notes = []
    for name, members in by_compartment.items():
        compartment = event.compartment(name)
        notes.append(
            CompartmentNote(
                name=name,
                label=compartment.label(language),
                purpose=compartment.purpose(language),
                readers=compartment.readers(language),
                fields=tuple(members),
                labels=tuple(field.label(language) for field in members),
                kept=_kept(event, tuple(members), language),
                note=_kept(event, tuple(members), language, sentence=True),
                after_approval=all(field.after_approval for field in members),
            )
        )
    return notes


def notice(event: Event, language: str) -> list[CompartmentNote]:
    """Per compartment: what is asked, why, who may read it, and how long each answer is kept."""
    return compartment_notes(event, language, event.fields)


def rejection_text(event: Event) -> str:
    """What happens to a registration that is not accepted; empty when the event has no such rule."""
    if event.retain_days_after_rejection is None:
        return ""
    return ngettext(
        "If your registration is not accepted, everything you sent is destroyed %(num)d day after that decision.",
        "If your registration is not accepted, everything you sent is destroyed %(num)d days after that decision.",
        event.retain_days_after_rejection,
    )


def letters_register_text(event: Event) -> str:
    """What the register of visa letters keeps and until when; empty when the event writes no letters."""
    forgets_on = event.letters_register_forgets_on()
    if forgets_on is None:
        return ""
    return one_stop(
        gettext(
            "If we write you a visa support letter, we keep a record of it so that we can confirm it to a consulate"
            " that asks: its reference, the day it was written and a keyed fingerprint of your passport number, never"
            " the number itself. This record is kept until %(date)s, even if you withdraw, as the letter may already"
            " be with a consulate.",
            date=format_date(forgets_on - datetime.timedelta(days=1), "medium"),
        )
    )


def init_app(app: Flask) -> None:
    app.jinja_env.globals["compartment_notes"] = compartment_notes
    app.jinja_env.globals["isolated_list"] = isolated_list
    app.jinja_env.globals["rejection_text"] = rejection_text
    app.jinja_env.globals["letters_register_text"] = letters_register_text
    app.jinja_env.filters["one_stop"] = one_stop
