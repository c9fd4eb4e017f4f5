"""Visa letters in a real Chromium: the pages pass axe in every language, the letters arrive as a download, and
print one letter a page on A4 and on Letter with names in Latin script with diacritics drawn as written."""

from __future__ import annotations

import pytest

from app.instance.folder import open_instance
from app.registrations.lifecycle import decide
from app.registrations.register import add_follow_up
from tests.browser.conftest import screenshot_dir
from tests.browser.test_accessibility import CHECKED, Checker
from tests.browser.test_badges_print import PAPERS_MM, _log_in, _pdf_pages
from tests.letter_fixtures import NAMES, REASON, visa_details
from tests.retention_helpers import register_one
from tests.staff_fixtures import make_team

WIDE = {"width": 1280, "height": 900}
PHONE_390 = {"width": 390, "height": 844}
PEOPLE = 3  # two names, the first twice: three letters, three printed pages


@pytest.fixture
def vera(demo_instance):
    """The visa team, and PEOPLE approved participants with their visa details in."""
    team = make_team(demo_instance.path, demo_instance.recovery_words, {"vera": ("staff", ["visa", "travel"])})
    instance = open_instance(demo_instance.path)
    with instance.connection() as connection:
        for number in range(PEOPLE):
            registration_id = register_one(connection, instance)
            decide(connection, instance.event.id, registration_id, "approved", "vera")
            add_follow_up(connection, instance.event, registration_id, visa_details(number))
    return team["vera"]


def _submit(page, action: str, reason: str) -> None:
    form = page.locator(f'form[action="{action}"], form[action^="{action}?"]')
    form.locator('[name="reason"]').fill(reason)
    form.locator('button[type="submit"]').click()


def test_the_letters_pages_pass_axe_in_every_language_at_390_and_1280_pixels(browser, axe_source, live_server, vera):
    context = browser.new_context(java_script_enabled=True, bypass_csp=True, locale="en-GB")
    found, checked = [], 0
    try:
        page = context.new_page()
        _log_in(page, live_server.url, vera)
        for lang in CHECKED:
            for viewport, scheme in ((WIDE, "light"), (PHONE_390, "dark")):
                page.set_viewport_size(viewport)
                page.emulate_media(color_scheme=scheme)
                checker = Checker(page, axe_source, f"[{lang}, {viewport['width']} px, {scheme}]")
                page.goto(f"{live_server.url}/staff/letters?lang={lang}")
                checker.check("letters, the form")
                _submit(page, "/staff/letters", "   ab   ")  # long enough for the browser, too short once trimmed
                assert page.locator('[aria-invalid="true"]').count() == 1
                checker.check("letters, the reason refused")
                _submit(page, "/staff/letters", REASON)
                assert page.locator("#ready li").count() == PEOPLE
                assert page.locator("html").get_attribute("lang") == lang
                checker.check("letters, the findings")
                page.goto(f"{live_server.url}/staff/letters?lang={lang}")
                confirm = page.locator('form[action^="/staff/letters/verify"]')
                for name, value in (("reference", "SDF27-0001"), ("code", " "), ("passport", "X1")):
                    confirm.locator(f'[name="verify-{name}"]').fill(value)
                confirm.locator('button[type="submit"]').click()
                assert page.locator("#verify-code-error").count() == 1
                checker.check("letters, a confirmation refused")
                width = page.evaluate("() => document.documentElement.scrollWidth")
                assert width <= viewport["width"], f"{lang}: the page is {width} px wide"
                found += checker.found
                checked += len(checker.checked)
    finally:
        context.close()
    assert checked == 4 * 2 * len(CHECKED)
    assert not found, "\n".join(found)


def test_downloaded_letters_print_one_a_page_with_every_name_as_written(browser, axe_source, live_server, vera):
    context = browser.new_context(java_script_enabled=False, locale="en-GB", accept_downloads=True)
    pictures = screenshot_dir() / "letters-print"
    pictures.mkdir(parents=True, exist_ok=True)
    try:
        page = context.new_page()
        _log_in(page, live_server.url, vera)
        page.goto(f"{live_server.url}/staff/letters")
        _submit(page, "/staff/letters", REASON)
        with page.expect_download() as arrival:
            page.locator('form[action^="/staff/letters/make"] button[type="submit"]').click()
        download = arrival.value
        assert download.suggested_filename == "visa-letters-SDF27-0001-SDF27-0003.html"
        document = pictures / download.suggested_filename
        download.save_as(document)

        requests: list[str] = []
        letters = context.new_page()
        letters.on("request", lambda sent: requests.append(sent.url))
        letters.goto(document.as_uri())
        assert requests == [document.as_uri()], "the letters load nothing from anywhere"
        assert letters.locator("article.letter").count() == PEOPLE
        text = letters.locator("body").inner_text()
        for name in NAMES:
            assert name in text
        assert "QZX7P0000" in text and "May 4, 2027" in text and "May 7, 2027" in text
        letters.emulate_media(media="print")
        for paper, (width_mm, _height_mm) in PAPERS_MM.items():
            letters.set_viewport_size({"width": round((width_mm - 40) * 96 / 25.4), "height": 1000})
            letters.screenshot(path=pictures / f"print-{paper.lower()}.png", full_page=True)
            pdf = letters.pdf(format=paper)
            (pictures / f"letters-{paper.lower()}.pdf").write_bytes(pdf)
            assert _pdf_pages(pdf) == PEOPLE, f"{paper}: a letter spilled onto another page, or two shared one"
    finally:
        context.close()

    checking = browser.new_context(java_script_enabled=True, bypass_csp=True)
    try:
        page = checking.new_page()
        page.goto(document.as_uri())
        checker = Checker(page, axe_source, "[the letters]")
        checker.check("letters document")
        assert not checker.found, "\n".join(checker.found)
    finally:
        checking.close()
