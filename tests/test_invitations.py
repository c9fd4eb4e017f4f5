"""Invitation-only events: a code works as often as issued, then never; only its keyed hash is stored."""

from __future__ import annotations

import datetime
import re
import subprocess
import sys

import pytest

import crypto
from app.events.definition import demo_event_source
from app.instance.setup import create_instance
from app.registrations import invitations
from app.web.application import create_app
from app.web.state import state_of
from tests.helpers import SetClock, dump_database, hidden_fields, valid_answers

REFUSED = "This invitation code is not valid."


@pytest.fixture
def invited(tmp_path):
    path = tmp_path / "invited"
    create_instance(path, demo_event_source().replace("invitation_required = false", "invitation_required = true"))
    return path, create_app({"INSTANCE_DIR": path})


def _codes(app, count=1, uses=1, expires=None, issued_days_ago=0):
    """Codes issued now, or ``issued_days_ago`` (an expired code can only have been issued in the past)."""
    instance = state_of(app).instance
    connection = instance.connect()
    connection.clock = SetClock(now=connection.clock.now() - datetime.timedelta(days=issued_days_ago))
    try:
        expires = expires or datetime.date.today() + datetime.timedelta(days=30)
        return invitations.issue(connection, instance, count, uses, expires)
    finally:
        connection.close()


def _register(client, code):
    tokens = hidden_fields(client.get("/register").get_data(as_text=True))
    return client.post("/register", data={**tokens, **valid_answers(), "invitation": code})


def _count(app):
    connection = state_of(app).instance.connect()
    try:
        return connection.execute("SELECT count(*) FROM registrations").fetchone()[0]
    finally:
        connection.close()


def test_an_unused_invitation_works_once_and_the_second_use_fails(invited):
    _path, app = invited
    (code,) = _codes(app)
    client = app.test_client()
    assert 'name="invitation"' in client.get("/register").get_data(as_text=True)
    assert _register(client, code.lower().replace("-", " ")).status_code == 200
    second = _register(client, code)
    assert second.status_code == 400 and REFUSED in second.get_data(as_text=True)
    assert code not in second.get_data(as_text=True), "the code is not written back"
    assert _count(app) == 1


def test_used_expired_and_unknown_codes_get_the_same_refusal(invited):
    _path, app = invited
    (used,) = _codes(app)
    (expired,) = _codes(app, expires=datetime.date.today() - datetime.timedelta(days=1), issued_days_ago=10)
    client = app.test_client()
    _register(client, used)
    pages = [_register(client, code) for code in (used, expired, crypto.new_invitation_code(), "nonsense")]
    assert {page.status_code for page in pages} == {400}
    bodies = {re.sub(r'value="[^"]*"', "", page.get_data(as_text=True)) for page in pages}
    assert len(bodies) == 1 and REFUSED in bodies.pop()
    assert _count(app) == 1


def test_a_resent_form_does_not_spend_the_code_twice(invited):
    _path, app = invited
    (code,) = _codes(app, uses=2)
    client = app.test_client()
    tokens = hidden_fields(client.get("/register").get_data(as_text=True))
    for _ in range(2):
        client.post("/register", data={**tokens, **valid_answers(), "invitation": code})
    assert _register(client, code).status_code == 200, "one use remained for somebody else"


def test_codes_never_appear_in_plaintext_in_the_database(invited):
    _path, app = invited
    codes = _codes(app, count=20)
    connection = state_of(app).instance.connect()
    try:
        dump = dump_database(connection)
    finally:
        connection.close()
    for code in codes:
        for form in (code, code.replace("-", ""), code.lower()):
            assert form.encode() not in dump


def test_missing_code_is_asked_for(invited):
    _path, app = invited
    response = _register(app.test_client(), "")
    assert response.status_code == 400 and "needs an invitation code" in response.get_data(as_text=True)


def test_invite_command_prints_codes_that_work(invited):
    path, app = invited
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "invite",
            "new",
            "--count",
            "3",
            "--uses",
            "1",
            "--expires",
            (datetime.date.today() + datetime.timedelta(days=10)).isoformat(),
            "--instance",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    codes = result.stdout.strip().splitlines()[1:]
    assert len(codes) == 3 and all(len(code) == 14 for code in codes)
    assert _register(app.test_client(), codes[0]).status_code == 200
    past = subprocess.run(
        [sys.executable, "-m", "app", "invite", "new", "--expires", "2001-01-01", "--instance", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert past.returncode != 0 and "already passed" in past.stderr
