"""The privacy notice, generated from the retention rules the purge enforces, so the two cannot drift apart."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from flask import Flask
from flask_babel import format_date, gettext, ngettext

from app.events.definition import Event, Field


@dataclass(frozen=True)
class NoticeRow:
    label: str
    purpose: str
    readers: str
    kept: str
    after_approval: bool


def retention_text(event: Event, field: Field) -> str:
    """How long this field's values are kept, in the participant's language, with the day they go."""
    if field.retention.after == "event":
        return gettext("Destroyed on %(date)s.", date=format_date(event.destroyed_on(field), "medium"))
    return ngettext(
        "Destroyed %(num)d day after you are accepted, and by %(date)s at the latest.",
        "Destroyed %(num)d days after you are accepted, and by %(date)s at the latest.",
        field.retention.days,
        date=format_date(event.latest_destruction(), "medium"),
    )


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
    return gettext(
        "If we write you a visa support letter, we keep a record of it so that we can confirm it to a consulate"
        " that asks: its reference, the day it was written and a keyed fingerprint of your passport number, never"
        " the number itself. This record is kept until %(date)s, even if you withdraw, as the letter may already"
        " be with a consulate.",
        date=format_date(forgets_on - datetime.timedelta(days=1), "medium"),
    )


def notice(event: Event, language: str) -> list[NoticeRow]:
    """Per field: why it is asked, who may read it, and how long it is kept."""
    rows = []
    for field in event.fields:
        compartment = event.compartment(field.compartment)
        rows.append(
            NoticeRow(
                label=field.label(language),
                purpose=compartment.purpose(language),
                readers=compartment.readers(language),
                kept=retention_text(event, field),
                after_approval=field.after_approval,
            )
        )
    return rows


def init_app(app: Flask) -> None:
    app.jinja_env.globals["retention_text"] = retention_text
    app.jinja_env.globals["rejection_text"] = rejection_text
    app.jinja_env.globals["letters_register_text"] = letters_register_text
