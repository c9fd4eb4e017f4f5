"""The demo event speaks every language offered: `gatehouse check-event` finds no text missing, names one that is,
and no participant page of the demo in another language shows any of the event's English texts."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from app.events.completeness import participant_texts
from app.events.definition import demo_event_source, load_event
from app.web.languages import LANGUAGES
from tests.helpers import every_participant_page, page_text
from tests.kit_fixtures import gatehouse

DEMO = Path(__file__).resolve().parents[1] / "app" / "events" / "demo.toml"


def test_check_event_finds_every_text_of_the_demo_in_every_language():
    checked = gatehouse("check-event", str(DEMO))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "every text is given in en, es, fr, ru, ar, fa" in checked.stdout


def test_check_event_names_each_text_missing_in_a_language(tmp_path):
    source = demo_event_source()
    without = re.sub(r"^help\.fa = \"می‌تواند نام کوچک.*\n", "", source, flags=re.M)
    without = without.replace(', fa = "وگان" }', " }")
    assert without.count("\n") == source.count("\n") - 1
    event_file = tmp_path / "event.toml"
    event_file.write_text(without, encoding="utf-8")
    checked = gatehouse("check-event", str(event_file))
    assert checked.returncode == 1
    assert "field 'badge_name' help: fa" in checked.stdout
    assert "field 'diet' choice 'vegan': fa" in checked.stdout
    assert "2 texts are missing" in checked.stdout


def test_check_event_refuses_a_broken_file_in_one_sentence(tmp_path):
    event_file = tmp_path / "event.toml"
    event_file.write_text("[event]\nid = 'x'\n", encoding="utf-8")
    checked = gatehouse("check-event", str(event_file))
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
    assert "starts" in checked.stderr or "is missing" in checked.stderr


def _english_texts() -> dict[str, dict[str, str | None]]:
    """Each English text of the demo a participant may read, with its text in each language (None where missing)."""
    event = load_event(demo_event_source())
    return {
        text("en"): {language: text(language) if language in text.languages() else None for language in LANGUAGES}
        for _where, text in participant_texts(event)
    }


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_no_participant_page_shows_an_english_text_of_the_demo(app, client, language):
    # A text that is the same word in both languages ("Halal", "Visa") is not English left behind.
    texts = {
        english: by_language for english, by_language in _english_texts().items() if by_language[language] != english
    }
    for name, (response, _msgid) in every_participant_page(app, client, language).items():
        shown = html.unescape(re.sub(r"<[^>]+>", "", page_text(response)))
        left = [english for english in texts if re.search(rf"(?<!\w){re.escape(english)}(?!\w)", shown)]
        assert not left, f"{name} in {language} shows English: {left}"


def test_the_demo_writes_persian_with_persian_letters():
    # Arabic yeh and kaf look alike but break search and sorting for a Persian reader.
    event = load_event(demo_event_source())
    for where, text in participant_texts(event):
        assert not re.search("[\u064a\u0643\u0649]", text("fa")), where
