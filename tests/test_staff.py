"""Vetted staff: two-factor login, compartments by grant only, logged openings, decisions, exports."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import time

import argon2
import pytest

import crypto
from app.audit import log as audit
from app.instance.folder import open_instance
from app.keys import keyring
from app.staff.login import LoginRefused, authenticate
from app.staff.login_limits import WRONG_CODES_WINDOW_SECONDS, CodeChecksPaused, CodeLock, LoginLimits
from app.web.application import create_app
from app.web.state import state_of
from tests.helpers import SetClock
from tests.staff_fixtures import csrf, login, make_team, open_page, register_canary, registration_ids

CANARY = "QZX7STAFF93"


def _connection(app):
    return state_of(app).instance.connect()


def _audit(app) -> list[audit.Entry]:
    connection = _connection(app)
    try:
        return audit.entries(connection)
    finally:
        connection.close()


# Keys and hashes


def test_staff_keys_made_by_the_cli_use_the_production_cost(demo_instance):
    result = subprocess.run(
        [sys.executable, "-m", "app", "staff", "add", "vera", "--role", "staff", "--instance", str(demo_instance.path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    passphrase = re.search(r"passphrase:\s+(.+)", result.stdout).group(1).strip()
    connection = open_instance(demo_instance.path).connect()
    try:
        public_key, locked, login_hash = connection.execute(
            "SELECT public_key, locked_private_key, login_hash FROM staff WHERE username = 'vera'"
        ).fetchone()
    finally:
        connection.close()
    assert crypto.locked_key_cost(locked).at_least(crypto.PRODUCTION_COST)
    parameters = argon2.extract_parameters(login_hash)
    assert parameters.type is argon2.Type.ID
    assert parameters.memory_cost >= 64 * 1024 and parameters.time_cost >= 3 and parameters.parallelism >= 4
    private_key = crypto.unlock_private_key(locked, passphrase)
    assert bytes(private_key.public_key) == public_key
    assert bytes(private_key) not in locked
    with pytest.raises(crypto.WrongPassphrase):
        crypto.unlock_private_key(locked, "not the passphrase")
    assert passphrase not in result.stderr


def test_generated_passphrases_have_at_least_seven_words(team):
    assert all(len(person.passphrase.split()) >= 7 for person in team.people.values())


# Login


def test_login_needs_passphrase_and_code_and_sets_a_strict_cookie(client, team):
    response = login(client, team["ana"])
    assert response.status_code == 303
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("gatehouse_staff="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/staff" in cookie
    assert "Secure" not in cookie, "plain HTTP on loopback"
    assert client.get("/staff/").status_code == 200


@pytest.mark.parametrize("base_url", ["https://gatehouse.example", "http://abcdefghijklmnop.onion"])
def test_cookies_are_secure_over_https_and_onion(app, team, base_url):
    client = app.test_client()
    tokens_page = client.get("/staff/login", base_url=base_url)
    session_cookie = tokens_page.headers["Set-Cookie"]
    assert "Secure" in session_cookie
    from tests.helpers import hidden_fields

    response = client.post(
        "/staff/login",
        base_url=base_url,
        data={
            "csrf_token": hidden_fields(tokens_page.get_data(as_text=True))["csrf_token"],
            "username": "ana",
            "passphrase": team["ana"].passphrase,
            "code": team["ana"].code(),
        },
    )
    staff_cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("gatehouse_staff="))
    assert "Secure" in staff_cookie


def test_wrong_passphrases_are_never_counted_but_a_sixth_code_after_five_wrong_ones_is_not_checked(app, team):
    clock = SetClock()
    limits = LoginLimits(codes=CodeLock(clock=clock))
    connection = _connection(app)
    connection.clock = clock
    try:
        for spelling in ("ana", "ANA", " ana ") * 10:  # anyone can send these: they must not keep ana out
            with pytest.raises(LoginRefused):
                authenticate(connection, limits, spelling, "wrong words", "000000")
        authenticate(connection, limits, "ana", team["ana"].passphrase, team["ana"].code(clock))
        for _ in range(5):  # only someone who holds the passphrase can give these
            with pytest.raises(LoginRefused):
                authenticate(connection, limits, "ana", team["ana"].passphrase, "000000")
        last_step = "SELECT last_totp_step FROM staff WHERE username = 'ana'"
        step_before = connection.execute(last_step).fetchone()[0]
        with pytest.raises(CodeChecksPaused) as paused:
            authenticate(connection, limits, "ana", team["ana"].passphrase, team["ana"].code(clock))
        assert paused.value.minutes_to_wait == 60
        assert connection.execute(last_step).fetchone()[0] == step_before, "the right code was not even checked"
        clock.advance(WRONG_CODES_WINDOW_SECONDS - 1)
        with pytest.raises(CodeChecksPaused):
            authenticate(connection, limits, "ana", team["ana"].passphrase, team["ana"].code(clock))
        clock.advance(1)  # an hour after the first wrong code
        assert authenticate(connection, limits, "ana", team["ana"].passphrase, team["ana"].code(clock)).staff_key
    finally:
        connection.close()


def test_the_login_page_tells_someone_with_the_passphrase_and_wrong_codes_to_wait(client, team):
    for _ in range(5):
        assert login(client, team["otto"], passphrase="wrong words", code="000000").status_code == 400
    assert login(client, team["otto"]).status_code == 303, "wrong passphrases keep nobody out"
    for _ in range(5):
        assert login(client, team["otto"], code="000000").status_code == 400
    response = login(client, team["otto"])
    assert response.status_code == 429
    assert "Too many wrong codes were given for this account. Wait 60 min," in response.get_data(as_text=True)


def test_a_used_code_is_refused_the_second_time(app, team):
    code = team["ana"].code()
    first, second = app.test_client(), app.test_client()
    assert login(first, team["ana"], code=code).status_code == 303
    response = login(second, team["ana"], code=code)
    assert response.status_code == 400
    assert second.get("/staff/").status_code == 302


def test_a_wrong_code_never_reveals_whether_the_passphrase_was_right(client, team):
    right_passphrase = login(client, team["otto"], code="123456")
    wrong_passphrase = login(client, team["otto"], passphrase="wrong words", code="123456")
    unknown_user = client.post(
        "/staff/login",
        data={"csrf_token": csrf(client, "/staff/login"), "username": "nobody", "passphrase": "x", "code": "123456"},
    )
    pages = [
        r.get_data(as_text=True).split("</form>")[0].split('value="')[0]
        for r in (right_passphrase, wrong_passphrase, unknown_user)
    ]
    assert {r.status_code for r in (right_passphrase, wrong_passphrase, unknown_user)} == {400}
    assert all("The username, passphrase or code is not right." in page for page in pages)
    assert pages[0] == pages[1] == pages[2]


@pytest.mark.parametrize(
    "fields",
    [
        {"username": "", "passphrase": "x", "code": "123456"},
        {"username": "ana", "passphrase": "x", "code": "abc"},
        {"username": "ana" * 40, "passphrase": "x", "code": "123456"},
    ],
)
def test_malformed_login_forms_get_a_clear_message(client, team, fields):
    response = client.post("/staff/login", data={"csrf_token": csrf(client, "/staff/login"), **fields})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Traceback" not in html and 'class="error"' in html


def test_disabled_accounts_cannot_log_in(app, client, team):
    connection = _connection(app)
    try:
        connection.execute("UPDATE staff SET disabled = 1 WHERE username = 'ana'")
    finally:
        connection.close()
    assert login(client, team["ana"]).status_code == 400


# Sessions end


def test_after_logout_the_session_cookie_opens_nothing(client, team):
    login(client, team["ana"])
    cookie = client.get_cookie("gatehouse_staff", path="/staff").value
    client.post("/staff/logout", data={"csrf_token": csrf(client)})
    client.set_cookie("gatehouse_staff", cookie, path="/staff")
    assert client.get("/staff/").status_code == 302


def test_after_idle_expiry_the_session_is_gone(demo_instance, team):
    app = create_app({"INSTANCE_DIR": demo_instance.path, "STAFF_IDLE_SECONDS": 1})
    client = app.test_client()
    login(client, team["ana"])
    assert client.get("/staff/").status_code == 200
    time.sleep(1.5)
    assert client.get("/staff/").status_code == 302


def test_after_a_restart_no_session_or_key_survives(demo_instance, app, team):
    client = app.test_client()
    login(client, team["ana"])
    cookie = client.get_cookie("gatehouse_staff", path="/staff").value
    restarted = create_app({"INSTANCE_DIR": demo_instance.path}).test_client()
    restarted.set_cookie("gatehouse_staff", cookie, path="/staff")
    assert restarted.get("/staff/").status_code == 302


# Compartments by grant only


def test_staff_see_only_their_compartments_and_the_rest_is_not_theirs(app, client, team):
    register_canary(client, CANARY)
    (registration_id,) = registration_ids(app)
    login(client, team["otto"])
    html = open_page(client, registration_id).get_data(as_text=True)
    assert f"{CANARY}-needs" in html
    assert "<dd>Vegan</dd>" in html, "a choice is shown by its label"
    for hidden in ("name", "contact", "safety"):
        assert f"{CANARY}-{hidden}" not in html
    assert html.count("Not yours to see.") == len(state_of(app).instance.event.compartments) - 1


def test_a_compartment_held_but_not_filled_yet_says_so_rather_than_not_yours(demo_instance, app, client, team):
    """A holder of visa and travel opens a registration not approved yet: nothing was asked there yet, and that
    is what the page says; only the compartments they do not hold are 'not yours to see'."""
    register_canary(client, CANARY)
    (registration_id,) = registration_ids(app)
    granted = make_team(demo_instance.path, demo_instance.recovery_words, {"vic": ("staff", ["visa", "travel"])})
    login(client, granted["vic"])
    html = open_page(client, registration_id).get_data(as_text=True)
    assert html.count("Nothing was given here yet.") == 2
    assert html.count("Not yours to see.") == len(state_of(app).instance.event.compartments) - 2


def test_decision_is_not_both_the_heading_and_the_label(app, client, team):
    register_canary(client, CANARY)
    (registration_id,) = registration_ids(app)
    login(client, team["ana"])  # ana holds the deciding compartment: the form is there
    html = client.get(f"/staff/registrations/{registration_id}").get_data(as_text=True)
    assert "<h2>Decision</h2>" in html
    assert re.search(r"<legend>([^<]+)</legend>", html).group(1) != "Decision"


def test_admin_without_grants_reads_no_field_by_any_route(app, client, team):
    register_canary(client, CANARY)
    (registration_id,) = registration_ids(app)
    login(client, team["root"])
    opened = open_page(client, registration_id).get_data(as_text=True)
    exported = client.post("/staff/export", data={"csrf_token": csrf(client), "reason": "annual check"})
    assert CANARY not in opened and CANARY not in exported.get_data(as_text=True)
    assert next(csv.reader(io.StringIO(exported.get_data(as_text=True)))) == ["pseudonym", "status", "submitted_day"]


def test_admin_without_grants_cannot_grant(app, client, team):
    login(client, team["root"])
    before = _grants(app)
    response = client.post(
        "/staff/grants",
        data={
            "grant-csrf_token": csrf(client, "/staff/grants"),
            "grant-compartment": "identity",
            "grant-username": "root",
        },
    )
    assert response.status_code == 403
    assert "You do not hold this compartment" in response.get_data(as_text=True)
    assert _grants(app) == before


def test_export_holds_only_the_compartments_held(app, client, team):
    register_canary(client, CANARY)
    login(client, team["otto"])
    text = client.post("/staff/export", data={"csrf_token": csrf(client), "reason": "catering"}).get_data(as_text=True)
    header = next(csv.reader(io.StringIO(text)))
    assert header == ["pseudonym", "status", "submitted_day", "track", "diet", "access_needs"]
    assert f"{CANARY}-needs" in text and f"{CANARY}-name" not in text


def test_export_cells_cannot_run_as_formulas(app, client, team):
    from app.registrations.export import neutralise

    for dangerous in ('=HYPERLINK("x")', "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(dangerous) == "'" + dangerous
    assert neutralise("Ana") == "Ana"
    from tests.helpers import hidden_fields, valid_answers

    tokens = hidden_fields(client.get("/register").get_data(as_text=True))
    client.post("/register", data={**tokens, **valid_answers(access_needs='=HYPERLINK("http://x","y")')})
    login(client, team["otto"])
    text = client.post("/staff/export", data={"csrf_token": csrf(client), "reason": "catering"}).get_data(as_text=True)
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[-1] == '\'=HYPERLINK("http://x","y")'


# Every opening and export is logged, without personal values


def test_each_opening_writes_one_entry_without_personal_values(app, client, team):
    register_canary(client, CANARY)
    (registration_id,) = registration_ids(app)
    login(client, team["otto"])
    before = len(_audit(app))
    open_page(client, registration_id, reason="diet for the dinner")
    entries = _audit(app)[before:]
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.actor, entry.action, entry.reason) == ("otto", "open", "diet for the dinner")
    assert '"needs"' in entry.detail and entry.subject and entry.day
    assert all(CANARY not in str(value) for e in _audit(app) for value in vars(e).values())
    assert audit.first_broken(_audit(app)) is None


def test_export_is_logged(app, client, team):
    login(client, team["otto"])
    client.post("/staff/export", data={"csrf_token": csrf(client), "reason": "catering"})
    assert _audit(app)[-1].action == "export" and _audit(app)[-1].reason == "catering"


def test_opening_without_a_reason_is_refused_and_not_logged(app, client, team):
    register_canary(client, CANARY)
    (registration_id,) = registration_ids(app)
    login(client, team["otto"])
    before = len(_audit(app))
    response = open_page(client, registration_id, reason="")
    assert response.status_code == 400 and CANARY not in response.get_data(as_text=True)
    assert len(_audit(app)) == before


def test_audit_chain_breaks_when_an_entry_is_altered(app, client, team):
    login(client, team["otto"])
    connection = _connection(app)
    try:
        entries = audit.entries(connection)
        assert audit.first_broken(entries) is None
        connection.execute("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 1")
        assert audit.first_broken(audit.entries(connection)) == 1
    finally:
        connection.close()


# Decisions


def test_holder_of_the_deciding_compartment_approves(app, client, team):
    register_canary(client, CANARY)
    (registration_id,) = registration_ids(app)
    login(client, team["ana"])
    token = csrf(client, f"/staff/registrations/{registration_id}")
    response = client.post(
        f"/staff/registrations/{registration_id}/decision", data={"csrf_token": token, "decision": "approved"}
    )
    assert response.status_code == 303
    assert 'id="status">approved' in client.get(f"/staff/registrations/{registration_id}").get_data(as_text=True)
    assert _audit(app)[-1].action == "status"


def test_staff_without_the_deciding_compartment_cannot_decide(app, client, team):
    register_canary(client, CANARY)
    (registration_id,) = registration_ids(app)
    login(client, team["otto"])
    token = csrf(client)
    response = client.post(
        f"/staff/registrations/{registration_id}/decision", data={"csrf_token": token, "decision": "approved"}
    )
    assert response.status_code == 403


def test_auditors_do_not_see_registrations(client, team):
    login(client, team["audrey"])
    assert client.get("/staff/").status_code == 403


def test_every_staff_post_refuses_a_missing_csrf_token(app, client, team):
    register_canary(client, CANARY)
    (registration_id,) = registration_ids(app)
    login(client, team["ana"])
    before_audit, before_grants = len(_audit(app)), _grants(app)
    posts = {
        f"/staff/registrations/{registration_id}/open": {"reason": "a good reason"},
        f"/staff/registrations/{registration_id}/decision": {"decision": "rejected"},
        "/staff/grants": {"grant-compartment": "identity", "grant-username": "otto"},
        "/staff/export": {"reason": "a good reason"},
    }
    for path, data in posts.items():
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert CANARY not in response.get_data(as_text=True)
    assert len(_audit(app)) == before_audit and _grants(app) == before_grants
    assert 'id="status">submitted' in client.get(f"/staff/registrations/{registration_id}").get_data(as_text=True)


# Grants


def _grants(app):
    connection = _connection(app)
    try:
        return connection.execute("SELECT staff_id, compartment, generation FROM grants ORDER BY 1, 2, 3").fetchall()
    finally:
        connection.close()


def test_a_holder_grants_and_the_grantee_reads_from_the_next_login(app, team):
    holder, grantee = app.test_client(), app.test_client()
    register_canary(holder, CANARY)
    (registration_id,) = registration_ids(app)
    login(holder, team["ana"])
    response = holder.post(
        "/staff/grants",
        data={
            "grant-csrf_token": csrf(holder, "/staff/grants"),
            "grant-compartment": "identity",
            "grant-username": "otto",
        },
    )
    assert response.status_code == 200 and "Granted" in response.get_data(as_text=True)
    login(grantee, team["otto"])
    assert f"{CANARY}-name" in open_page(grantee, registration_id).get_data(as_text=True)


def test_grant_to_a_disabled_or_unknown_account_changes_nothing(app, client, team):
    connection = _connection(app)
    try:
        connection.execute("UPDATE staff SET disabled = 1 WHERE username = 'otto'")
    finally:
        connection.close()
    login(client, team["ana"])
    before = _grants(app)
    for username in ("otto", "nobody"):
        response = client.post(
            "/staff/grants",
            data={
                "grant-csrf_token": csrf(client, "/staff/grants"),
                "grant-compartment": "identity",
                "grant-username": username,
            },
        )
        assert response.status_code == 400
        assert "no active staff member" in response.get_data(as_text=True)
    assert _grants(app) == before


def test_revoke_with_rotation_keeps_new_records_from_the_revoked_key(app, team):
    client = app.test_client()
    instance = state_of(app).instance
    connection = _connection(app)
    try:
        otto_key = crypto.unlock_private_key(
            connection.execute("SELECT locked_private_key FROM staff WHERE username='otto'").fetchone()[0],
            team["otto"].passphrase,
        )
        otto_keys_before = keyring.keys_held_by(connection, team["otto"].staff_id, instance.event.id, otto_key)
    finally:
        connection.close()
    login(client, team["ana"])
    response = client.post(
        "/staff/grants",
        data={
            "revoke-csrf_token": csrf(client, "/staff/grants"),
            "revoke-compartment": "needs",
            "revoke-username": "otto",
            "revoke-rotate": "y",
        },
    )
    assert response.status_code == 200 and "Revoked" in response.get_data(as_text=True)
    register_canary(app.test_client(), CANARY)
    from app.registrations.records import load_all_records, open_record

    connection = _connection(app)
    try:
        (record,) = list(load_all_records(connection, instance.event.id))
        ana_key = crypto.unlock_private_key(
            connection.execute("SELECT locked_private_key FROM staff WHERE username='ana'").fetchone()[0],
            team["ana"].passphrase,
        )
        ana_keys = keyring.keys_held_by(connection, team["ana"].staff_id, instance.event.id, ana_key)
    finally:
        connection.close()
    assert {g for _c, g in otto_keys_before} == {1}
    assert open_record(instance.event.id, record, otto_keys_before) == {}, "the old key opens nothing new"
    assert f"{CANARY}-needs" in open_record(instance.event.id, record, ana_keys)["needs"]["access_needs"]
