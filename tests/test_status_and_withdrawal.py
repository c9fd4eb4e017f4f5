"""A participant's return with a codename: status shown safely, withdrawal that destroys the record."""

from __future__ import annotations

import re

import pytest

import crypto
from app.audit import log as audit
from app.keys import keyring
from app.registrations.lifecycle import decide
from app.registrations.records import load_record, open_record
from app.web.application import create_app
from app.web.state import state_of
from tests.helpers import hidden_fields, valid_answers

CANARY = "QZX7STATUS93"
UNKNOWN = "We could not find a registration with this secret code."


def _register(client) -> tuple[str, str]:
    tokens = hidden_fields(client.get("/register").get_data(as_text=True))
    html = client.post("/register", data={**tokens, **valid_answers(full_name=CANARY)}).get_data(as_text=True)
    pseudonym = re.search(r'id="pseudonym"[^>]*>([^<]+)<', html).group(1)
    codename = re.search(r'id="codename"[^>]*>([^<]+)<', html).group(1)
    return pseudonym, codename


def _status(client, codename: str):
    tokens = hidden_fields(client.get("/status").get_data(as_text=True))
    return client.post("/status", data={"csrf_token": tokens["csrf_token"], "codename": codename})


def _withdraw(client, codename: str, confirm: bool = True):
    tokens = hidden_fields(client.get("/status").get_data(as_text=True))
    data = {"csrf_token": tokens["csrf_token"], "codename": codename}
    if confirm:
        data["confirm"] = "y"
    return client.post("/status/withdraw", data=data)


def _registration_id(app) -> str | None:
    connection = state_of(app).instance.connect()
    try:
        row = connection.execute("SELECT id FROM registrations").fetchone()
        return row[0] if row else None
    finally:
        connection.close()


def test_status_shows_pseudonym_and_status_and_nothing_else(client):
    pseudonym, codename = _register(client)
    response = _status(client, codename)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'id="pseudonym"[^>]*>' + pseudonym, html)
    assert "have not decided yet" in html
    assert CANARY not in html, "nothing the participant typed is shown back"
    assert codename not in html and codename.split()[0] not in html.split(), "the codename is not written back"


@pytest.mark.parametrize(
    "typed",
    [
        lambda c: c.upper(),
        lambda c: "   " + "  ".join(c.split()) + "\n",
        lambda c: "-".join(c.split()),
        lambda c: " ".join(word[:4] for word in c.split()),
    ],
)
def test_harmless_differences_in_a_typed_codename_are_forgiven(client, typed):
    pseudonym, codename = _register(client)
    assert pseudonym in _status(client, typed(codename)).get_data(as_text=True)


@pytest.mark.parametrize(
    "typed",
    [
        lambda c: " ".join(c.split()[:-1]),  # a word missing
        lambda c: " ".join(c.split()[:-1] + ["lantern" if c.split()[-1] != "lantern" else "meadow"]),  # wrong word
        lambda c: "один два три четыре пять шесть семь восемь",  # another alphabet
        lambda c: "",
        lambda c: "x" * 400,
    ],
)
def test_wrong_codenames_all_get_the_same_single_message(client, typed):
    _pseudonym, codename = _register(client)
    response = _status(client, typed(codename))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    sentences = (UNKNOWN, "Please type your secret code.", "at most 300 characters.", "of your secret code is not in")
    assert any(sentence in html for sentence in sentences)
    assert CANARY not in html and "Traceback" not in html


def test_unknown_and_malformed_codenames_cannot_be_told_apart(client):
    _register(client)
    well_formed = " ".join(crypto.codename_for_submission(bytes(32), crypto.new_submission_token()).split())
    pages = [_status(client, text) for text in (well_formed, "not a codename at all")]
    bodies = [re.sub(r'value="[^"]*"', "", page.get_data(as_text=True)) for page in pages]
    assert pages[0].status_code == pages[1].status_code == 400
    assert bodies[0] == bodies[1]


def test_failed_look_ups_share_one_global_budget_then_further_failures_wait(demo_instance):
    app = create_app({"INSTANCE_DIR": demo_instance.path, "CODENAME_FAILURES_PER_MINUTE": 3})
    client = app.test_client()
    _pseudonym, codename = _register(client)
    for _ in range(3):
        assert _status(client, "wrong words " * 4).status_code == 400
    response = _status(client, "wrong words " * 4)
    assert response.status_code == 429
    assert "try again shortly" in response.get_data(as_text=True)
    assert _status(client, codename).status_code == 200, "a right codename is answered all the same"


def test_status_follows_the_staff_decision(app, client):
    _pseudonym, codename = _register(client)
    connection = state_of(app).instance.connect()
    try:
        decide(connection, state_of(app).instance.event.id, _registration_id(app), "approved", "ana")
    finally:
        connection.close()
    assert "You are accepted." in _status(client, codename).get_data(as_text=True)


def test_withdrawal_destroys_the_record_so_no_key_opens_it(app, client, demo_instance):
    pseudonym, codename = _register(client)
    registration_id = _registration_id(app)
    instance = state_of(app).instance
    response = _withdraw(client, codename.upper())
    assert response.status_code == 200
    assert "Your data is destroyed" in response.get_data(as_text=True)
    connection = instance.connect()
    try:
        recovery = crypto.private_key_from_recovery_words(" ".join(demo_instance.recovery_words))
        every_key = keyring.keys_from_recovery(connection, instance.event.id, recovery)
        assert open_record(instance.event.id, load_record(connection, registration_id), every_key) == {}
        for table in ("registrations", "data_keys", "field_values"):
            assert connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table  # noqa: S608
        last = audit.entries(connection)[-1]
    finally:
        connection.close()
    assert (last.actor, last.action, last.subject) == ("participant", "withdrawn by participant", pseudonym)
    assert UNKNOWN in _status(client, codename).get_data(as_text=True)


def test_withdrawal_needs_the_confirmation_and_the_right_codename(app, client):
    _pseudonym, codename = _register(client)
    unconfirmed = _withdraw(client, codename, confirm=False)
    assert unconfirmed.status_code == 400 and "please tick this box" in unconfirmed.get_data(as_text=True)
    wrong = _withdraw(client, "wrong words " * 4)
    assert wrong.status_code == 400 and UNKNOWN in wrong.get_data(as_text=True)
    assert _registration_id(app) is not None, "nothing was destroyed"


def test_codenames_never_travel_in_a_url(client):
    html = client.get("/status").get_data(as_text=True)
    assert all(method == "post" for method in re.findall(r'<form method="(\w+)"', html))
