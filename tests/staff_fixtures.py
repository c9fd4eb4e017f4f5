"""Staff accounts on a real instance, and logging them in through the login page."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import pyotp
import pytest

import crypto
from app.common.clock import SYSTEM_CLOCK, Clock
from app.instance.folder import opened
from app.staff import grants
from app.staff.accounts import add_staff
from app.staff.login import TOTP_STEP_SECONDS
from app.web.state import state_of
from tests.helpers import SetClock, hidden_fields, valid_answers


@dataclass
class Person:
    username: str
    passphrase: str
    totp_secret: str
    staff_id: str
    last_step: int = 0  # the last TOTP step this person's codes used: a code is never accepted twice

    def code(self, clock: Clock = SYSTEM_CLOCK) -> str:
        """A code the server accepts whenever it checks, in this step or the next (it allows one step either
        way), and later than any this person used before. Waits for the next step only when both are used."""
        wanted = max(_step(clock), self.last_step + 1)
        while wanted > _step(clock) + 1:
            _wait_for_next_step(clock)
        self.last_step = wanted
        return pyotp.TOTP(self.totp_secret).at(wanted * TOTP_STEP_SECONDS)


def _step(clock: Clock) -> int:
    return int(clock.unix() // TOTP_STEP_SECONDS)


def _wait_for_next_step(clock: Clock) -> None:
    until_next = TOTP_STEP_SECONDS - clock.unix() % TOTP_STEP_SECONDS
    if isinstance(clock, SetClock):
        clock.advance(until_next)
    else:
        time.sleep(until_next + 0.01)


@dataclass
class Team:
    people: dict[str, Person] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Person:
        return self.people[name]


# Tests may lower the Argon2 cost; test_staff_keys_made_by_the_cli_use_the_production_cost checks the real one.
TEST_COST = crypto.Argon2Cost(memory_kib=1024, time_cost=1, parallelism=1)


def make_team(instance_path, recovery_words, roster) -> Team:
    """roster: username -> (role, compartments granted from the recovery key)."""
    team = Team()
    with opened(instance_path) as (instance, connection):
        recovery_keys = grants.keys_from_recovery_words(connection, instance.event.id, " ".join(recovery_words))
        for username, (role, compartments) in roster.items():
            account = add_staff(connection, username, role, cost=TEST_COST)
            for compartment in compartments:
                grants.grant(
                    connection,
                    instance.event,
                    compartment=compartment,
                    to=username,
                    holder_keys=recovery_keys,
                    actor="recovery key",
                )
            team.people[username] = Person(username, account.passphrase, account.totp_secret, account.member.id)
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
            "code": person.code(state_of(client.application).clock) if code is None else code,
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
    connection = state_of(app).instance.connect()
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


def every_staff_page(app, client, team: Team, language: str) -> dict[str, tuple[object, str]]:
    """Every staff page, asked for in this language with ?lang=, each with a sentence it must show in it. The
    client ends logged in as root, an administrator who holds no compartment."""
    q = f"?lang={language}"
    register_canary(client, "QZX7LANG93")
    wrong = {"csrf_token": csrf(client, "/staff/login"), "username": "root", "passphrase": "no", "code": "000000"}
    refused_login = client.post("/staff/login" + q, data=wrong)
    login(client, team["root"])
    record = f"/staff/registrations/{registration_ids(app)[0]}"
    token = csrf(client)
    grant = {"grant-csrf_token": token, "grant-compartment": "identity", "grant-username": "ana"}
    wipe = {"csrf_token": token, "event_id": "another-event", "passphrase": "no", "code": "000000"}
    return {
        "login": (client.get("/staff/login" + q), "Staff login"),
        "login refused": (refused_login, "The username, passphrase or code is not right."),
        "registrations": (client.get("/staff/" + q), "Export what you hold"),
        "registrations, unknown status": (
            client.get(f"/staff/?status=nosuch&lang={language}"),
            "There is no such status, or it was given twice: choose one from the list.",
        ),
        "record": (client.get(record + q), "Why do you need to open this? (kept in the audit log)"),
        "record opened": (
            client.post(f"{record}/open{q}", data={"csrf_token": token, "reason": "checking the language"}),
            "Not yours to see.",
        ),
        "grants": (client.get("/staff/grants" + q), "Grant a compartment you hold"),
        "grant refused": (
            client.post("/staff/grants" + q, data=grant),
            "You do not hold this compartment, so you cannot grant it.",
        ),
        "letters": (client.get("/staff/letters" + q), "Visa letters"),
        "arrivals": (client.get("/staff/arrivals" + q), "Approved and not arrived"),
        "audit": (client.get("/staff/audit" + q), "Download the signed log"),
        "wipe": (client.get("/staff/wipe" + q), "Destroy everything now"),
        "wipe refused": (client.post("/staff/wipe" + q, data=wipe), "That is not this event's id."),
        "not found": (client.get("/staff/nowhere" + q), "There is no page at this address."),
    }
