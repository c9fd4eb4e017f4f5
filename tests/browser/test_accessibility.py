"""No serious or critical accessibility violation on any participant page, in any language, light or dark.

axe-core runs in a context of its own, the only one with JavaScript on and the page's CSP bypassed so that the
checker's script can be injected; the pages themselves still carry no script.
"""

from __future__ import annotations

import pytest

from app.instance.folder import open_instance
from app.registrations.lifecycle import decide
from app.web.i18n import LANGUAGES
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_flows import FOLLOW_UP, _fill_registration
from tests.helpers import valid_answers

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
        result = self.page.evaluate("() => axe.run(document)")
        self.checked.append(name)
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
