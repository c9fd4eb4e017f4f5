"""Approved registrations with their visa details, and a team of readers, for the visa letter tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from app.instance.folder import Instance
from app.registrations.lifecycle import decide
from app.registrations.register import add_follow_up
from app.staff import grants
from app.storage.connection import Connection
from tests.retention_helpers import new_instance, register_one

NAMES = ("Nguyễn Ngọc Như Quỳnh", "Łukasz Żółć")
REASON = "visa letters for the May forum"


def visa_details(number: int, **overrides: str) -> dict[str, str]:
    details = {
        "passport_name": NAMES[number % len(NAMES)],
        "passport_number": f"QZX7P{number:04d}",
        "passport_expiry": "2031-02-03",
        "arrival_date": "2027-05-03",
        "travel_from": "Hà Nội",
    }
    return {**details, **overrides}


@dataclass
class LetterScene:
    instance: Instance
    connection: Connection
    words: list[str]
    pseudonyms: dict[str, str]  # pseudonym -> registration id

    @property
    def event(self):
        return self.instance.event

    def recovery_keys(self):
        return grants.keys_from_recovery_words(self.connection, self.event.id, " ".join(self.words))

    def approve(self, number: int, **visa: str) -> str:
        """Register, approve and add the visa details of participant ``number``; their pseudonym."""
        registration_id = register_one(self.connection, self.instance)
        decide(self.connection, self.event.id, registration_id, "approved", "ana")
        add_follow_up(self.connection, self.event, registration_id, visa_details(number, **visa))
        (pseudonym,) = self.connection.execute(
            "SELECT pseudonym FROM registrations WHERE id = ?", (registration_id,)
        ).fetchone()
        self.pseudonyms[pseudonym] = registration_id
        return pseudonym


def scene_in(tmp_path) -> Iterator[LetterScene]:
    """For a fixture: a demo instance and its connection, closed when the test ends."""
    instance, words = new_instance(tmp_path / "instance")
    connection = instance.connect()
    yield LetterScene(instance, connection, words, {})
    connection.close()
