"""Each idea has one term per language (app/web/translations/glossary.toml), and the catalogs use only it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "app" / "web" / "translations"
LANGUAGES = ("es", "fr", "ru", "ar", "fa")
IDEAS = tomllib.loads((TRANSLATIONS / "glossary.toml").read_text("utf-8"))["idea"]


def _catalog(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language)


def _checked(message) -> bool:
    return bool(message.id if isinstance(message.id, str) else message.id[0])


def breaches(idea: dict, language: str, catalog) -> list[str]:
    """Each translation of a message about this idea that lacks its term or uses a word it rules out."""
    rule = idea.get(language)
    if rule is None:
        return []
    english = re.compile(idea.get("english", ""), re.IGNORECASE)
    found = []
    for message in filter(_checked, catalog):
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        if not english.search(msgid):
            continue
        for text in message.string if isinstance(message.string, (list, tuple)) else (message.string,):
            lacks = "use" in rule and not re.search(rule["use"], text, re.IGNORECASE)
            avoided = [word for word in rule["avoid"] if re.search(word, text, re.IGNORECASE)]
            if lacks or avoided:
                found.append(f"{msgid!r}: {text!r} {'lacks the term' if lacks else ''} {' '.join(avoided)}")
                break
    return found


def test_the_glossary_gives_each_idea_its_trigger_and_terms():
    for idea in IDEAS:
        assert idea["name"] and set(idea) - {"name", "english"} <= set(LANGUAGES), idea["name"]
        re.compile(idea.get("english", ""))
        for language in LANGUAGES:
            for pattern in [idea[language].get("use", "")] + idea[language]["avoid"] if language in idea else []:
                re.compile(pattern)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogs_use_only_the_glossary_term_for_each_idea(language):
    catalog = _catalog(language)
    found = [f"{idea['name']}: {breach}" for idea in IDEAS for breach in breaches(idea, language, catalog)]
    assert not found, f"{language}:\n" + "\n".join(found)


def test_a_word_the_glossary_rules_out_is_named():
    """Arabic "deleted" (حذف) where a value is destroyed, as the catalogs said before: the check names it."""
    destroy = next(idea for idea in IDEAS if idea["name"].startswith("destroy"))
    catalog = _catalog("ar")
    catalog.get("Destroy this record").string = "حذف هذا التسجيل"
    assert any("حذف" in breach for breach in breaches(destroy, "ar", catalog))
