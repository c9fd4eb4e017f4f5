"""A codename as a participant page writes it: words of the page's language where Gatehouse has a list for it, and
always digit groups in the language's own digits (Arabic-Indic for Arabic, Persian for Persian, Latin elsewhere)."""

from __future__ import annotations

import crypto

# Arabic and Persian readers get digits only: words of a list in another script would be letters to copy, one by one,
# that they may not read; the digits are their own, and each group checks itself.
_DIGIT_SCRIPT = {"ar": "arabic", "fa": "persian"}


def digit_script(language: str) -> str:
    return _DIGIT_SCRIPT.get(language, "latin")


def written_forms(codename: str, language: str) -> tuple[str | None, str]:
    """(words in this language or None, digit groups in its digits) of a codename in any written form."""
    number = crypto.parse_codename(codename)
    words = crypto.as_words(number, language) if language in crypto.CODENAME_LANGUAGES else None
    return words, crypto.as_digits(number, digit_script(language))


def local_number(number: int, language: str) -> str:
    """A small number, such as the group a mistake is in, in the language's own digits."""
    digits = crypto.DIGIT_SCRIPTS[digit_script(language)]
    return "".join(digits[int(d)] for d in str(number))
