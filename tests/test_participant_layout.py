"""The form says once per compartment who reads its answers and until when; dates never double a full stop; the
start page's way in is a big button; the language list names each language in itself, isolated, in one order."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, gettext

from app.web.i18n import LANGUAGES, RIGHT_TO_LEFT
from app.web.state import state_of
from tests.helpers import every_participant_page, page_text

_FIELDSET = re.compile(
    r'<fieldset aria-describedby="note-(\w+)"><legend>(.*?)</legend>\s*<p class="hint" id="note-\1">(.*?)</p>', re.S
)


def _parts(html: str) -> dict[str, tuple[str, str]]:
    return {name: (legend, note) for name, legend, note in _FIELDSET.findall(html)}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_each_compartment_says_once_who_reads_its_answers_and_when_each_is_destroyed(app, client, language):
    html = page_text(client.get(f"/register?lang={language}"))
    parts = _parts(html)
    assert list(parts) == ["identity", "contact", "needs", "safety"], parts
    assert html.count('class="hint" id="note-') == 4, "one note per compartment, none under each field"
    with app.test_request_context(), force_locale(language):
        only = gettext("Only %(readers)s can read these answers.")
    event = state_of(app).instance.event
    for name, (legend, note) in parts.items():
        assert legend == event.compartment(name).label(language), f"{name}: the legend is the compartment's label"
        assert note.startswith(only.split("%(readers)s")[0]), f"{name}: {note}"
    # Identity keeps the badge name for less time than the rest: its note names both days, and which answers go when.
    identity = parts["identity"][1]
    assert identity.count("2027") == 2, identity
    assert "Name on your badge" not in identity or language == "en"


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_no_page_doubles_a_full_stop_after_a_date(app, client, language):
    for name, (response, _msgid) in every_participant_page(app, client, language).items():
        text = re.sub(r"<[^>]+>", "", page_text(response))
        doubled = re.findall(r".{0,30}(?<!\.)\.\.(?!\.)", text)
        assert not doubled, f"{name} in {language}: {doubled}"


def test_russian_dates_end_in_one_full_stop(client):
    html = page_text(client.get("/register?lang=ru"))
    assert re.search(r"2027\sг\.", html), "Babel's Russian date ends in 'г.' (after a no-break space)"
    assert not re.search(r"2027\sг\.\.", html)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_start_page_leads_to_the_form_through_a_big_button(app, client, language):
    html = page_text(client.get(f"/?lang={language}"))
    with app.test_request_context(), force_locale(language):
        register = gettext("Register")
    assert f'<a class="button" href="/register?lang={language}">{register}</a>' in html
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    assert re.search(r"a\.button\{display:block", style), "the button spans the width of a phone"


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_language_list_names_each_language_in_itself_isolated_and_in_one_order(app, client, language):
    for name, (response, _msgid) in every_participant_page(app, client, language).items():
        nav = re.search(r"<nav [^>]*>(.*?)</nav>", page_text(response), re.S)
        assert nav, name
        # Links, or on the receipt buttons that carry the secret code to the same receipt in another language.
        links = re.findall(
            r'<(?:a href|button formaction)="[^"]*" lang="(\w+)" dir="(\w+)"[^>]*>([^<]+)</', nav.group(1)
        )
        assert [code for code, _dir, _name in links] == list(LANGUAGES), f"{name} in {language}"
        for code, direction, own_name in links:
            assert own_name == LANGUAGES[code] and direction == ("rtl" if code in RIGHT_TO_LEFT else "ltr"), name


def test_english_texts_standing_in_on_an_arabic_page_are_isolated(tmp_path):
    """An event without Arabic texts: each English text the Arabic start page shows is set apart in <bdi>, so that
    "purpose؛ readers" cannot run together into garbled lines; the demo, which has them all, needs none."""
    from app.events.definition import demo_event_source
    from app.instance.setup import create_instance
    from app.web.application import create_app

    source = re.sub(r'^\w+\.ar = .*\n|, ar = "[^"]*"', "", demo_event_source(), flags=re.M)
    create_instance(tmp_path / "instance", source)
    client = create_app({"INSTANCE_DIR": tmp_path / "instance", "TESTING": True}).test_client()
    html = page_text(client.get("/?lang=ar"))
    assert "<bdi>to know who is coming and print your badge</bdi>؛ <bdi>the registration team</bdi>" in html
    assert "<bdi>Stockholm, Sweden</bdi>" in html
    form = page_text(client.get("/register?lang=ar"))
    assert "<legend><bdi>Identity</bdi></legend>" in form and "<bdi>Vegan</bdi>" in form


def test_the_translated_demo_needs_no_isolation_on_its_arabic_pages(client):
    html = page_text(client.get("/?lang=ar"))
    assert "<bdi>" not in html.split("<main>")[1], "every text is Arabic: nothing to set apart, and no bytes spent"
