"""The review queue: one reason opens the next rows of a filter in one table, logged as one entry naming each;
decisions are saved row by row in one submit, refused rows named; what was opened stays open until closed.
The single record page keeps its answers after a decision too."""

from __future__ import annotations

import json
import re

import pytest

from app.audit import log as audit
from app.events.definition import demo_event_source
from app.instance.setup import create_instance
from app.registrations import lifecycle
from app.registrations.lifecycle import decide
from app.web.application import create_app
from app.web.state import state_of
from tests.helpers import hidden_fields, page_text, valid_answers
from tests.retention_helpers import register_one
from tests.security import canaries
from tests.staff_fixtures import ROSTER, csrf, login, make_team, open_page

REASON = "reviewing this week's registrations"


def _connection(app):
    return state_of(app).instance.connect()


def _register(app, numbers) -> dict[str, int]:
    """Register with a canary in each free-text field; the participant number of each pseudonym."""
    connection = _connection(app)
    try:
        found = {}
        for number in numbers:
            registration_id = register_one(connection, state_of(app).instance, **_canary_fields(number))
            found[_pseudonym(connection, registration_id)] = number
        return found
    finally:
        connection.close()


def _canary_fields(number: int) -> dict[str, str]:
    answers = canaries.canary_answers(number)
    return {key: answers[key] for key in canaries.FIELD_TAGS}


def _pseudonym(connection, registration_id: str) -> str:
    return connection.execute("SELECT pseudonym FROM registrations WHERE id = ?", (registration_id,)).fetchone()[0]


def _ids(app) -> dict[str, str]:
    connection = _connection(app)
    try:
        return dict(connection.execute("SELECT pseudonym, id FROM registrations"))
    finally:
        connection.close()


def _log(app) -> list[audit.Entry]:
    connection = _connection(app)
    try:
        return audit.entries(connection)
    finally:
        connection.close()


def _status(app, registration_id: str) -> str:
    connection = _connection(app)
    try:
        return connection.execute("SELECT status FROM registrations WHERE id = ?", (registration_id,)).fetchone()[0]
    finally:
        connection.close()


def _open(client, reason: str = REASON, **filters: str):
    token = csrf(client, "/staff/review")
    return client.post("/staff/review/open", data={"csrf_token": token, "reason": reason, "size": "20", **filters})


def _rows(html: str) -> list[str]:
    """The pseudonyms of the table's rows, in order."""
    return re.findall(r'<th scope="row"><a href="/staff/registrations/[0-9a-f]+">([^<]+)</a>', html)


def _decide(client, page: str, decisions: dict[str, str], then: str = "save"):
    """Send the table's form with these decisions (by registration id); every other row left unchanged."""
    fields = {
        re.search(r'name="([^"]+)"', tag)[1]: re.search(r'value="([^"]*)"', tag)[1]
        for tag in re.findall(r'<input[^>]*type="hidden"[^>]*>', page.split('action="/staff/review"')[1])
    }
    data = {name: value for name, value in fields.items() if name in ("csrf_token", "batch") or name.startswith("s-")}
    data |= {f"d-{registration_id}": decision for registration_id, decision in decisions.items()}
    return client.post("/staff/review", data={**data, "then": then})


@pytest.fixture
def queue_app(tmp_path):
    """An event of 3 places, so that capacity is met inside one table."""
    path = tmp_path / "three"
    words = create_instance(path, demo_event_source().replace("capacity = 220", "capacity = 3"))
    app = create_app({"INSTANCE_DIR": path, "TESTING": True})
    return app, make_team(path, words, ROSTER)


def test_one_entry_names_every_pseudonym_opened_with_the_compartments_and_reason(app, client, team):
    numbers = _register(app, range(25))
    login(client, team["ana"])
    before = len(_log(app))
    assert _open(client, status="submitted").status_code == 303
    page = page_text(client.get("/staff/review"))
    (entry,) = _log(app)[before:]
    detail = json.loads(entry.detail)
    first_twenty = sorted(numbers)[:20]
    assert (entry.actor, entry.action, entry.reason) == ("ana", "open queue", REASON)
    assert detail == {"compartments": ["contact", "identity", "needs"], "pseudonyms": first_twenty}
    assert _rows(page) == first_twenty
    shown = canaries.found_in(page)
    assert {number for number, _tag in shown} == {numbers[pseudonym] for pseudonym in first_twenty}
    # Ana holds identity, contact and needs: the safety compartment's values are never opened for her.
    assert {tag for _number, tag in shown} == {"NAME", "ORGA", "CONT", "NEED"}
    assert len(_log(app)) == before + 1, "showing the open table again is the same opening: no new entry"


def test_answers_left_open_are_those_the_opening_named_and_closing_ends_them(app, client, team):
    numbers = _register(app, range(4))
    login(client, team["ana"])
    assert _open(client, reason=REASON).status_code == 303
    for _ in range(2):
        page = page_text(client.get("/staff/review"))
        shown = {number for number, _tag in canaries.found_in(page)}
        named = {
            pseudonym
            for entry in _log(app)
            if entry.actor == "ana" and entry.reason == REASON and entry.action == "open queue"
            for pseudonym in json.loads(entry.detail)["pseudonyms"]
        }
        assert shown == {numbers[pseudonym] for pseudonym in named} == set(range(4))
    token = hidden_fields(page)["csrf_token"]
    assert client.post("/staff/review/close", data={"csrf_token": token}).status_code == 303
    closed = page_text(client.get("/staff/review"))
    assert not canaries.found_in(closed) and 'name="reason"' in closed
    _open(client)
    client.post("/staff/logout", data={"csrf_token": csrf(client)})
    login(client, team["ana"])
    assert not canaries.found_in(page_text(client.get("/staff/review"))), "a new session has nothing open"


def test_decisions_are_saved_together_and_the_table_stays_open(app, client, team):
    _register(app, range(5))
    ids = _ids(app)
    login(client, team["ana"])
    _open(client, status="submitted")
    page = page_text(client.get("/staff/review"))
    first, second, third = (ids[pseudonym] for pseudonym in _rows(page)[:3])
    before = len(_log(app))
    response = _decide(client, page, {first: "approved", second: "waitlisted", third: "rejected"})
    after = page_text(response)
    assert response.status_code == 200 and "3 decisions saved." in after
    assert [_status(app, i) for i in (first, second, third)] == ["approved", "waitlisted", "rejected"]
    assert [(e.action, json.loads(e.detail)["to"]) for e in _log(app)[before:]] == [
        ("status", "approved"), ("status", "waitlisted"), ("status", "rejected"),
    ]  # fmt: skip
    assert len(_rows(after)) == 5 and len(canaries.found_in(after)) == 5 * 4, "the answers stay open"


def test_rows_refused_are_named_and_the_others_saved(queue_app):
    app, team = queue_app
    client = app.test_client()
    _register(app, range(6))
    ids = _ids(app)
    login(client, team["ana"])
    _open(client, status="submitted")
    page = page_text(client.get("/staff/review"))
    rows = _rows(page)
    connection = _connection(app)
    try:
        # Since the table was shown: one row is decided by someone else, one is withdrawn by its participant,
        # and one place of three is taken.
        decide(connection, state_of(app).instance.event.id, ids[rows[0]], "rejected", "otto")
        lifecycle.withdraw(connection, lifecycle.find_by_id(connection, ids[rows[1]]))
        decide(connection, state_of(app).instance.event.id, ids[rows[5]], "approved", "otto")
    finally:
        connection.close()
    response = _decide(client, page, {ids[pseudonym]: "approved" for pseudonym in rows[:5]})
    text = page_text(response)
    assert f"{rows[0]} was decided by someone else since it was shown (it is rejected now)" in text
    assert f"{rows[1]} was withdrawn or destroyed since it was shown." in text
    assert f"{rows[4]} was not approved: all 3 places are taken." in text
    assert "2 decisions saved." in text
    assert [_status(app, ids[p]) for p in (rows[0], rows[2], rows[3], rows[4])] == [
        "rejected", "approved", "approved", "submitted",
    ]  # fmt: skip


def test_moving_on_opens_the_next_rows_and_a_page_sent_twice_changes_nothing(app, client, team):
    numbers = _register(app, range(45))
    ids = _ids(app)
    login(client, team["ana"])
    _open(client, status="submitted")
    page = page_text(client.get("/staff/review"))
    first_table = _rows(page)
    before = len(_log(app))
    moved = _decide(client, page, {ids[first_table[0]]: "approved"}, then="next")
    second_table = _rows(page_text(moved))
    assert second_table == sorted(numbers)[20:40], "the next rows of the filter, none shown twice"
    assert [e.action for e in _log(app)[before:]] == ["status", "open queue"]
    assert json.loads(_log(app)[-1].detail)["pseudonyms"] == second_table
    # The first table's form, sent again (a reload): nothing saved, nothing skipped.
    again = _decide(client, page, {ids[first_table[1]]: "rejected"}, then="next")
    assert again.status_code == 409 and "Nothing was saved" in page_text(again)
    assert _rows(page_text(again)) == second_table and _status(app, ids[first_table[1]]) == "submitted"
    assert len(_log(app)) == before + 2


def test_a_reader_who_holds_no_compartment_is_told_so_and_nothing_is_logged(app, client, team):
    _register(app, range(2))
    login(client, team["root"])
    before = len(_log(app))
    page = page_text(client.get("/staff/review"))
    assert "You hold no compartment, so a queue would show no answer" in page and 'name="reason"' not in page
    response = client.post(
        "/staff/review/open", data={"csrf_token": hidden_fields(page)["csrf_token"], "reason": REASON, "size": "20"}
    )
    assert response.status_code == 403 and "You hold no compartment" in page_text(response)
    assert len(_log(app)) == before


def test_a_reader_who_may_not_decide_reads_but_cannot_decide(app, client, team):
    _register(app, range(2))
    ids = _ids(app)
    login(client, team["otto"])  # holds needs; decisions need identity
    _open(client)
    page = page_text(client.get("/staff/review"))
    assert _rows(page) and 'name="d-' not in page and "Open the next" in page
    token, some_id = hidden_fields(page)["csrf_token"], next(iter(ids.values()))
    response = client.post("/staff/review", data={"csrf_token": token, f"d-{some_id}": "approved"})
    assert response.status_code == 403
    assert {_status(app, i) for i in ids.values()} == {"submitted"}


@pytest.mark.parametrize(
    ("filters", "sentence"),
    [
        ({"status": "pending"}, "There is no such status"),
        ({"kit": "nowhere"}, "There is no such field kit"),
        ({"sort": "name"}, "The list is sorted by pseudonym, day or status"),
    ],
)
def test_an_unknown_filter_is_refused_with_a_sentence_and_opens_nothing(app, client, team, filters, sentence):
    _register(app, range(2))
    login(client, team["ana"])
    before = len(_log(app))
    query = "&".join(f"{name}={value}" for name, value in filters.items())
    shown = client.get(f"/staff/review?{query}")
    assert shown.status_code == 400 and sentence in page_text(shown)
    opened = _open(client, **filters)
    assert opened.status_code == 400 and sentence in page_text(opened)
    assert len(_log(app)) == before


def test_a_decision_that_is_not_one_saves_nothing(app, client, team):
    _register(app, range(3))
    ids = _ids(app)
    login(client, team["ana"])
    _open(client)
    page = page_text(client.get("/staff/review"))
    first, second = (ids[p] for p in _rows(page)[:2])
    response = _decide(client, page, {first: "approved", second: "maybe"})
    assert response.status_code == 400 and _status(app, first) == "submitted"


def test_the_record_page_keeps_its_answers_after_a_decision_until_closed(app, client, team):
    _register(app, range(2))
    first, second = sorted(_ids(app).values())
    login(client, team["ana"])
    assert canaries.found_in(page_text(open_page(client, first, REASON)))
    before = len(_log(app))
    token = csrf(client, f"/staff/registrations/{first}")
    decided = client.post(f"/staff/registrations/{first}/decision", data={"csrf_token": token, "decision": "approved"})
    assert decided.status_code == 303
    after = page_text(client.get(decided.headers["Location"]))
    assert canaries.found_in(after) and "approved" in after
    assert [e.action for e in _log(app)[before:]] == ["status"], "no new opening to show it again"
    # Opening another record closes the first; closing leaves nothing shown.
    open_page(client, second, REASON)
    assert not canaries.found_in(page_text(client.get(f"/staff/registrations/{first}")))
    token = csrf(client, f"/staff/registrations/{second}")
    assert client.post(f"/staff/registrations/{second}/close", data={"csrf_token": token}).status_code == 303
    assert not canaries.found_in(page_text(client.get(f"/staff/registrations/{second}")))


def test_a_record_from_the_form_counts_too(app, client, team):
    """The queue shows what the participant typed, through the web form as well as the service."""
    tokens = hidden_fields(page_text(client.get("/register")))
    assert client.post("/register", data={**tokens, **valid_answers(full_name="Queue Reader")}).status_code == 200
    login(client, team["ana"])
    _open(client)
    assert "Queue Reader" in page_text(client.get("/staff/review"))
