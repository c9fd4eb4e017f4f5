"""Messages between the organisers and a participant, with no email: sent by a holder of messages_by, read and
answered on /status with the codename, answers read by holders after a stated reason, logged without any text."""

from __future__ import annotations

import re

import pytest

from app.web.state import state_of
from tests.helpers import PAGE_BUDGET_BYTES, hidden_fields, ids_by_pseudonym, page_text
from tests.staff_fixtures import csrf, login, open_page
from tests.test_status_and_withdrawal import _register, _status, _withdraw

TEXT = "QZX7MSG93 we need the date your passport expires"
ANSWER = "QZX7ANS93 it expires in March 2031"


def _send(staff, registration_id, text="", canned="", lang="en", token=None):
    page = f"/staff/registrations/{registration_id}"
    return staff.post(
        f"{page}/message?lang={lang}",
        data={"message-csrf_token": token or csrf(staff, page), "message-text": text, "message-canned": canned},
    )


def _answer(client, status_html, text=ANSWER):
    tokens = dict(
        re.findall(
            r'name="(csrf_token|record)"[^>]*value="([^"]*)"', status_html.split('id="answer"')[1].split("</form>")[0]
        )
    )
    return client.post("/status/answer", data={**tokens, "text": text})


def _rows(app, query, parameters=()):
    connection = state_of(app).instance.connect()
    try:
        return connection.execute(query, parameters).fetchall()
    finally:
        connection.close()


@pytest.fixture
def registered(app, client, team):
    pseudonym, codename = _register(client)
    staff = app.test_client()
    assert login(staff, team["ana"]).status_code == 303
    return ids_by_pseudonym(app)[pseudonym], pseudonym, codename, staff


def test_messages_reach_the_participant_newest_first_and_are_new_once(app, client, registered):
    registration_id, _pseudonym, codename, staff = registered
    assert _send(staff, registration_id, text=TEXT).status_code == 303
    assert _send(staff, registration_id, canned="flight_booked").status_code == 303
    html = page_text(_status(client, codename))
    assert html.index("Your flight is booked") < html.index(TEXT), "newest first"
    assert html.count('class="new"') == 2 and "From the organisers" in html
    again = page_text(_status(client, codename))
    assert TEXT in again and 'class="new"' not in again, "seen at the last look-up: no longer new"
    assert _send(staff, registration_id, canned="passport_expiry").status_code == 303
    tokens = hidden_fields(client.get("/status?lang=es").get_data(as_text=True))
    spanish = page_text(client.post("/status?lang=es", data={**tokens, "codename": codename}))
    assert "Necesitamos la fecha de vencimiento" in spanish, "a canned message in the language of the page"
    assert spanish.count('class="new"') == 1


def test_the_status_page_with_three_messages_and_the_answer_box_stays_within_budget(app, client, registered):
    registration_id, _pseudonym, codename, staff = registered
    for canned in ("passport_expiry", "flight_booked", "could_not_reach"):
        _send(staff, registration_id, canned=canned)
    for lang in ("en", "ru", "ar", "fa"):
        tokens = hidden_fields(client.get(f"/status?lang={lang}").get_data(as_text=True))
        html = page_text(client.post(f"/status?lang={lang}", data={**tokens, "codename": codename}))
        assert html.count('class="message"') == 3 and 'id="answer"' in html and "<script" not in html
        assert len(html.encode()) <= PAGE_BUDGET_BYTES, (lang, len(html.encode()))


def test_an_answer_is_read_by_a_holder_only_after_a_reason_and_the_log_keeps_no_text(app, client, registered):
    registration_id, pseudonym, codename, staff = registered
    _send(staff, registration_id, text=TEXT)
    answered = _answer(client, page_text(_status(client, codename)))
    assert answered.status_code == 200 and "only the organisers can read it" in page_text(answered)
    before = page_text(staff.get(f"/staff/registrations/{registration_id}"))
    assert ANSWER not in before and TEXT not in before and "Open the record with a reason" in before
    opened = page_text(open_page(staff, registration_id, "answering the passport question"))
    assert ANSWER in opened and TEXT in opened and "Answer from the participant" in opened
    log = _rows(app, "SELECT actor, action, subject, detail, reason FROM audit_log")
    assert ("ana", "message", pseudonym) in [row[:3] for row in log]
    assert ("participant", "answer", pseudonym) in [row[:3] for row in log]
    assert any(row[1] == "open" and row[4] == "answering the passport question" for row in log)
    assert not any("QZX7" in str(value) for row in log for value in row), "no message text in the log"


def test_an_answer_token_is_good_once_and_for_one_record(app, client, registered):
    registration_id, _pseudonym, codename, staff = registered
    _send(staff, registration_id, text=TEXT)
    html = page_text(_status(client, codename))
    assert _answer(client, html).status_code == 200
    replayed = _answer(client, html)
    assert replayed.status_code == 400 and "expired" in page_text(replayed)
    assert len(_rows(app, "SELECT 1 FROM messages WHERE from_participant = 1")) == 1


@pytest.mark.parametrize("person", ["otto", "root"])
def test_without_messages_by_nobody_reads_or_sends_an_admin_neither(app, client, registered, team, person):
    registration_id, _pseudonym, codename, staff = registered
    _send(staff, registration_id, text=TEXT)
    _answer(client, page_text(_status(client, codename)))
    other = app.test_client()
    login(other, team[person])
    opened = page_text(open_page(other, registration_id, "looking at the messages"))
    assert TEXT not in opened and ANSWER not in opened and "/message" not in opened
    page = f"/staff/registrations/{registration_id}"
    sent = other.post(f"{page}/message", data={"message-csrf_token": csrf(other, page), "message-text": "hello"})
    assert sent.status_code == 403
    assert len(_rows(app, "SELECT 1 FROM messages")) == 2


@pytest.mark.parametrize(
    ("text", "canned", "sentence"),
    [
        ("", "", "Please write a message, or choose one of the event"),
        ("   ", "", "Please write a message, or choose one of the event"),
        ("x" * 2001, "", "at most 2000 characters"),
        ("hello", "flight_booked", "not both"),
        ("", "no_such_message", "The event has no message of that name."),
        ("bell \x07", "", "characters that could not be read"),
    ],
)
def test_a_bad_message_gets_a_sentence_and_stores_nothing(app, registered, text, canned, sentence):
    registration_id, _pseudonym, _codename, staff = registered
    response = _send(staff, registration_id, text=text, canned=canned)
    assert response.status_code == 400 and sentence in page_text(response)
    assert _rows(app, "SELECT 1 FROM messages") == []
    assert not any(row[0] == "message" for row in _rows(app, "SELECT action FROM audit_log"))


def test_a_bad_answer_gets_a_sentence_and_stores_nothing(app, client, registered):
    registration_id, _pseudonym, codename, staff = registered
    _send(staff, registration_id, text=TEXT)
    for text, sentence in (("", "Please write your answer first."), ("y" * 2001, "at most 2000 characters")):
        response = _answer(client, page_text(_status(client, codename)), text)
        assert response.status_code == 400 and sentence in page_text(response)
    assert len(_rows(app, "SELECT 1 FROM messages")) == 1


def test_a_message_to_a_withdrawn_registration_gets_a_sentence_and_withdrawal_destroys_the_messages(
    app, client, registered
):
    registration_id, _pseudonym, codename, staff = registered
    _send(staff, registration_id, text=TEXT)
    _answer(client, page_text(_status(client, codename)))
    token = csrf(staff, f"/staff/registrations/{registration_id}")  # the page as it was shown before
    assert _withdraw(client, codename).status_code == 200
    assert _rows(app, "SELECT 1 FROM messages") == []
    response = _send(staff, registration_id, text=TEXT, token=token)
    assert response.status_code == 400 and "withdrawn or destroyed" in page_text(response)
    assert _rows(app, "SELECT 1 FROM messages") == []


def test_a_registration_made_before_messages_says_so_to_staff(app, registered):
    registration_id, _pseudonym, _codename, staff = registered
    connection = state_of(app).instance.connect()
    try:
        connection.execute("UPDATE registrations SET message_public_key = NULL, message_salt = NULL")
    finally:
        connection.close()
    page = page_text(staff.get(f"/staff/registrations/{registration_id}"))
    assert "This registration predates messages" in page
    response = _send(staff, registration_id, text=TEXT)
    assert response.status_code == 409 and "predates messages" in page_text(response)
    assert _rows(app, "SELECT 1 FROM messages") == []


def test_a_wrong_codename_never_reveals_whether_messages_exist(app, client, registered):
    registration_id, _pseudonym, codename, staff = registered
    wrong = codename.rsplit(" ", 1)[0] + (" stock" if not codename.endswith("stock") else " rose")

    def looked_up():
        html = page_text(_status(client, wrong))
        return re.sub(r'value="[^"]*"', "", html)

    without = looked_up()
    _send(staff, registration_id, text=TEXT)
    assert looked_up() == without
    assert "Messages" not in without and TEXT not in without


def test_a_message_keeps_its_lines_and_is_never_markup(app, client, registered):
    registration_id, _pseudonym, codename, staff = registered
    _send(staff, registration_id, text="first line\r\n<b>QZX7</b> second")
    html = page_text(_status(client, codename))
    assert "first line<br>&lt;b&gt;QZX7&lt;/b&gt; second" in html and "<b>QZX7" not in html


def test_the_privacy_notice_states_who_reads_messages_and_the_day_they_go(client):
    html = page_text(client.get("/"))
    notice = html.split('id="messages-notice"')[1].split("</p>")[0]
    assert "the registration team" in notice and "Jun 7, 2027" in notice, notice
