"""An outsider at the staff login page: knows the admin's username, holds no passphrase, and sends as many
logins as they like, over Tor, from the one address every Tor visitor shares.

They must not keep an account's owner out: wrong passphrases are never counted against the account,
whatever the spelling of its username. Only someone who holds the passphrase can pause an account's code
checks, by giving wrong codes. And their logins must not make the server run more Argon2id than it can
afford: when the gate is full, a login is answered "busy" at once, with no Argon2id run, nothing counted
and nothing logged.
"""

from __future__ import annotations

import threading

import pytest
from argon2 import _password_hasher as argon2_hasher

from app.audit import log as audit
from app.staff import login, login_limits
from app.storage import db
from app.web.application import create_app
from app.web.state import state_of
from crypto import passphrase
from tests.helpers import SetClock
from tests.staff_fixtures import csrf
from tests.staff_fixtures import login as log_in

ROOT_SPELLINGS = ("root", "ROOT", " root ", "Root", "rOOt  ")
BUSY = "Many people are logging in right now. Please try again in a moment."


@pytest.fixture
def clock() -> SetClock:
    return SetClock()


@pytest.fixture
def app(demo_instance, clock):
    return create_app({"INSTANCE_DIR": demo_instance.path, "TESTING": True, "CLOCK": clock})


def _flood(client, spellings=ROOT_SPELLINGS, rounds: int = 6) -> None:
    """Wrong passphrases for the admin's username, in every spelling, far past any per-account limit."""
    token = csrf(client, "/staff/login")
    for round_number in range(rounds):
        for spelling in spellings:
            response = client.post(
                "/staff/login",
                data={
                    "csrf_token": token,
                    "username": spelling,
                    "passphrase": f"guessed words {round_number}",
                    "code": "123456",
                },
            )
            assert response.status_code == 400, (spelling, response.status_code)
            assert "The username, passphrase or code is not right." in response.get_data(as_text=True)


def _actions(app) -> list[str]:
    connection = state_of(app).instance.connect()
    try:
        return [entry.action for entry in audit.entries(connection)]
    finally:
        connection.close()


def _wipe_form(client, person) -> dict[str, str]:
    return {
        "csrf_token": csrf(client, "/staff/wipe"),
        "event_id": "stockholm-forum-2027",
        "passphrase": person.passphrase,
    }


def test_an_outsider_flooding_wrong_passphrases_for_the_admin_cannot_keep_the_admin_out(
    demo_instance, app, team, clock
):
    outsider, admin = app.test_client(), app.test_client()
    _flood(outsider)  # 30 wrong passphrases for root within the same second, in five spellings

    assert log_in(admin, team["root"]).status_code == 303, "the admin logs in, right after the flood"
    assert admin.get("/staff/wipe").status_code == 200

    _flood(outsider)  # and while the admin is about to wipe
    form = _wipe_form(admin, team["root"])
    done = admin.post("/staff/wipe", data={**form, "code": team["root"].code(clock)})
    assert done.status_code == 200 and "Wiped" in done.get_data(as_text=True)
    assert not (demo_instance.path / db.DATABASE_FILE).exists()


def test_wrong_codes_after_the_right_passphrase_pause_code_checks_for_that_account_only(app, team, clock):
    """Someone who holds otto's passphrase guesses codes: five wrong ones, then no code is checked for an hour."""
    thief, owner, outsider = app.test_client(), app.test_client(), app.test_client()
    otto = team["otto"]
    for guess in ("000000", "111111", "222222", "333333", "444444"):
        assert log_in(thief, otto, code=guess).status_code == 400
    assert _actions(app).count("login-codes-paused") == 1, "the pause is logged for the admins to see"

    # The owner, with the right passphrase and a right code, is told to wait, and how long.
    paused = log_in(owner, otto)
    assert paused.status_code == 429
    assert "Too many wrong codes were given for this account. Wait 60 min," in paused.get_data(as_text=True)
    clock.advance(59 * 60)
    assert log_in(thief, otto, code="555555").status_code == 429, "no code is checked while the pause lasts"
    # Someone without the passphrase learns nothing of the pause: the same refusal as ever.
    outsider_page = log_in(outsider, otto, passphrase="guessed words")
    assert outsider_page.status_code == 400 and "Wait" not in outsider_page.get_data(as_text=True)
    # Other accounts are not paused.
    assert log_in(app.test_client(), team["ana"]).status_code == 303

    clock.advance(61)  # an hour after the first wrong code
    assert log_in(owner, otto).status_code == 303


def test_the_wipe_recheck_pauses_code_checks_as_the_login_does(demo_instance, app, team, clock):
    admin = app.test_client()
    assert log_in(admin, team["root"]).status_code == 303
    form = _wipe_form(admin, team["root"])
    for guess in ("000000", "111111", "222222", "333333", "444444"):
        assert admin.post("/staff/wipe", data={**form, "code": guess}).status_code == 400
    paused = admin.post("/staff/wipe", data={**form, "code": team["root"].code(clock)})
    assert paused.status_code == 429 and "Wait 60 min," in paused.get_data(as_text=True)
    assert (demo_instance.path / db.DATABASE_FILE).exists()


@pytest.fixture
def argon2_runs(monkeypatch) -> list[str]:
    """Every Argon2id run in this process, where argon2-cffi and crypto call it: login hashes (verifying one,
    making the dummy hash) and staff keys (unlocking one)."""
    runs: list[str] = []

    def counted(name, function):
        def run(*args, **kwargs):
            runs.append(name)
            return function(*args, **kwargs)

        return run

    monkeypatch.setattr(argon2_hasher, "verify_secret", counted("verify", argon2_hasher.verify_secret))
    monkeypatch.setattr(argon2_hasher, "hash_secret", counted("hash", argon2_hasher.hash_secret))
    monkeypatch.setattr(passphrase, "hash_secret_raw", counted("unlock", passphrase.hash_secret_raw))
    login._dummy_hash.cache_clear()  # so that making it would be counted too
    yield runs
    login._dummy_hash.cache_clear()


def test_with_the_argon2_gate_full_a_login_is_answered_busy_without_running_argon2(
    demo_instance, team, clock, argon2_runs
):
    # No one may wait for a turn here: the answer must come at once.
    app = create_app({"INSTANCE_DIR": demo_instance.path, "TESTING": True, "CLOCK": clock, "LOGIN_ARGON2_WAITING": 0})
    client, admin = app.test_client(), app.test_client()
    assert log_in(admin, team["root"]).status_code == 303
    assert argon2_runs == ["verify", "unlock"]
    wipe_form = _wipe_form(admin, team["root"])
    actions_before = _actions(app)
    ana_code = team["ana"].code(clock)
    gate = state_of(app).login_limits.argon2

    with gate.slot():  # every turn taken, as by logins running Argon2id in other threads
        argon2_runs.clear()
        answers = {
            "ana, right passphrase and code": log_in(client, team["ana"], code=ana_code),
            "an invented username": client.post(
                "/staff/login",
                data={
                    "csrf_token": csrf(client, "/staff/login"),
                    "username": "nobody-here",
                    "passphrase": "invented words",
                    "code": "123456",
                },
            ),
            "the wipe's re-check": admin.post("/staff/wipe", data={**wipe_form, "code": team["root"].code(clock)}),
        }
        assert argon2_runs == [], "no Argon2id ran while the gate was full"

    for what, response in answers.items():
        assert response.status_code == 503, what
        assert BUSY in response.get_data(as_text=True), what
        assert response.headers["Retry-After"] == "5", what
    assert _actions(app) == actions_before, "a busy answer is no failure: nothing logged"
    assert (demo_instance.path / db.DATABASE_FILE).exists()

    # Once a turn is free, the same code logs ana in: it was never checked, so never used up.
    assert log_in(client, team["ana"], code=ana_code).status_code == 303
    assert argon2_runs == ["verify", "unlock"]


def test_the_gate_lets_one_login_wait_for_its_turn_and_answers_the_next_busy_at_once():
    gate = login_limits.Argon2Gate(at_once=1, waiting=1, wait_seconds=120)
    holding, release, tick = threading.Event(), threading.Event(), threading.Event()
    outcomes: dict[str, str] = {}

    def hold() -> None:
        with gate.slot():
            holding.set()
            release.wait(120)

    def log_in_as(name: str) -> None:
        try:
            with gate.slot():
                outcomes[name] = "ran"
        except login_limits.LoginBusy:
            outcomes[name] = "busy"

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert holding.wait(60)
    waiter = threading.Thread(target=log_in_as, args=("waiter",), daemon=True)
    waiter.start()
    for _ in range(6000):  # until the waiter is queued: it cannot get a turn, the holder has it
        if gate.waiting == 1:
            break
        tick.wait(0.01)
    assert gate.waiting == 1

    # The one place in the queue is taken: the next login is answered busy without waiting its 120 seconds,
    # while the holder still holds its turn.
    third = threading.Thread(target=log_in_as, args=("third",), daemon=True)
    third.start()
    third.join(60)
    assert not third.is_alive() and outcomes == {"third": "busy"}

    release.set()
    for thread in (holder, waiter):
        thread.join(60)
    assert outcomes == {"third": "busy", "waiter": "ran"}, "the login that waited got its turn"
    assert gate.waiting == 0
    with gate.slot():  # and the gate is free again
        pass
