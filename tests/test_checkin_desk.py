"""The check-in desk: a pass admitted once, a second scan names the day and the desk; a refusal records nothing."""

from __future__ import annotations

import datetime
import re

import babel.dates
import pytest

from app.checkin import passes
from app.registrations import records, retention
from app.storage import db
from crypto import passes as pass_crypto
from tests.checkin_fixtures import (
    approved_with_passes,
    central_at_the_door,
    desk_app,
    said,
    scan,
    short_code,
    tag_of,
)
from tests.helpers import SetClock


def arrivals(instance) -> list[tuple]:
    with instance.connection() as connection:
        return connection.execute("SELECT pass_tag, desk, day FROM arrivals").fetchall()


@pytest.fixture
def central(demo_instance):
    return central_at_the_door(demo_instance.path)


def used(response) -> list[str]:
    """The desk's sentences about earlier uses, without markup."""
    page = response.get_data(as_text=True)
    return [re.sub(r"<[^>]+>", "", line) for line in re.findall(r'<p class="used">(.*?)</p>', page)]


def test_a_pass_is_admitted_once_and_a_second_scan_says_the_day_and_the_desk_never_the_time(central):
    [(pseudonym, code)] = approved_with_passes(central, 1).items()
    door = desk_app(central, "door-1").test_client()
    first = scan(door, code)
    assert first.status_code == 200 and said(first, "admitted") and said(first, "desk-pseudonym") == pseudonym
    again = scan(desk_app(central, "door-2").test_client(), code.lower().replace("-", " "))
    assert said(again, "admitted") is None and used(again) == ["Already used today at desk door-1."]
    next_day = SetClock(datetime.datetime(2027, 5, 5, 8, 0, tzinfo=datetime.UTC))
    later = scan(desk_app(central, "door-1", next_day).test_client(), code)
    assert used(later) == ["Already used on May 4, 2027 at desk door-1."]
    in_french = scan(desk_app(central, "door-1", next_day).test_client(), code, lang="fr")
    assert used(in_french) == ["Déjà utilisé le 4 mai 2027 au poste door-1."]
    assert arrivals(central) == [(tag_of(code), "door-1", "2027-05-04")]
    with central.connection() as connection:
        columns = {row[1] for row in connection.execute("PRAGMA table_info(arrivals)")}
    assert columns == {"pass_tag", "desk", "day"}, "an arrival keeps the day, never a time"


def test_a_short_code_is_admitted_once_and_its_second_use_is_named(central):
    [(pseudonym, code)] = approved_with_passes(central, 1).items()
    typed = short_code(code).lower().replace("-", " ").replace("1", "l").replace("0", "o")
    first = scan(desk_app(central, "door-1").test_client(), typed)
    assert first.status_code == 200 and said(first, "admitted") and said(first, "desk-pseudonym") == pseudonym
    assert used(scan(desk_app(central, "door-1").test_client(), code)) == ["Already used today at desk door-1."]
    assert arrivals(central) == [(tag_of(code), "door-1", "2027-05-04")]


def _swap_first_different_pair(code: str) -> str:
    """Two neighbours swapped: never two equal ones, whose swap would leave the code as it was."""
    i = next(i for i in range(len(code) - 1) if code[i] != code[i + 1] and "-" not in code[i : i + 2])
    return code[:i] + code[i + 1] + code[i] + code[i + 2 :]


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        (lambda code: code[:-2], "This is not a pass code: it has too few or too many characters"),
        (lambda code: code[:-1] + ("0" if code[-1] != "0" else "1"), "This is not a pass code: a character is"),
        (_swap_first_different_pair, "This is not a pass code: a character is"),
        (lambda code: code[:3] + "U" + code[4:], "This is not a pass code: it holds a character"),
    ],
    ids=["too short", "wrong check", "two swapped", "bad character"],
)
def test_a_mistyped_short_code_says_so_in_one_sentence_and_records_nothing(central, change, sentence):
    [code] = approved_with_passes(central, 1).values()
    typed = change(short_code(code))
    assert typed.replace("-", "") != short_code(code).replace("-", "")
    response = scan(desk_app(central, "door-1").test_client(), typed)
    assert response.status_code == 400
    assert said(response, "refused").startswith(sentence) and said(response, "refused").count(".") == 1
    assert arrivals(central) == []


def test_a_well_typed_short_code_of_no_pass_is_refused_and_records_nothing(central):
    approved_with_passes(central, 1)
    response = scan(desk_app(central, "door-1").test_client(), pass_crypto.short_code_of(bytes(10)))
    assert response.status_code == 400 and said(response, "refused").startswith("No pass of this event has this code")
    assert arrivals(central) == []


def test_the_short_code_of_a_reissued_pass_is_refused(central):
    [(pseudonym, code)] = approved_with_passes(central, 1).items()
    with central.connection() as connection:
        passes.reissue(connection, central.event, pseudonym, "ana")
    response = scan(desk_app(central, "door-1").test_client(), short_code(code))
    assert response.status_code == 400 and said(response, "refused").startswith("This pass was revoked")
    assert arrivals(central) == []


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
        pass_id=bytes(10),
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
    assert said(response, "refused") == "This pass is valid from May 4, 2027 to May 7, 2027, not today."
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
    ["", " ", "\x00" * 134, "A" * 401, "É" * 134, "<script>alert(1)</script>", "\u202e" + "0" * 134, "０" * 17],
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


def test_the_privacy_notice_says_a_pass_and_its_days_are_kept_without_a_name_until_the_purge_forgets_them(
    central, client
):
    forgotten_on = babel.dates.format_date(central.event.latest_destruction(), "medium", locale="en")
    notice = said(client.get("/"), "checkin-notice")
    assert notice is not None and f"kept, without your name, until {forgotten_on}," in notice
    assert "never the time" in notice and "even if you withdraw" in notice
