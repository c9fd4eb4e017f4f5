"""Helpers for the retention tests: instances whose event is over, and registrations made directly."""

from __future__ import annotations

import datetime
from pathlib import Path

import crypto
from app.events.definition import demo_event_source
from app.instance.folder import Instance, open_instance
from app.instance.setup import create_instance
from app.registrations.register import register
from app.storage import db
from tests.helpers import valid_answers

# The demo event moved into the past: everything it holds is due for destruction today.
PAST_EVENT = (
    demo_event_source()
    .replace("starts = 2027-05-04", "starts = 2020-05-04")
    .replace("ends = 2027-05-07", "ends = 2020-05-07")
)


def new_instance(path: Path, source: str | None = None) -> tuple[Instance, list[str]]:
    words = create_instance(path, source or demo_event_source())
    return open_instance(path), words


def register_one(connection: db.Connection, instance: Instance, **answers: str) -> str:
    """Register through the same function the web form calls; return the registration id."""
    receipt = register(connection, instance, crypto.new_submission_token(), valid_answers(**answers))
    return connection.execute("SELECT id FROM registrations WHERE pseudonym = ?", (receipt.pseudonym,)).fetchone()[0]


def values_by_field(connection: db.Connection) -> dict[str, int]:
    return dict(connection.execute("SELECT field_key, count(*) FROM field_values GROUP BY field_key").fetchall())


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)
