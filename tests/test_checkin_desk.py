"""The check-in desk: a genuine pass admitted once, a second scan says when and where, every refusal records nothing."""

from __future__ import annotations

import datetime

import pytest

from app.checkin import passes
from app.registrations import records, retention
from app.storage import db
from crypto import passes as pass_crypto
from tests.checkin_fixtures import approved_with_passes, central_at_the_door, desk_app, said, scan
from tests.helpers import SetClock


def arrivals(instance) -> list[tuple]:
    with instance.connection() as connection:
        return connection.execute("SELECT pass_id, desk, day, hour FROM arrivals").fetchall()


@pytest.fixture
def central(demo_instance):
    return central_at_the_door(demo_instance.path)


def test_a_pass_is_admitted_once_and_a_second_scan_says_when_and_at_which_desk(central):
    [(pseudonym, code)] = approved_with_passes(central, 1).items()
    door = desk_app(central, "door-1").test_client()
    first = scan(door, code)
    assert first.status_code == 200 and said(first, "admitted") and said(first, "desk-pseudonym") == pseudonym
    again = scan(desk_app(central, "door-2").test_client(), code.lower().replace("-", " "))
    assert said(again, "admitted") is None
    assert said(again, "already") == "Already used on 2027-05-04 around 09:00 UTC at desk door-1."
    assert arrivals(central) == [(pass_crypto.read_code(code)[5:13], "door-1", "2027-05-04", 9)]


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        (lambda code: code[:-3], "This is not a pass code"),
        (lambda code: code[:-1] + ("0" if code[-1] != "0" else "1"), "This is not a pass code"),
        (lambda code: code[:10] + "!" + code[11:], "This is not a pass code"),
    ],
    ids=["too short", "wrong check", "bad character"],
)
def test_a_mistyped_code_says_so_in_one_sentence_and_records_nothing(central, change, sentence):
    [code] = approved_with_passes(central, 1).values()
    response = scan(desk_app(central, "door-1").test_client(), change(code))
    assert response.status_code == 400
    assert said(response, "refused").startswith(sentence) and said(response, "refused").count(".") == 1
    assert arrivals(central) == []


def _made_with(secret: bytes, event_id: str) -> str:
    raw = pass_crypto.make_pass(
        pass_crypto.pass_signing_key(secret),
        event_id=event_id,
        pass_id=bytes(8),
        first_day=datetime.date(2027, 5, 4),
        last_day=datetime.date(2027, 5, 7),
    )
    return pass_crypto.code_of(raw)


def test_a_forged_pass_is_refused_as_not_genuine_and_records_nothing(central):
    approved_with_passes(central, 1)
    response = scan(desk_app(central, "door-1").test_client(), _made_with(bytes(32), central.event.id))
    assert response.status_code == 400 and said(response, "refused").startswith("This pass is not genuine")
    assert arrivals(central) == []


def test_a_pass_with_one_byte_changed_is_refused_as_not_genuine(central):
    [code] = approved_with_passes(central, 1).values()
    raw = bytearray(pass_crypto.read_code(code))
    raw[10] ^= 1  # in the pass id: a re-encoded code with a right check, but not what the key signed
    response = scan(desk_app(central, "door-1").test_client(), pass_crypto.code_of(bytes(raw)))
    assert said(response, "refused").startswith("This pass is not genuine") and arrivals(central) == []


def test_a_pass_of_another_event_is_refused_by_the_name_of_the_event(central):
    response = scan(desk_app(central, "door-1").test_client(), _made_with(bytes(32), "another-event"))
    assert said(response, "refused") == f"This pass is for another event, not {central.event.name('en')}."
    assert arrivals(central) == []


def test_a_reissued_pass_is_refused_at_a_desk_on_central_at_once(central):
    [(pseudonym, code)] = approved_with_passes(central, 1).items()
    with central.connection() as connection:
        passes.reissue(connection, central.event, pseudonym, "ana")
    response = scan(desk_app(central, "door-1").test_client(), code)
    assert response.status_code == 400 and said(response, "refused").startswith("This pass was revoked")
    assert arrivals(central) == []


def test_a_pass_is_refused_outside_the_days_it_is_valid(central):
    [code] = approved_with_passes(central, 1).values()
    early = SetClock(datetime.datetime(2027, 5, 3, 23, 0, tzinfo=datetime.UTC))
    response = scan(desk_app(central, "door-1", early).test_client(), code)
    assert said(response, "refused") == "This pass is valid from 2027-05-04 to 2027-05-07, not today."
    assert arrivals(central) == []


def test_the_desk_page_exists_only_in_a_desk_server(app, client):
    assert client.get("/desk").status_code == 404


def test_the_pass_of_a_withdrawn_registration_is_refused(central):
    [(pseudonym, code)] = approved_with_passes(central, 1).items()
    with central.connection() as connection:
        registration_id = connection.execute(
            "SELECT id FROM registrations WHERE pseudonym = ?", (pseudonym,)
        ).fetchone()
        with db.transaction(connection):
            records.destroy(connection, registration_id[0])
    response = scan(desk_app(central, "door-1").test_client(), code)
    assert said(response, "refused").startswith("This pass was revoked") and arrivals(central) == []


@pytest.mark.parametrize(
    "typed",
    ["", " ", "\x00" * 130, "A" * 401, "É" * 130, "<script>alert(1)</script>", "\u202e" + "0" * 130, "０" * 130],
    ids=["empty", "space", "nul", "too long", "accented", "markup", "bidi override", "full-width digits"],
)
def test_hostile_input_at_the_desk_gets_a_sentence_and_records_nothing(central, typed):
    approved_with_passes(central, 1)
    door = desk_app(central, "door-1").test_client()
    response = scan(door, typed)
    assert response.status_code == 400 and "<script>" not in response.get_data(as_text=True)
    assert arrivals(central) == []


def test_a_desk_form_without_its_token_is_refused_and_records_nothing(central):
    [code] = approved_with_passes(central, 1).values()
    door = desk_app(central, "door-1").test_client()
    assert door.post("/desk", data={"code": code}).status_code == 400
    assert arrivals(central) == []


def test_passes_and_arrivals_go_with_the_last_values_of_the_event(central):
    [code] = approved_with_passes(central, 1).values()
    assert said(scan(desk_app(central, "door-1").test_client(), code), "admitted")
    last = central.event.latest_destruction()
    with central.connection() as connection:
        kept = retention.purge(connection, central.event, last - datetime.timedelta(days=1))
        assert kept.checkin_forgotten == 0 and arrivals(central)
        gone = retention.purge(connection, central.event, last)
        assert gone.checkin_forgotten == 2
        assert connection.execute("SELECT count(*) FROM passes").fetchone()[0] == 0
    assert arrivals(central) == []
