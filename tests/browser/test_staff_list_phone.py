"""The staff list on a 390 px wide phone, JavaScript off: no status word breaks mid-word, and the page, its
counts, filters and pages fit the width."""

from __future__ import annotations

from app.instance.folder import open_instance
from app.registrations.lifecycle import decide
from tests.retention_helpers import register_one

PHONE_390 = {"width": 390, "height": 844}


def _fill(instance_path, statuses: list[str]) -> None:
    instance = open_instance(instance_path)
    connection = instance.connect()
    try:
        for status in statuses:
            registration_id = register_one(connection, instance)
            if status != "submitted":
                decide(connection, instance.event.id, registration_id, status, "ana")
    finally:
        connection.close()


def test_status_words_stay_whole_on_a_390_pixel_phone(demo_instance, live_server, team, open_visit):
    _fill(demo_instance.path, ["submitted", "waitlisted", "approved", "rejected"] * 15)
    visit = open_visit(live_server.url, "staff-list-390", viewport=PHONE_390)
    page, ana = visit.page, team["ana"]
    page.goto(f"{visit.origin}/staff/")
    visit.step("staff sent to login", requests=2)
    page.fill('[name="username"]', ana.username)
    page.fill('[name="passphrase"]', ana.passphrase)
    page.fill('[name="code"]', ana.code())
    page.click('button[type="submit"]')
    visit.step("staff list on a phone", requests=2)
    cells = page.locator("td.status")
    assert cells.count() == 50
    # The lines a cell's words take (the cell itself is as tall as its row, which a long pseudonym may make two).
    lines = (
        "cell => { const range = document.createRange(); range.selectNodeContents(cell);"
        " return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size }"
    )
    for index in range(cells.count()):
        cell = cells.nth(index)
        assert cell.evaluate(lines) == 1, f"{cell.inner_text()!r} breaks over lines on a 390 px screen"
    page.select_option("#status", "waitlisted")
    page.click('form.filters button[type="submit"]')
    visit.step("staff list filtered on a phone")
    assert page.locator("td.status").count() == 15
    assert set(page.locator("td.status").all_inner_texts()) == {"waitlisted"}
    width = page.locator("html").bounding_box()["width"]
    assert width <= PHONE_390["width"], f"the page is {width} px wide on a {PHONE_390['width']} px screen"
