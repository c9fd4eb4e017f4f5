"""The counts page on a 390 px wide phone, JavaScript off: the page fits the width, a table wider than it scrolls
inside its own region (which the keyboard can reach) with the answers kept in view, no header breaks over lines;
and axe-core finds no serious accessibility violation, light or dark. axe runs on a desktop width: on a phone it
cannot tell the contrast of cells the scrolling region clips (it reports them undecided), and colours do not
change with the width."""

from __future__ import annotations

from app.instance.folder import open_instance
from app.registrations.lifecycle import decide
from tests.browser.conftest import DESKTOP
from tests.browser.test_accessibility import Checker
from tests.browser.test_staff_list_phone import PHONE_390
from tests.retention_helpers import register_one

DIETS = ["vegan", "vegetarian", "halal", "any", "kosher", "other"]


def _fill(instance_path) -> None:
    instance = open_instance(instance_path)
    connection = instance.connect()
    try:
        for number in range(40):
            registration_id = register_one(connection, instance, diet=DIETS[number % 4 + (number % 7 == 0)])
            if number % 3:
                decide(connection, instance.event.id, registration_id, ("approved", "rejected")[number % 2], "ana")
    finally:
        connection.close()


def _log_in_and_count(page, origin: str, person) -> None:
    page.goto(f"{origin}/staff/login")
    page.fill('[name="username"]', person.username)
    page.fill('[name="passphrase"]', person.passphrase)
    page.fill('[name="code"]', person.code())
    # Each click's page is waited for: a count of tables taken before the counts page has loaded finds none.
    with page.expect_navigation():
        page.click('button[type="submit"]')
    page.goto(f"{origin}/staff/counts")
    page.fill('[name="reason"]', "meals for the venue")
    with page.expect_navigation():
        page.click('form[action="/staff/counts"] button')


def test_the_counts_page_reads_on_a_390_pixel_phone(demo_instance, live_server, team, open_visit):
    _fill(demo_instance.path)
    visit = open_visit(live_server.url, "staff-counts-390", viewport=PHONE_390)
    page, otto = visit.page, team["otto"]
    page.goto(f"{visit.origin}/staff/login")
    visit.step("staff login on a phone")
    page.fill('[name="username"]', otto.username)
    page.fill('[name="passphrase"]', otto.passphrase)
    page.fill('[name="code"]', otto.code())
    page.click('button[type="submit"]')
    visit.step("list after login", requests=2)
    page.goto(f"{visit.origin}/staff/counts")
    visit.step("counts: the reason form")
    page.fill('[name="reason"]', "meals for the venue")
    page.click('form[action="/staff/counts"] button')
    visit.step("counts on a phone")
    regions = page.locator('main div.scroll[role="region"][tabindex="0"][aria-labelledby]')
    assert regions.count() == 2 and page.locator("main table caption").count() == 2
    width = page.locator("html").bounding_box()["width"]
    assert width <= PHONE_390["width"], f"the page is {width} px wide on a {PHONE_390['width']} px screen"
    lines = (
        "cell => { const range = document.createRange(); range.selectNodeContents(cell);"
        " return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size }"
    )
    headers = page.locator("main thead th")
    for index in range(headers.count()):
        header = headers.nth(index)
        assert header.evaluate(lines) == 1, f"{header.inner_text()!r} breaks over lines on a 390 px screen"
    for index in range(regions.count()):
        region = regions.nth(index)
        box = region.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_390["width"], "the region itself fits"
        answers = region.locator("tbody th").first
        region.evaluate("region => { region.scrollLeft = region.scrollWidth }")
        kept = answers.bounding_box()
        assert kept["x"] >= box["x"] - 1, "the answers stay in view when the table scrolls"


def test_the_counts_page_has_no_serious_accessibility_violation(browser, axe_source, live_server, demo_instance, team):
    _fill(demo_instance.path)
    found = []
    for scheme in ("light", "dark"):
        context = browser.new_context(java_script_enabled=True, bypass_csp=True, color_scheme=scheme, viewport=DESKTOP)
        try:
            checker = Checker(context.new_page(), axe_source, f"[{scheme}]")
            checker.page.goto(f"{live_server.url}/staff/login")
            _log_in_and_count(checker.page, live_server.url, team["ana"])
            assert checker.page.locator("main table").count() == 2
            checker.check("counts")
            found += checker.found
        finally:
            context.close()
    assert not found, "\n".join(found)
