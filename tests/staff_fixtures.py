"""Staff accounts on a real instance, and logging them in through the login page."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import pyotp
import pytest

import crypto
from app import db, keyring
from app.instance import open_instance
from app.staff_accounts import add_staff
from tests.helpers import hidden_fields, valid_answers


@dataclass
class Person:
    username: str
    passphrase: str
    totp_secret: str
    staff_id: str
    next_offset: int = -1  # each login uses a later TOTP step: a code is never accepted twice

    def code(self) -> str:
        step = int(time.time() // 30) + self.next_offset
        self.next_offset += 1
        assert self.next_offset <= 2, "a test may log one person in at most three times"
        return pyotp.TOTP(self.totp_secret).at(step * 30)


@dataclass
class Team:
    people: dict[str, Person] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Person:
        return self.people[name]


# Tests may lower the Argon2 cost; test_staff_keys_made_by_the_cli_use_the_production_cost checks the real one.
TEST_COST = crypto.Argon2Cost(memory_kib=1024, time_cost=1, parallelism=1)


def make_team(instance_path, recovery_words, roster) -> Team:
    """roster: username -> (role, compartments granted from the recovery key)."""
    instance = open_instance(instance_path)
    connection = instance.connect()
    team = Team()
    try:
        recovery = crypto.private_key_from_recovery_words(" ".join(recovery_words))
        recovery_keys = keyring.keys_from_recovery(connection, instance.event.id, recovery)
        with db.transaction(connection):
            for username, (role, compartments) in roster.items():
                account = add_staff(connection, username, role, cost=TEST_COST)
                for compartment in compartments:
                    keyring.grant(
                        connection,
                        instance.event.id,
                        compartment,
                        account.member.id,
                        account.member.public_key,
                        recovery_keys,
                        "recovery key",
                    )
                team.people[username] = Person(username, account.passphrase, account.totp_secret, account.member.id)
    finally:
        connection.close()
    return team


ROSTER = {
    "ana": ("staff", ["identity", "contact", "needs"]),  # registration team: may decide
    "otto": ("staff", ["needs"]),  # logistics: needs only
    "root": ("admin", []),  # organiser: holds nothing
    "audrey": ("auditor", []),
}


@pytest.fixture
def team(demo_instance) -> Team:
    return make_team(demo_instance.path, demo_instance.recovery_words, ROSTER)


def login(client, person: Person, passphrase: str | None = None, code: str | None = None):
    tokens = hidden_fields(client.get("/staff/login").get_data(as_text=True))
    return client.post(
        "/staff/login",
        data={
            "csrf_token": tokens["csrf_token"],
            "username": person.username,
            "passphrase": person.passphrase if passphrase is None else passphrase,
            "code": person.code() if code is None else code,
        },
    )


def csrf(client, path="/staff/") -> str:
    return hidden_fields(client.get(path).get_data(as_text=True))["csrf_token"]


def register_canary(client, canary: str) -> None:
    tokens = hidden_fields(client.get("/register").get_data(as_text=True))
    answers = valid_answers(
        full_name=f"{canary}-name",
        safe_contact=f"{canary}-contact",
        access_needs=f"{canary}-needs",
        safety_notes=f"{canary}-safety",
    )
    response = client.post("/register", data={**tokens, **answers})
    assert response.status_code == 200


def registration_ids(app) -> list[str]:
    connection = app.extensions["gatehouse"].connect()
    try:
        return [row[0] for row in connection.execute("SELECT id FROM registrations ORDER BY id")]
    finally:
        connection.close()


def open_page(client, registration_id: str, reason: str = "checking the visa letter"):
    return client.post(
        f"/staff/registrations/{registration_id}/open",
        data={"csrf_token": csrf(client, f"/staff/registrations/{registration_id}"), "reason": reason},
    )


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
