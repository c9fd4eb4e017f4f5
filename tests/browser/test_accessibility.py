"""No serious or critical accessibility violation on any participant or staff page, in any language, light or dark;
staff pages no wider than the screen at 390 and 1280 px, and no word of the audit page's tables broken.

axe-core runs in a context of its own, the only one with JavaScript on and the page's CSP bypassed so that the
checker's script can be injected; the pages themselves still carry no script.
"""

from __future__ import annotations

import pytest

from app.instance.folder import open_instance
from app.registrations.lifecycle import decide
from app.web.i18n import LANGUAGES, RIGHT_TO_LEFT
from tests.browser.conftest import DESKTOP, PHONE, screenshot_dir
from tests.browser.test_flows import FOLLOW_UP, _fill_registration
from tests.helpers import valid_answers
from tests.retention_helpers import register_one
from tests.staff_fixtures import make_team

SEVERE = ("serious", "critical")
# Every language the app offers, and Arabic in any case: the right-to-left case must be checked.
CHECKED = sorted(set(LANGUAGES) | {"ar"})


def _approve(instance_path, pseudonym: str) -> None:
    instance = open_instance(instance_path)
    connection = instance.connect()
    try:
        (registration_id,) = connection.execute(
            "SELECT id FROM registrations WHERE pseudonym = ?", (pseudonym,)
        ).fetchone()
        decide(connection, instance.event.id, registration_id, "approved", "ana")
    finally:
        connection.close()


class Checker:
    def __init__(self, page, axe_source: str, label: str) -> None:
        self.page, self.axe_source, self.label = page, axe_source, label
        self.found: list[str] = []
        self.checked: list[str] = []

    def check(self, name: str) -> None:
        assert self.page.evaluate("() => document.scripts.length") == 0, f"{name} carries a script"
        self.page.add_script_tag(content=self.axe_source)
        self.checked.append(name)
        self.record(name, self.page.evaluate("() => axe.run(document)"))

    def record(self, name: str, result: dict) -> None:
        # What axe could not decide ("incomplete") counts too: nobody reviews it by hand afterwards.
        for violation in result["violations"] + result["incomplete"]:
            if violation["impact"] in SEVERE:
                targets = [" ".join(node["target"]) for node in violation["nodes"]][:3]
                self.found.append(f"{self.label} {name}: {violation['id']} ({violation['impact']}) at {targets}")


def _walk(checker: Checker, origin: str, lang: str, instance_path) -> None:
    page = checker.page
    page.goto(f"{origin}/?lang={lang}")
    checker.check("start page")
    page.goto(f"{origin}/register?lang={lang}")
    checker.check("registration form")
    _fill_registration(page, valid_answers(full_name="   ", country="   "))
    page.click('button[type="submit"]')
    checker.check("registration with errors")
    page.fill('[name="full_name"]', "Ana Example")
    page.fill('[name="country"]', "Examplestan")
    page.check('input[name="consent"]')
    page.click('button[type="submit"]')
    checker.check("receipt")
    pseudonym, codename = page.inner_text("#pseudonym").strip(), page.inner_text("#codename").strip()
    page.goto(f"{origin}/status?lang={lang}")
    checker.check("status form")
    for words, name in (("wrong " * 8, "status, codename not found"), (codename, "status, not decided yet")):
        page.goto(f"{origin}/status?lang={lang}")
        page.locator('form[action^="/status?"] [name="codename"]').fill(words)
        page.locator('form[action^="/status?"] button[type="submit"]').click()
        checker.check(name)
    _approve(instance_path, pseudonym)
    page.goto(f"{origin}/status?lang={lang}")
    page.locator('form[action^="/status?"] [name="codename"]').fill(codename)
    page.locator('form[action^="/status?"] button[type="submit"]').click()
    checker.check("status, accepted, with the follow-up form")
    follow_up = page.locator('form[action^="/status/follow-up"]')
    # Spaces pass the browser's `required` check, so the server answers with its own messages.
    for name, value in {**FOLLOW_UP, "passport_name": "   ", "travel_from": "   "}.items():
        follow_up.locator(f'[name="{name}"]').fill(value)
    follow_up.locator('button[type="submit"]').click()
    checker.check("follow-up with errors")
    withdraw = page.locator('form[action^="/status/withdraw"]')
    withdraw.locator('[name="codename"]').fill(codename)
    withdraw.locator('input[name="confirm"]').check()
    withdraw.locator('button[type="submit"]').click()
    checker.check("withdrawn")
    page.goto(f"{origin}/nowhere?lang={lang}")
    checker.check("page not found")
    page.goto(f"{origin}/staff/login?lang={lang}")
    checker.check("staff login")


@pytest.mark.parametrize("lang", CHECKED)
def test_participant_pages_have_no_serious_accessibility_violation(
    browser, axe_source, live_server, demo_instance, lang
):
    found = []
    for scheme, viewport in (("light", DESKTOP), ("dark", PHONE)):
        context = browser.new_context(
            java_script_enabled=True, bypass_csp=True, color_scheme=scheme, viewport=viewport, locale=lang
        )
        try:
            checker = Checker(context.new_page(), axe_source, f"[{lang}, {scheme}]")
            _walk(checker, live_server.url, lang, demo_instance.path)
            assert len(checker.checked) == 12
            found += checker.found
        finally:
            context.close()
    assert not found, "\n".join(found)


# --- Staff pages ---------------------------------------------------------------------------------------------

WIDE_ENOUGH = 2400  # px: wide enough that no staff table scrolls
STAFF_SCREENS = (("light", {"width": 1280, "height": 800}), ("dark", {"width": 390, "height": 844}))
# Words of table cells that the browser broke over two lines (between letters, or at a hyphen inside a day).
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll("main td, main th")) {
    const texts = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let text = texts.nextNode(); text; text = texts.nextNode()) {
      for (const word of text.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(text, word.index);
        range.setEnd(text, word.index + word[0].length);
        const boxes = [...range.getClientRects()].filter(box => box.width > 0);
        if (boxes.some(box => box.top >= boxes[0].bottom - 2)) broken.push(word[0]);
      }
    }
  }
  return broken;
}"""


def _staff_instance(instance_path) -> str:
    """A registration of each status, so that the list shows every status word; returns the id of the first."""
    instance = open_instance(instance_path)
    connection = instance.connect()
    try:
        ids = [register_one(connection, instance) for _ in range(4)]
        for registration_id, status in zip(ids[1:], ("approved", "waitlisted", "rejected"), strict=True):
            decide(connection, instance.event.id, registration_id, status, "ana")
        return ids[0]
    finally:
        connection.close()


# What axe says of a cell that the edge of a region scrolling sideways cuts: partly hidden, or too little of it
# left in view to tell whether it is text.
CUT_OFF = frozenset({"elmPartiallyObscured", "shortTextContent"})


def _cut_at_a_scroll_region(page, node: dict) -> bool:
    """axe could not find the colours of this node because the edge of a region that scrolls sideways cuts it."""
    cut = any((check.get("data") or {}).get("messageKey") in CUT_OFF for check in node["any"])
    return cut and page.evaluate("target => !!document.querySelector(target).closest('.scroll')", node["target"][0])


class StaffChecker(Checker):
    def __init__(self, page, axe_source: str, label: str, lang: str) -> None:
        super().__init__(page, axe_source, label)
        self.lang = lang

    def record(self, name: str, result: dict) -> None:
        """As for any page; but a table cell that its scrolling region cuts off is checked again on a screen
        wide enough to show it whole, where axe can read its colours, rather than counted as undecided."""
        cut_off = []
        for kind in ("violations", "incomplete"):
            kept = []
            for violation in result[kind]:
                nodes = violation["nodes"]
                if violation["id"] == "color-contrast":
                    cut_off += [node["target"] for node in nodes if _cut_at_a_scroll_region(self.page, node)]
                    nodes = [node for node in nodes if node["target"] not in cut_off]
                if nodes:
                    kept.append({**violation, "nodes": nodes})
            result = {**result, kind: kept}
        super().record(name, result)
        if cut_off:
            # Their colours do not depend on the width: on a screen wide enough, no region cuts them.
            narrow = self.page.viewport_size
            self.page.set_viewport_size({**narrow, "width": WIDE_ENOUGH})
            again = self.page.evaluate("cut => axe.run({include: cut}, {runOnly: ['color-contrast']})", cut_off)
            self.page.set_viewport_size(narrow)
            super().record(f"{name} ({len(cut_off)} cells cut by a scrolling region, on a wide screen)", again)

    def check(self, name: str) -> None:
        """axe, then: the page speaks the language asked for, is no wider than the screen, and breaks no word of
        its tables over two lines."""
        super().check(name)
        lang, direction = self.page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]")
        if (lang, direction) != (self.lang, "rtl" if self.lang in RIGHT_TO_LEFT else "ltr"):
            self.found.append(f"{self.label} {name}: lang={lang} dir={direction}")
        wide, screen = self.page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if wide > screen:
            self.found.append(f"{self.label} {name}: the page is {wide} px wide on a {screen} px screen")
        broken = self.page.evaluate(BROKEN_WORDS)
        if broken:
            self.found.append(f"{self.label} {name}: words broken over two lines in the tables: {broken[:8]}")


def _staff_walk(checker: StaffChecker, origin: str, registration_id: str, person, log_in: bool) -> None:
    """Login, list, a record opened with a reason (then closed), grants, the audit page, the wipe page and its
    refusal; the language is asked for once, on the login page, and every later page keeps it."""
    page = checker.page
    page.goto(f"{origin}/staff/login?lang={checker.lang}")
    checker.check("staff login")
    if log_in:
        page.fill('[name="username"]', person.username)
        page.fill('[name="passphrase"]', person.passphrase)
        page.fill('[name="code"]', person.code())
        page.click('form[action^="/staff/login"] button[type="submit"]')
    page.goto(f"{origin}/staff/")
    checker.check("registrations")
    page.goto(f"{origin}/staff/registrations/{registration_id}")
    checker.check("record, closed")
    page.fill('[name="reason"]', "checking the access needs before the venue visit")
    page.click('form[action$="/open"] button[type="submit"]')
    checker.check("record, opened with a reason")
    page.click("#close-record")  # it would stay open for the rest of the session
    page.goto(f"{origin}/staff/grants")
    checker.check("grants")
    page.goto(f"{origin}/staff/audit")
    checker.check("audit")
    picture = screenshot_dir() / "staff-audit" / f"{checker.lang}-{page.viewport_size['width']}.png"
    page.screenshot(path=picture, full_page=True)
    page.goto(f"{origin}/staff/wipe")
    checker.check("emergency wipe")
    page.fill('[name="event_id"]', "not-this-event")
    page.fill('[name="passphrase"]', "not the passphrase")
    page.fill('[name="code"]', "000000")
    page.click('form[action$="/wipe"] button[type="submit"]')
    checker.check("emergency wipe, refused")


@pytest.mark.parametrize("lang", CHECKED)
def test_staff_pages_have_no_serious_accessibility_violation_and_fit_the_screen(
    browser, axe_source, live_server, demo_instance, lang
):
    # An administrator who also holds identity and needs: one person sees every staff page, and values in a record.
    admin = make_team(demo_instance.path, demo_instance.recovery_words, {"root": ("admin", ["identity", "needs"])})
    registration_id = _staff_instance(demo_instance.path)
    context = browser.new_context(java_script_enabled=True, bypass_csp=True, locale="en-GB")
    found = []
    try:
        page = context.new_page()
        for index, (scheme, screen) in enumerate(STAFF_SCREENS):
            page.set_viewport_size(screen)
            page.emulate_media(color_scheme=scheme)
            checker = StaffChecker(page, axe_source, f"[{lang}, {screen['width']} px, {scheme}]", lang)
            _staff_walk(checker, live_server.url, registration_id, admin["root"], log_in=index == 0)
            assert len(checker.checked) == 8, checker.checked
            found += checker.found
    finally:
        context.close()
    assert not found, "\n".join(found)
