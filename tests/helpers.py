"""Helpers shared by the tests: reading forms, typical answers, dumping a database."""

from __future__ import annotations

import datetime
import re

from app.common.clock import Clock

_HIDDEN = re.compile(r'<input[^>]*\bname="(csrf_token|submission)"[^>]*\bvalue="([^"]*)"')


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs (CSRF token, submission token) of a form page."""
    return {name: value for name, value in _HIDDEN.findall(html)}


def valid_answers(**overrides: str) -> dict[str, str]:
    answers = {
        "full_name": "Ana Example",
        "badge_name": "Ana",
        "organisation": "Example Collective",
        "country": "Examplestan",
        "safe_contact": "signal: example",
        "track": "digital-security",
        "diet": "vegan",
        "access_needs": "",
        "photo_consent": "no-face",
        "safety_notes": "",
        "consent": "y",
    }
    answers.update(overrides)
    return answers


def dump_database(connection) -> bytes:
    """Every value in every table, as bytes: what someone holding the database key could read."""
    chunks = []
    for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in connection.execute(f'SELECT * FROM "{table}"'):
            for value in row:
                chunks.append(value if isinstance(value, bytes) else str(value).encode("utf-8"))
    return b"\n".join(chunks)


class SetClock(Clock):
    """A clock that stands where a test puts it, and moves only when the test moves it."""

    def __init__(self, now: datetime.datetime | None = None) -> None:
        self._now = now or datetime.datetime.now(datetime.UTC)
        self._monotonic = 1_000_000.0

    def now(self) -> datetime.datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        self._now += datetime.timedelta(seconds=seconds)
        self._monotonic += seconds
