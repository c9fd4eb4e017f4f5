"""From the receipt, every language button, in a real Chromium with JavaScript off, shows the same receipt again."""

from __future__ import annotations

import crypto
from app.web.i18n import LANGUAGES
from tests.browser.conftest import PHONE
from tests.browser.test_flows import register


def test_every_language_button_on_the_receipt_keeps_the_secret_code_with_javascript_off(live_server, open_visit):
    visit = open_visit(live_server.url, "receipt-languages", locale="ru", viewport=PHONE)
    pseudonym, codename = register(visit, "ru")
    number = crypto.parse_codename(codename)
    page = visit.page
    for lang in [*(code for code in LANGUAGES if code != "ru"), "ru"]:  # each one from the receipt before it
        page.click(f'header nav button[lang="{lang}"]')
        visit.step(f"receipt in {lang}")
        assert page.locator("html").get_attribute("lang") == lang
        assert crypto.parse_codename(page.inner_text("#codename").strip()) == number, lang
        assert page.inner_text("#pseudonym").strip() == pseudonym, lang
