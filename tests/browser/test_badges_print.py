"""Badges in a real Chromium: the pages pass axe in every language at 390 and 1280 px, and the badges print on A4
and on Letter as eight whole 90 x 55 mm badges a sheet, with no name cut and nothing but the badges on paper."""

from __future__ import annotations

import math
import re

import pytest

from app.instance.folder import open_instance
from app.registrations.lifecycle import decide
from tests.browser.conftest import screenshot_dir
from tests.browser.test_accessibility import CHECKED, Checker
from tests.retention_helpers import register_one
from tests.staff_fixtures import make_team

WIDE = {"width": 1280, "height": 900}
PHONE_390 = {"width": 390, "height": 844}
PX_PER_MM = 96 / 25.4
PAPERS_MM = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
MARGIN_MM = 10  # staff.css: @page{margin:10mm}
PER_SHEET = 8
# Badge names as people give them: scripts written right to left, long names, and the widest the field allows.
NAMES = [
    ("Ana", "no-face"),
    ("", "none"),  # the pseudonym instead
    ("مريم الحسيني", "none"),
    ("سارا رضایی", "no-face"),
    ("נועה כהן", "yes"),
    ("Hoàng Thị Thu Hà", "yes"),
    ("Алесь Бяляцкі", "none"),
    ("María de los Ángeles Fernández-Castillo y Rodríguez Santos", "none"),  # 58 characters
    ("W" * 60, "none"),  # the widest Latin letter, as many as the field allows, with no space to break at
    ("漢" * 60, "no-face"),
    ("Ilse", "yes"),
    ("Oumar", "none"),
    ("Sokha", "yes"),
    ("Thant Zin", "no-face"),
    ("Nyasha", "yes"),
    ("Amina", "none"),
    ("Jorge", "yes"),
    ("Kiri", "yes"),
    ("", "yes"),
]


@pytest.fixture
def bea(demo_instance):
    """A registration desk holding identity and safety, and the approved participants above, plus three who are not."""
    team = make_team(demo_instance.path, demo_instance.recovery_words, {"bea": ("staff", ["identity", "safety"])})
    instance = open_instance(demo_instance.path)
    connection = instance.connect()
    try:
        for name, consent in NAMES:
            registration_id = register_one(connection, instance, badge_name=name, photo_consent=consent)
            decide(connection, instance.event.id, registration_id, "approved", "bea")
        for decision in ("waitlisted", "rejected", "submitted"):
            registration_id = register_one(connection, instance, badge_name=f"Not approved {decision}")
            if decision != "submitted":
                decide(connection, instance.event.id, registration_id, decision, "bea")
    finally:
        connection.close()
    return team["bea"]


def _log_in(page, origin: str, person) -> None:
    page.goto(f"{origin}/staff/login")
    page.fill('[name="username"]', person.username)
    page.fill('[name="passphrase"]', person.passphrase)
    page.fill('[name="code"]', person.code())
    page.click('button[type="submit"]')
    assert page.url.endswith("/staff/"), page.url


def _send_reason(page, reason: str) -> None:
    form = page.locator('form[action^="/staff/badges"]')
    form.locator('[name="reason"]').fill(reason)
    form.locator('button[type="submit"]').click()


def test_the_badges_pages_pass_axe_in_every_language_at_390_and_1280_pixels(browser, axe_source, live_server, bea):
    context = browser.new_context(java_script_enabled=True, bypass_csp=True, locale="en-GB")
    found, checked = [], 0
    pictures = screenshot_dir() / "badges-in-every-language"
    pictures.mkdir(parents=True, exist_ok=True)
    try:
        page = context.new_page()
        _log_in(page, live_server.url, bea)
        for lang in CHECKED:
            for viewport, scheme in ((WIDE, "light"), (PHONE_390, "dark")):
                page.set_viewport_size(viewport)
                page.emulate_media(color_scheme=scheme)
                checker = Checker(page, axe_source, f"[{lang}, {viewport['width']} px, {scheme}]")
                page.goto(f"{live_server.url}/staff/badges?lang={lang}")
                checker.check("badges, the form")
                _send_reason(page, "   ab   ")  # long enough for the browser, too short once trimmed
                assert page.locator('[aria-invalid="true"]').count() == 1
                checker.check("badges, the reason refused")
                _send_reason(page, "printing the desk badges")
                assert page.locator("html").get_attribute("lang") == lang
                assert page.locator(".badge").count() == len(NAMES)
                checker.check("badges")
                page.screenshot(path=pictures / f"{lang}-{viewport['width']}.png", full_page=True)
                if viewport is PHONE_390:
                    lefts = {round(box["x"]) for box in map(_box, page.locator(".badge").all())}
                    assert len(lefts) == 1, f"{lang}: badges side by side on a 390 px phone: {lefts}"
                    width = page.evaluate("() => document.documentElement.scrollWidth")
                    assert width <= PHONE_390["width"], f"{lang}: the page is {width} px wide on a 390 px phone"
                found += checker.found
                checked += len(checker.checked)
    finally:
        context.close()
    assert checked == 3 * 2 * len(CHECKED)
    assert not found, "\n".join(found)


def _box(locator) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None
    return box


_MEASURE = """sheets => sheets.map(sheet => [...sheet.querySelectorAll('.badge')].map(badge => {
  const box = badge.getBoundingClientRect(), name = badge.querySelector('.badge-name');
  return {x: box.x, y: box.y, width: box.width, height: box.height,
          whole: badge.scrollHeight <= badge.clientHeight && badge.scrollWidth <= badge.clientWidth
                 && name.scrollWidth <= name.clientWidth, sheet: sheet.getBoundingClientRect().height};
}))"""


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


@pytest.mark.parametrize("paper", sorted(PAPERS_MM))
def test_badges_print_eight_whole_badges_a_sheet(live_server, bea, open_visit, paper):
    visit = open_visit(live_server.url, f"badges-print-{paper.lower()}")
    page = visit.page
    _log_in(page, live_server.url, bea)
    page.goto(f"{live_server.url}/staff/badges")
    _send_reason(page, "printing the desk badges")
    assert page.locator(".badge").count() == len(NAMES)
    assert page.locator(".photo-mark").count() == sum(consent != "yes" for _name, consent in NAMES)

    # Laid out as on the paper: the width between the margins, print rules on.
    width_mm, height_mm = PAPERS_MM[paper]
    page.set_viewport_size({"width": math.floor((width_mm - 2 * MARGIN_MM) * PX_PER_MM), "height": 900})
    page.emulate_media(media="print")
    for hidden in ("header", "footer", "nav", "form", "h1", "#made"):
        assert not page.locator(hidden).first.is_visible(), f"{hidden} is printed"
    sheets = page.locator("ul.badges").evaluate_all(_MEASURE)
    assert [len(sheet) for sheet in sheets] == [PER_SHEET, PER_SHEET, len(NAMES) - 2 * PER_SHEET]
    for number, sheet in enumerate(sheets, start=1):
        assert sheet[0]["sheet"] <= (height_mm - 2 * MARGIN_MM) * PX_PER_MM, f"sheet {number} is taller than {paper}"
        for badge in sheet:
            assert abs(badge["width"] - 90 * PX_PER_MM) < 1 and abs(badge["height"] - 55 * PX_PER_MM) < 1, badge
            assert badge["whole"], f"a badge on sheet {number} does not hold its name"
        if len(sheet) == PER_SHEET:
            assert len({round(b["x"]) for b in sheet}) == 2 and len({round(b["y"]) for b in sheet}) == 4
    marks = page.locator(".photo-mark").evaluate_all("marks => marks.map(m => getComputedStyle(m).color)")
    assert set(marks) == {"rgb(0, 0, 0)"}, "the mark prints black, whatever the screen's colours"
    visit.folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=visit.folder / "print-layout.png", full_page=True)

    pdf = page.pdf(format=paper)
    (visit.folder / f"badges-{paper.lower()}.pdf").write_bytes(pdf)
    assert _pdf_pages(pdf) == math.ceil(len(NAMES) / PER_SHEET), "a sheet of badges spilled onto another page"
