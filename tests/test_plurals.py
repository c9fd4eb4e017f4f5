"""Every plural message, in every language, shows the form its number needs: the compiled catalog picks one form per
plural category of Babel's rule for the locale (CLDR: zero, one, two, few, many, other), and each form is written
in the grammar of its numbers.

The rule that runs is the catalog's own Plural-Forms header, compiled into the .mo. For Arabic it numbers the forms
0, 1, 2, 3-10, 100-102, 11-99 (Babel's current default puts 11-99 before 100-102): the test follows the header and
checks that its forms match Babel's categories, whatever their order."""

from __future__ import annotations

import gettext
import re
from functools import cache
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.pofile import read_po
from babel.support import Translations

import app.web as web_package

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "app" / "web" / "translations"
COMPILED = Path(web_package.__file__).parent / "translations"
LANGUAGES = ("es", "fr", "ru", "ar", "fa")
NUMBERS = (0, 1, 2, 3, 11, 45, 100, 101)
_COUNTED = re.compile(r"%\(num\)d\s+([^\s.,:;،؛)]+)")


class _Values(dict):
    """What a form's placeholders are filled with: the number, and a stand-in for any other value."""

    def __init__(self, number: int) -> None:
        super().__init__(num=number)

    def __missing__(self, key: str) -> str:
        return f"<{key}>"


@cache
def _catalog(language: str):
    with (SOURCES / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language)


def _plural_messages(language: str):
    return [message for message in _catalog(language) if message.pluralizable and message.id]


def _form_index(language: str, number: int) -> int:
    """The form the catalog's rule picks for this number."""
    return gettext.c2py(_catalog(language).plural_expr)(number)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_rule_gives_each_babel_plural_category_its_own_form(language):
    locale, forms = Locale.parse(language), _catalog(language).num_plurals
    index_of: dict[str, set[int]] = {}
    for number in NUMBERS:
        index_of.setdefault(locale.plural_form(number), set()).add(_form_index(language, number))
    assert all(len(indices) == 1 for indices in index_of.values()), f"{language}: a category spans forms {index_of}"
    if forms >= len(index_of):  # Persian keeps one form for all: nothing more to tell apart
        indices = [next(iter(indices)) for indices in index_of.values()]
        assert len(set(indices)) == len(indices), f"{language}: two categories share a form {index_of}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_shows_the_form_the_rule_picks_for_each_number(language):
    compiled = Translations.load(str(COMPILED), [language])
    messages = _plural_messages(language)
    assert messages, f"{language} has no plural message"
    for message in messages:
        singular, plural = message.id
        for number in NUMBERS:
            expected = message.string[_form_index(language, number)] % _Values(number)
            shown = compiled.ngettext(singular, plural, number) % _Values(number)
            assert shown == expected, f"{language} {number}: {singular!r} shows {shown!r}, not {expected!r}"


def _grammar_breach(language: str, category: str, form: str) -> str | None:
    """Why this form cannot be the one for numbers of this CLDR category; None when it reads right."""
    counted = _COUNTED.search(form)
    word = counted.group(1) if counted else None
    if language == "ar":
        # 11-99 take a singular noun with tanwin ("45 يومًا"); 3-10 a plural, 100-102 a plain singular ("100 يوم").
        if category == "many" and (word is None or "\u064b" not in word):
            return "11 to 99 take the accusative singular with tanwin (يومًا)"
        if category in ("few", "other") and word is not None and "\u064b" in word:
            return "3 to 10 and 100 to 102 take no tanwin (أيام, يوم)"
        if category == "two" and word is not None:
            return "two is said with the dual (يومان, يومين), not the number"
    if language == "ru" and word is not None:
        many = re.search(r"(ей|ов|ий)$", word)
        if category == "many" and not many:
            return "5 to 20, 0, 11 and 100 take the genitive plural (дней, решений)"
        if category == "one" and many:
            return "1, 21 and 101 do not take the genitive plural"
    if language in ("es", "fr") and word is not None:
        if category == "one" and word.endswith("s"):
            return "one takes the singular"
        if category == "other" and not word.endswith(("s", "x")):
            return "the other numbers take the plural"
    return None


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_plural_form_is_written_in_the_grammar_of_its_numbers(language):
    locale = Locale.parse(language)
    breaches = []
    for message in _plural_messages(language):
        for number in NUMBERS:
            form = message.string[_form_index(language, number)]
            why = _grammar_breach(language, locale.plural_form(number), form)
            if why:
                breaches.append(f"{number}: {form!r}: {why}")
    assert not breaches, f"{language}:\n" + "\n".join(breaches)


def test_arabic_forms_for_45_and_100_swapped_are_caught():
    """The bug the demo showed ("بعد 45 يوم", "بعد 100 يومًا"): forms 4 and 5 the wrong way round."""
    many, other = "يُتلف بعد %(num)d يومًا.", "يُتلف بعد %(num)d يوم."
    assert _grammar_breach("ar", "many", other) and _grammar_breach("ar", "other", many)
    assert not _grammar_breach("ar", "many", many) and not _grammar_breach("ar", "other", other)
