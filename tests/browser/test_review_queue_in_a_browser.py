"""The review queue in Debian's Chromium with JavaScript off: 250 registrations reviewed in at most 40 page
loads, and the queue's pages free of serious accessibility findings in every language, at 390 and 1280 px."""

from __future__ import annotations

import pytest

from app.instance.folder import open_instance
from app.web.i18n import LANGUAGES
from tests.browser.test_accessibility import Checker
from tests.retention_helpers import register_one

EVENT_SIZE = 250
PAGE_LOADS_ALLOWED = 40
PHONE_390 = {"width": 390, "height": 844}
DESKTOP_1280 = {"width": 1280, "height": 900}


def _fill(instance_path, number: int) -> None:
    instance = open_instance(instance_path)
    connection = instance.connect()
    try:
        for _ in range(number):
            register_one(connection, instance)
    finally:
        connection.close()


def _statuses(instance_path) -> dict[str, int]:
    instance = open_instance(instance_path)
    connection = instance.connect()
    try:
        return dict(connection.execute("SELECT status, count(*) FROM registrations GROUP BY status").fetchall())
    finally:
        connection.close()


def _log_in(page, origin: str, person, lang: str = "en") -> None:
    page.goto(f"{origin}/staff/login?lang={lang}")
    page.fill('[name="username"]', person.username)
    page.fill('[name="passphrase"]', person.passphrase)
    page.fill('[name="code"]', person.code())
    page.click('button[type="submit"]')


def _decision_for(reviewed: int) -> str:
    """200 approved, 30 waitlisted, 20 rejected: inside the demo event's 220 places."""
    return "approved" if reviewed < 200 else "waitlisted" if reviewed < 230 else "rejected"


def test_two_hundred_and_fifty_registrations_are_reviewed_in_at_most_forty_page_loads(
    demo_instance, live_server, team, open_visit, capsys
):
    _fill(demo_instance.path, EVENT_SIZE)
    visit = open_visit(live_server.url, "review-queue-250", viewport=DESKTOP_1280)
    page, loads = visit.page, 0

    def step(name: str, requests: int) -> None:
        nonlocal loads
        loads += requests
        visit.step(name, requests=requests)

    page.goto(f"{visit.origin}/staff/")
    step("staff sent to login", 2)
    _log_in_here = team["ana"]
    page.fill('[name="username"]', _log_in_here.username)
    page.fill('[name="passphrase"]', _log_in_here.passphrase)
    page.fill('[name="code"]', _log_in_here.code())
    page.click('button[type="submit"]')
    step("the list", 2)
    page.click("nav.staffnav >> text=Review queue")
    step("the queue's opening form", 1)
    page.fill('[name="reason"]', "reviewing every registration before the deadline")
    page.click('form[action="/staff/review/open"] button[type="submit"]')
    step("the first twenty", 2)
    reviewed = 0
    while page.locator("table.queue").count():
        rows = page.locator("table.queue tbody tr")
        for index in range(rows.count()):
            registration_id = rows.nth(index).get_attribute("id").removeprefix("r-")
            page.check(f'input[name="d-{registration_id}"][value="{_decision_for(reviewed)}"]')
            reviewed += 1
        page.click('button[name="then"][value="next"]')
        step(f"saved, and the next after {reviewed}", 1)
        assert not page.locator("#refused").count(), page.inner_text("#refused")
    assert page.locator("#queue-done").count() == 1
    with capsys.disabled():
        print(f"\nreview queue: {reviewed} registrations reviewed in {loads} page loads (at most {PAGE_LOADS_ALLOWED})")
    assert reviewed == EVENT_SIZE
    assert _statuses(demo_instance.path) == {"approved": 200, "waitlisted": 30, "rejected": 20}
    assert loads <= PAGE_LOADS_ALLOWED, f"{loads} page loads to review {EVENT_SIZE} registrations"


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_the_queue_pages_have_no_serious_accessibility_violation(
    browser, axe_source, demo_instance, live_server, team, lang
):
    _fill(demo_instance.path, 3)
    found = []
    for viewport in (PHONE_390, DESKTOP_1280):
        context = browser.new_context(java_script_enabled=True, bypass_csp=True, viewport=viewport, locale=lang)
        try:
            page = context.new_page()
            checker = Checker(page, axe_source, f"[{lang}, {viewport['width']} px]")
            _log_in(page, live_server.url, team["ana"], lang)
            page.goto(f"{live_server.url}/staff/review?lang={lang}")
            checker.check("the queue's opening form")
            page.fill('[name="reason"]', "checking the queue reads well")
            page.click('form[action="/staff/review/open"] button[type="submit"]')
            checker.check("an open queue")
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{lang}: the queue is {width} px wide at {viewport['width']} px"
            first = page.locator("table.queue tbody tr").first.get_attribute("id").removeprefix("r-")
            page.check(f'input[name="d-{first}"][value="approved"]')
            page.click('button[name="then"][value="save"]')
            checker.check("the queue after saving")
            found += checker.found
        finally:
            context.close()
    assert not found, "\n".join(found)
