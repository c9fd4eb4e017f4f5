"""The whole participant and staff flows in a real Chromium with JavaScript off, in English and in Arabic."""

from __future__ import annotations

import re

from tests.browser.conftest import DESKTOP, PHONE, Visit
from tests.helpers import valid_answers
from tests.staff_fixtures import Person

FOLLOW_UP = {
    "passport_name": "Ana Example",
    "passport_number": "X1234567",
    "passport_expiry": "2031-02-03",
    "arrival_date": "2027-05-03",
    "travel_from": "Examplegrad",
}
CHOICES = ("track", "diet", "photo_consent")
MESSAGE = "Please tell us the day your passport expires."
ANSWER = "It expires on 3 February 2031."


def _fill_registration(page, answers: dict[str, str]) -> None:
    for name, value in answers.items():
        if name in CHOICES:
            page.check(f'input[name="{name}"][value="{value}"]')
        elif name == "consent":
            page.check('input[name="consent"]')
        else:
            page.fill(f'[name="{name}"]', value)


def _codename_form(page, action: str):
    return page.locator(f'form[action^="{action}"]')


def register(visit: Visit, lang: str) -> tuple[str, str]:
    page = visit.page
    page.goto(f"{visit.origin}/?lang={lang}")
    visit.step("start page")
    page.click('main a[href^="/register"]')
    visit.step("registration form")
    # Spaces pass the browser's own `required` check; the server must say what is wrong.
    _fill_registration(page, valid_answers(full_name="   "))
    page.click('button[type="submit"]')
    visit.step("registration with an error")
    assert page.locator('[role="alert"] a[href="#full_name"]').count() == 1, "the summary links to the field"
    assert page.input_value('[name="country"]') == "Examplestan", "what was typed is kept"
    page.fill('[name="full_name"]', "Ana Example")
    page.check('input[name="consent"]')
    page.click('button[type="submit"]')
    visit.step("receipt")
    pseudonym = page.inner_text("#pseudonym").strip()
    codename = page.inner_text("#codename").strip()
    assert re.fullmatch(r"\S+ \S+ \d+", pseudonym), pseudonym
    assert len(codename.split()) >= 8, "a codename of at least eight words"
    return pseudonym, codename


def look_up(visit: Visit, codename: str, name: str) -> None:
    """On the status form: type the codename and send it."""
    form = _codename_form(visit.page, "/status?")
    form.locator('[name="codename"]').fill(codename)
    form.locator('button[type="submit"]').click()
    visit.step(name)


def staff_approves(visit: Visit, person: Person, pseudonym: str) -> None:
    page = visit.page
    page.goto(f"{visit.origin}/staff/")
    visit.step("staff sent to login", requests=2)
    page.fill('[name="username"]', person.username)
    page.fill('[name="passphrase"]', person.passphrase)
    page.fill('[name="code"]', person.code())
    page.click('button[type="submit"]')
    visit.step("staff registrations", requests=2)  # the POST, then the list it redirects to
    page.click(f'a:text-is("{pseudonym}")')
    visit.step("staff registration closed")
    page.fill('[name="reason"]', "checking the invitation list")
    page.click('form[action$="/open"] button[type="submit"]')
    visit.step("staff registration opened")
    assert "Ana Example" in page.inner_text("main"), "the holder of identity reads the name"
    page.check('input[name="decision"][value="approved"]')
    page.click('form[action$="/decision"] button[type="submit"]')
    visit.step("staff decision saved", requests=2)  # the POST, then the page it redirects to


def staff_sends_messages(visit: Visit) -> None:
    """On the registration page, still open: a message of their own, then one of the event's."""
    page = visit.page
    form = page.locator('form[action$="/message"]')
    form.locator('[name="message-text"]').fill(MESSAGE)
    form.locator('button[type="submit"]').click()
    visit.step("staff message sent", requests=2)  # the POST, then the page it redirects to
    assert page.locator("#notice").count() == 1 and MESSAGE in page.inner_text("main")
    form = page.locator('form[action$="/message"]')
    form.locator('[name="message-canned"]').select_option("flight_booked")
    form.locator('button[type="submit"]').click()
    visit.step("staff canned message sent", requests=2)


def read_and_answer(visit: Visit) -> None:
    page = visit.page
    assert MESSAGE in page.inner_text("main") and page.locator(".new").count() == 2, "both messages, new"
    form = page.locator('form[action^="/status/answer"]')
    form.locator('[name="text"]').fill(ANSWER)
    form.locator('button[type="submit"]').click()
    visit.step("answer sent")
    assert page.locator("#notice").count() == 1 and ANSWER not in page.inner_text("main")


def staff_reads_the_answer(visit: Visit) -> None:
    """The record was left open: closed, the answer is hidden; opened again with a reason, it is read."""
    page = visit.page
    page.reload()
    visit.step("staff registration with an answer")
    page.click("#close-record")
    visit.step("staff registration closed again", requests=2)
    assert ANSWER not in page.inner_text("main")
    page.fill('[name="reason"]', "answering the participant")
    page.click('form[action$="/open"] button[type="submit"]')
    visit.step("staff reads the answer")
    assert ANSWER in page.inner_text("main") and MESSAGE in page.inner_text("main")


def send_follow_up(visit: Visit) -> None:
    page = visit.page
    form = page.locator('form[action^="/status/follow-up"]')
    for name, value in FOLLOW_UP.items():
        form.locator(f'[name="{name}"]').fill(value)
    form.locator('button[type="submit"]').click()
    visit.step("follow-up sent")
    assert page.locator("#notice").count() == 1


def withdraw(visit: Visit, codename: str) -> None:
    page = visit.page
    form = _codename_form(page, "/status/withdraw")
    form.locator('[name="codename"]').fill(codename)
    form.locator('input[name="confirm"]').check()
    form.locator('button[type="submit"]').click()
    visit.step("withdrawn")
    assert page.locator("#withdrawn").count() == 1


def walk_everything(participant: Visit, staff: Visit, person: Person, lang: str) -> None:
    pseudonym, codename = register(participant, lang)
    participant.page.click('main a[href^="/status"]')
    participant.step("status form")
    look_up(participant, codename, "status, not decided yet")
    assert participant.page.inner_text("#status"), "the status is shown"
    assert _codename_form(participant.page, "/status/follow-up").count() == 0, "no follow-up before approval"

    staff_approves(staff, person, pseudonym)
    staff_sends_messages(staff)

    participant.page.goto(f"{participant.origin}/status?lang={lang}")
    participant.step("status form again")
    look_up(participant, codename, "status, accepted, with messages")
    read_and_answer(participant)
    staff_reads_the_answer(staff)
    send_follow_up(participant)
    withdraw(participant, codename)
    participant.page.goto(f"{participant.origin}/status?lang={lang}")
    participant.step("status form after withdrawal")
    look_up(participant, codename, "codename no longer found")
    assert participant.page.locator('[role="alert"]').count() == 1


def _direction_of_every_page(visits: list[Visit], lang: str, direction: str) -> list[str]:
    return [
        f"{visit.folder.name}/{name}: lang={seen_lang} dir={seen_dir}"
        for visit in visits
        for name, seen_lang, seen_dir in visit.seen
        if (seen_lang, seen_dir) != (lang, direction)
    ]


def test_english_flows_with_javascript_off(live_server, team, open_visit):
    participant = open_visit(live_server.url, "en-participant", locale="en-GB", viewport=DESKTOP)
    staff = open_visit(live_server.url, "en-staff", locale="en-GB", viewport=DESKTOP)
    walk_everything(participant, staff, team["ana"], "en")
    assert not _direction_of_every_page([participant, staff], "en", "ltr")


def test_arabic_flows_with_javascript_off_on_a_phone_in_dark_mode(live_server, team, open_visit):
    # ?lang=ar on the participant's links, Accept-Language: ar for the staff member.
    participant = open_visit(live_server.url, "ar-participant", locale="ar", viewport=PHONE, color_scheme="dark")
    staff = open_visit(live_server.url, "ar-staff", locale="ar", viewport=PHONE, color_scheme="dark")
    walk_everything(participant, staff, team["ana"], "ar")
    # The staff member's browser asks for Arabic: the login page follows it, and the session keeps it.
    wrong = _direction_of_every_page([participant, staff], "ar", "rtl")
    assert not wrong, wrong
