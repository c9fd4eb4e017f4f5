"""Six languages: every string translated, placeholders kept, the choice carried through every participant page and
kept for a staff session."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext
from markupsafe import escape

import app.web as web_package
from app.web.i18n import LANGUAGES, RIGHT_TO_LEFT
from tests.helpers import (
    FOLLOW_UP,
    PAGE_BUDGET_BYTES,
    approve,
    codename_on,
    every_participant_page,
    form_on,
    hidden_fields,
    ids_by_pseudonym,
    page_text,
    valid_answers,
    wire_bytes,
)
from tests.staff_fixtures import csrf, csrf_from, every_staff_page, login, register_canary, registration_ids

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "app" / "web" / "translations"
TRANSLATED = [code for code in LANGUAGES if code != "en"]
_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]|\{[^{}]*\}")


def _source_messages() -> dict[object, set[str]]:
    """Every msgid the code and templates mark, with the files that use it (Babel's extraction, as pybabel does)."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
    found: dict[object, set[str]] = {}
    for filename, _line, msgid, _comments, _context in extract_from_dir(ROOT, method_map, options_map, keywords):
        found.setdefault(msgid, set()).add(filename.replace("\\", "/"))
    return found


def _catalog(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language)


def _forms(message) -> tuple[str, ...]:
    """A translation's text, or each of its plural forms."""
    return tuple(message.string) if isinstance(message.string, (list, tuple)) else (message.string,)


def _key(message) -> tuple[str, ...]:
    """A msgid, or its singular and plural, the same whether read from a .po or a .mo."""
    return (message.id,) if isinstance(message.id, str) else tuple(message.id)


def _placeholders(text: str) -> Counter:
    return Counter(_PLACEHOLDER.findall(text))


def test_catalogs_hold_exactly_the_strings_the_code_marks():
    marked = set(_source_messages())
    with (TRANSLATIONS / "messages.pot").open("rb") as source:
        template = {message.id for message in read_po(source) if message.id}
    missing, stale = marked - template, template - marked
    assert not missing and not stale, (
        f"messages.pot is out of date (missing {sorted(map(str, missing))}, stale {sorted(map(str, stale))}):"
        " run the pybabel extract and update commands in the README"
    )
    for language in TRANSLATED:
        in_catalog = {message.id for message in _catalog(language) if message.id}
        assert in_catalog == template, f"{language}: run pybabel update (README, 'Languages')"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_the_code_marks_is_translated(language):
    """Participant, staff, auditor and emergency pages alike: none is exempt."""
    catalog = _catalog(language)
    untranslated = []
    for msgid in _source_messages():
        message = catalog.get(msgid)
        if message is None or message.fuzzy or not all(_forms(message)):
            untranslated.append(msgid)
    assert not untranslated, f"{language} lacks a translation (or has a fuzzy one) for {untranslated}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_placeholder(language):
    catalog = _catalog(language)
    for message in catalog:
        if not message.id or not message.string:
            continue
        if isinstance(message.id, tuple):
            singular, plural = (_placeholders(text) for text in message.id)
            assert len(message.string) == catalog.num_plurals, (
                f"{language}: {message.id[0]!r} needs {catalog.num_plurals} forms"
            )
            for form in message.string:
                # A form for one or two (Arabic's "حرفين") may spell the number out; none may invent one.
                assert set(_placeholders(form)) <= set(singular | plural), f"{language}: {form!r}"
            assert _placeholders(message.string[-1]) == plural, f"{language}: {message.string[-1]!r}"
        else:
            assert _placeholders(message.string) == _placeholders(message.id), f"{language}: {message.string!r}"


def test_persian_uses_persian_letters():
    # Arabic yeh and kaf look alike but break search and sorting for a Persian reader.
    for message in _catalog("fa"):
        for text in _forms(message):
            assert not re.search("[\u064a\u0643\u0649]", text or ""), text


def test_installed_catalogs_are_compiled_from_the_current_sources():
    """The .mo files are made by pip install (editable or not), never at request time; a stale one fails here."""
    installed = Path(web_package.__file__).parent / "translations"
    for language in TRANSLATED:
        compiled = installed / language / "LC_MESSAGES" / "messages.mo"
        assert compiled.is_file(), f"{compiled} is missing: run `pip install -e '.[test]'` again to compile it"
        with compiled.open("rb") as mo_file:
            strings = {_key(m): _forms(m) for m in read_mo(mo_file) if m.id}
        expected = {_key(m): _forms(m) for m in _catalog(language) if m.id and any(_forms(m)) and not m.fuzzy}
        assert strings == expected, f"{compiled} is older than its .po: run `pip install -e '.[test]'` again"


def test_style_mirrors_for_right_to_left():
    style = (ROOT / "app" / "web" / "style.css").read_text()
    physical = re.findall(
        r"(?:margin|padding|border)-(?:left|right)|:\s*(?:left|right)\b|[{;]\s*(?:left|right)\s*:", style
    )
    assert not physical, f"use logical properties (inline-start/end) so Arabic and Persian pages mirror: {physical}"


# --- Pages -------------------------------------------------------------------------------------------------

PARTICIPANT_FOOTER = "This site runs no scripts and sends no email. Your answers are encrypted before they are stored."
STAFF_FOOTER = (
    "These pages run no scripts. Each time a record is opened or exported, the audit log keeps who did it and the"
    " reason they gave."
)


def _in(app, language: str, msgid: str) -> str:
    """The text a page in this language shows for msgid, as it appears in the HTML."""
    with app.test_request_context(), force_locale(language):
        text = gettext(msgid)
    assert language == "en" or text != msgid, f"{language} has no translation of {msgid!r}"
    return str(escape(text))


def _english_left(html: str, language: str) -> list[str]:
    """Sentences of the catalog that a page in another language still shows in English: a string that does not
    go through the catalog, or a translation the compiled catalog lacks."""
    if language == "en":
        return []
    return [
        message.id
        for message in _catalog(language)
        if isinstance(message.id, str)
        and " " in message.id
        and "%" not in message.id
        and message.string != message.id
        and re.search(rf"(?<!\w){re.escape(str(escape(message.id)))}(?!\w)", html)
    ]


def _speaks(app, name: str, html: str, language: str, msgid: str) -> None:
    direction = "rtl" if language in RIGHT_TO_LEFT else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in html, name
    assert _in(app, language, msgid) in html, f"{name} in {language} lacks the translation of {msgid!r}"
    assert not _english_left(html, language), f"{name} in {language} shows {_english_left(html, language)}"


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_participant_page_speaks_the_chosen_language_within_budget(app, client, language):
    for name, (response, msgid) in every_participant_page(app, client, language).items():
        _speaks(app, name, page_text(response), language, msgid)
        assert _in(app, language, PARTICIPANT_FOOTER) in page_text(response), name
        body, headers = wire_bytes(response)  # on the wire: the headers waitress sends count too
        assert body + headers <= PAGE_BUDGET_BYTES, (
            f"{name} in {language} is {body} bytes and {headers} of headers, over {PAGE_BUDGET_BYTES}"
        )


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_staff_page_speaks_the_language_asked_for_with_the_staff_footer(app, client, team, language):
    # No page budget here: a list of 50 registrations is larger than a participant page, and is read on a laptop.
    for name, (response, msgid) in every_staff_page(app, client, team, language).items():
        html = page_text(response)
        _speaks(app, name, html, language, msgid)
        assert _in(app, language, STAFF_FOOTER) in html, f"{name} in {language} lacks the staff footer"
        assert _in(app, language, PARTICIPANT_FOOTER) not in html, f"{name} carries the participant footer"


def _links_and_actions(html: str) -> list[str]:
    """Every address a page links or posts to, except the language links (which change the language)."""
    tags = re.findall(r"<(?:a|form)\s[^>]*>", html)
    return [
        re.search(r'(?:href|action)="([^"]*)"', tag).group(1).replace("&amp;", "&")
        for tag in tags
        if not re.search(r'\slang="', tag) and re.search(r'(?:href|action)="', tag)
    ]


def _persian(html: str, where: str) -> None:
    assert '<html lang="fa" dir="rtl">' in html, where
    for address in _links_and_actions(html):
        if address.startswith("/"):
            assert re.search(r"[?&]lang=fa(&|#|$)", address), f"{where} links to {address} without the language"


def test_the_language_chosen_survives_links_and_forms(app, client):
    # Redirects are followed, so a redirect that drops the language lands on an English page and fails.
    def get(address):
        return client.get(address, follow_redirects=True)

    def post(address, data):
        return client.post(address, data=data, follow_redirects=True)

    start = page_text(get("/?lang=fa"))
    _persian(start, "start")
    register_link = next(a for a in _links_and_actions(start) if a.startswith("/register"))
    form = page_text(get(register_link))
    _persian(form, "form")
    action, tokens = form_on(form, "/register")
    with_errors = page_text(post(action, data={**tokens, **valid_answers(full_name="")}))
    _persian(with_errors, "form with errors")
    action, tokens = form_on(with_errors, "/register")
    receipt = page_text(post(action, data={**tokens, **valid_answers()}))
    _persian(receipt, "receipt")
    status_link = next(a for a in _links_and_actions(receipt) if a.startswith("/status"))
    status_form = page_text(get(status_link))
    _persian(status_form, "status form")
    action, tokens = form_on(status_form, "/status")
    status = page_text(post(action, data={**tokens, "codename": codename_on(receipt)}))
    _persian(status, "status")
    pseudonym = re.search(r'id="pseudonym"[^>]*>([^<]+)<', status).group(1)
    approve(app, ids_by_pseudonym(app)[pseudonym])
    approved = page_text(post(action, data={**tokens, "codename": codename_on(receipt)}))
    _persian(approved, "approved status")
    follow_up_action, follow_up_tokens = form_on(approved, "/status/follow-up")
    sent = page_text(post(follow_up_action, data={**follow_up_tokens, **FOLLOW_UP}))
    _persian(sent, "after follow-up")
    withdraw_action, withdraw_tokens = form_on(sent, "/status/withdraw")
    withdrawn = post(withdraw_action, data={**withdraw_tokens, "codename": codename_on(receipt), "confirm": "y"})
    _persian(page_text(withdrawn), "withdrawn")
    back = next(a for a in _links_and_actions(page_text(withdrawn)) if a.startswith("/"))
    _persian(page_text(get(back)), "back at the start")


def test_language_links_name_each_language_in_itself_and_keep_the_page(client):
    html = page_text(client.get("/status?lang=ar"))
    for code, name in LANGUAGES.items():
        assert f'<a href="?lang={code}" lang="{code}" dir="{"rtl" if code in RIGHT_TO_LEFT else "ltr"}"' in html
        assert f">{name}</a>" in html
    # After a form that can only be posted, a language link goes to the start rather than to a page that refuses GET.
    after_post = page_text(client.post("/status/withdraw?lang=ar", data={}))
    assert 'href="/?lang=es" lang="es"' in after_post


def test_accept_language_sets_the_default_and_lang_overrides_it(client):
    assert '<html lang="ru" dir="ltr">' in page_text(
        client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    )
    assert '<html lang="fa" dir="rtl">' in page_text(client.get("/", headers={"Accept-Language": "fa-IR"}))
    assert '<html lang="es" dir="ltr">' in page_text(client.get("/?lang=es", headers={"Accept-Language": "ar"}))
    assert '<html lang="ar" dir="rtl">' in page_text(client.get("/?lang=xx", headers={"Accept-Language": "ar"}))
    assert '<html lang="en" dir="ltr">' in page_text(client.get("/", headers={"Accept-Language": "tlh"}))


def _form_action(html: str) -> str:
    return re.search(r'<form method="post" action="([^"]+)"', html).group(1).replace("&amp;", "&")


def test_before_login_a_staff_page_speaks_what_is_asked_then_what_the_browser_prefers(client):
    assert '<html lang="ar" dir="rtl">' in page_text(client.get("/staff/login", headers={"Accept-Language": "ar"}))
    assert '<html lang="ru" dir="ltr">' in page_text(
        client.get("/staff/login?lang=ru", headers={"Accept-Language": "ar"})
    )
    # A staff page asked for in a language, before login, sends to a login page in that language.
    assert client.get("/staff/audit?lang=es").headers["Location"].endswith("/staff/login?lang=es")
    assert client.get("/audit?lang=fr").headers["Location"].endswith("/staff/audit?lang=fr")


def test_the_login_form_carries_the_language_into_the_session_it_starts(client, team):
    browser = {"Accept-Language": "es"}
    page = page_text(client.get("/staff/login?lang=fa", headers=browser))
    assert '<html lang="fa" dir="rtl">' in page and _form_action(page) == "/staff/login?lang=fa"
    root = team["root"]
    answers = {"csrf_token": csrf_from(page), "username": root.username, "passphrase": root.passphrase}
    refused = page_text(client.post(_form_action(page), data={**answers, "code": "000000"}, headers=browser))
    assert '<html lang="fa" dir="rtl">' in refused and _form_action(refused) == "/staff/login?lang=fa"
    home = client.post(_form_action(refused), data={**answers, "code": root.code()}, headers=browser)
    assert home.status_code == 303
    for path in (home.headers["Location"], "/staff/grants", "/staff/audit", "/staff/wipe"):
        assert '<html lang="fa" dir="rtl">' in page_text(client.get(path, headers=browser)), path


def test_a_language_asked_for_on_a_staff_page_is_kept_for_the_session_only(app, client, team):
    register_canary(client, "QZX7KEPT93")
    login(client, team["root"])  # the browser asks for no language: English
    assert '<html lang="en" dir="ltr">' in page_text(client.get("/staff/"))
    assert '<html lang="ru" dir="ltr">' in page_text(client.get("/staff/grants?lang=ru"))
    record = f"/staff/registrations/{registration_ids(app)[0]}"
    for path in ("/staff/", record, "/staff/audit", "/staff/wipe", "/staff/nowhere"):
        html = page_text(client.get(path, headers={"Accept-Language": "fa"}))
        assert '<html lang="ru" dir="ltr">' in html, f"{path} forgot the language of the session"
    opened = client.post(f"{record}/open", data={"csrf_token": csrf(client), "reason": "checking the language"})
    assert '<html lang="ru" dir="ltr">' in page_text(opened)
    # Another person's session, and a participant's page, keep their own language.
    other = app.test_client()
    login(other, team["audrey"])
    assert '<html lang="en" dir="ltr">' in page_text(other.get("/staff/audit"))
    assert '<html lang="en" dir="ltr">' in page_text(client.get("/"))
    # Logging out lands on a login page still in Russian; the next session starts in the language of its login.
    logged_out = client.post("/staff/logout", data={"csrf_token": csrf(client)}, follow_redirects=True)
    assert '<html lang="ru" dir="ltr">' in page_text(logged_out)
    login(client, team["root"])  # through /staff/login, in English
    assert '<html lang="en" dir="ltr">' in page_text(client.get("/staff/"))


def test_staff_language_links_keep_the_page_its_filters_and_the_form_it_came_from(app, client, team):
    register_canary(client, "QZX7LINK93")
    login(client, team["root"])
    listed = page_text(client.get("/staff/?status=submitted&sort=day&lang=es"))
    assert 'href="?status=submitted&amp;sort=day&amp;lang=fa" lang="fa" dir="rtl"' in listed
    record = f"/staff/registrations/{registration_ids(app)[0]}"
    opened = page_text(client.post(f"{record}/open", data={"csrf_token": csrf(client), "reason": "checking links"}))
    # A page that can only be posted links to the page its form is on, not to one that refuses a GET.
    assert f'href="{record}?lang=ar" lang="ar" dir="rtl"' in opened


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "at most 120 characters."),
        ("ru", "не более 120 символов."),
        ("ar", "على 120 حرفًا."),
        ("fa", "حداکثر 120 نویسه"),
    ],
)
def test_a_too_long_answer_is_told_in_the_plural_form_of_the_language(client, language, expected):
    tokens = hidden_fields(page_text(client.get(f"/register?lang={language}")))
    response = client.post(f"/register?lang={language}", data={**tokens, **valid_answers(full_name="x" * 121)})
    assert response.status_code == 400 and expected in page_text(response)
