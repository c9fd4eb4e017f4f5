"""Staff sessions against an attacker who holds an open one: a disabled account or a revoked grant, changed
from either front-end or another process, takes effect at the session's next request; a session in constant use
still ends after its absolute lifetime; and a logout either ends the session it names or changes nothing."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

from app.web.application import create_app
from tests.helpers import SetClock
from tests.staff_fixtures import csrf, login, register_canary

CANARY = "SESSIONFOLLOW7"


def _gatehouse(demo_instance, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *arguments, "--instance", str(demo_instance.path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _export_columns(client) -> list[str]:
    response = client.post("/staff/export", data={"csrf_token": csrf(client), "reason": "checking what I hold"})
    assert response.status_code == 200, response.status_code
    return next(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_disabling_an_account_on_the_command_line_ends_its_open_web_session(demo_instance, client, team):
    login(client, team["ana"])
    assert client.get("/staff/").status_code == 200

    disabled = _gatehouse(demo_instance, "staff", "disable", "ana")
    assert disabled.returncode == 0, disabled.stderr

    for path in ("/staff/", "/staff/grants"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/staff/login"), path
    exported = client.post("/staff/export", data={"csrf_token": "x", "reason": "one more look"})
    assert exported.status_code in (302, 400) and "text/csv" not in exported.content_type


def test_a_command_line_revocation_takes_the_compartment_out_of_the_open_session(demo_instance, client, team):
    register_canary(client, CANARY)
    login(client, team["ana"])
    assert "access_needs" in _export_columns(client)

    revoked = _gatehouse(demo_instance, "revoke", "--compartment", "needs", "--from", "ana")
    assert revoked.returncode == 0, revoked.stderr

    columns = _export_columns(client)
    assert "access_needs" not in columns and "full_name" in columns, "needs is gone, the rest is still held"
    held = client.get("/staff/").get_data(as_text=True).split("You hold:", 1)[1].split(".", 1)[0]
    assert [compartment.strip() for compartment in held.split(",")] == ["contact", "identity"]


def test_a_session_in_constant_use_ends_after_its_absolute_lifetime(demo_instance, team):
    clock = SetClock()
    app = create_app({"INSTANCE_DIR": demo_instance.path, "CLOCK": clock, "STAFF_LIFETIME_SECONDS": 3600})
    client = app.test_client()
    login(client, team["ana"])
    for _ in range(5):  # a request every 10 minutes: never idle for long
        clock.advance(600)
        assert client.get("/staff/").status_code == 200
    clock.advance(601)  # 3,601 seconds since login
    answer = client.get("/staff/")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/staff/login")


def test_a_logout_without_its_token_leaves_nothing_half_done(client, team):
    """A forged logout (no CSRF token) must not delete the cookie while the session and its keys live on."""
    login(client, team["ana"])
    cookie = client.get_cookie("gatehouse_staff", path="/staff").value
    forged = client.post("/staff/logout", data={})
    assert forged.status_code == 400
    assert not any(header.startswith("gatehouse_staff=") for header in forged.headers.getlist("Set-Cookie"))
    assert client.get("/staff/").status_code == 200, "the session it did not end still works, and is still shown"

    done = client.post("/staff/logout", data={"csrf_token": csrf(client)})
    assert done.status_code == 303
    client.set_cookie("gatehouse_staff", cookie, path="/staff")
    assert client.get("/staff/").status_code == 302, "a real logout ends the session the old cookie named"
