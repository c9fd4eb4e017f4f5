"""A codename's written forms: the 88-bit number as words of any list, or as digit groups with a check digit each.

The canonical form, the one hashed for the look-up and from which the participant's key is derived, is the English
words (as codenames were written before any other form existed), so every codename ever given keeps working.

Digits: the number in 27 decimal digits, cut into 9 groups of 3, each followed by its Damm check digit, so
"0123 4567 …": 36 digits in all. Damm's check catches every single wrong digit and every swap of two neighbours
within a group, whichever digit script it was typed in; a group that fails is named, decided from the text alone.

Words: 8 words of 11 bits from one list. No two lists share a word's first four letters (folded, see
crypto.wordlist.fold), so every typed word names its list; a codename takes all its words from one.
"""

from __future__ import annotations

import re
import unicodedata

from crypto.errors import CodenameMistake, InvalidCodename
from crypto.wordlist import CODENAME_LANGUAGES, codename_list, fold, split_words

CODENAME_BITS = 88
CODENAME_WORD_COUNT = 8  # 8 words of 11 bits: 88 bits, beyond any online or offline guessing
GROUP_COUNT, GROUP_DATA_DIGITS = 9, 3  # 27 digits hold any 88-bit number (10**27 > 2**88)
GROUP_DIGITS = GROUP_DATA_DIGITS + 1

DIGIT_SCRIPTS = {
    "latin": "0123456789",
    "arabic": "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",  # Arabic-Indic, as Arabic writes them
    "persian": "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9",  # Extended Arabic-Indic, as Persian does
}

# Damm's quasigroup of order 10 (weakly totally anti-symmetric): row = interim digit, column = next digit.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212.,·_/]+")


def damm(digits: list[int]) -> int:
    """Damm's check: the digit to append to ``digits`` so that the whole has check 0."""
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][digit]
    return interim


def as_words(number: int, language: str = "en") -> str:
    """The codename in words of this language's list (CODENAME_LANGUAGES)."""
    return " ".join(codename_list(language).encode(number, CODENAME_WORD_COUNT))


def as_digits(number: int, script: str = "latin") -> str:
    """The codename as 9 groups of 4 digits, in this script (DIGIT_SCRIPTS), separated by spaces."""
    data = [int(d) for d in str(number).zfill(GROUP_COUNT * GROUP_DATA_DIGITS)]
    groups = []
    for start in range(0, len(data), GROUP_DATA_DIGITS):
        chunk = data[start : start + GROUP_DATA_DIGITS]
        groups.append("".join(DIGIT_SCRIPTS[script][d] for d in [*chunk, damm(chunk)]))
    return " ".join(groups)


def parse_codename(text: str) -> int:
    """The number any written form of a codename stands for.

    CodenameMistake names the digit group or the word that cannot be right (decided from the text alone);
    InvalidCodename says the text is no codename at all. Neither message holds what was typed.
    """
    folded = fold(text)
    if any(c.isalpha() for c in folded):
        number = _from_words(split_words(folded))
    else:
        number = _from_digits(folded)
    if number >> CODENAME_BITS:
        raise InvalidCodename("this number is larger than any codename")
    return number


def canonical_codename(text: str) -> str:
    """The canonical form (English words) of any written form of a codename."""
    return as_words(parse_codename(text))


def _from_words(words: list[str]) -> int:
    if len(words) != CODENAME_WORD_COUNT:
        raise InvalidCodename("a codename has eight words")
    best: tuple[int, str] = (-1, "en")
    for language in CODENAME_LANGUAGES:
        wordlist = codename_list(language)
        known = [_in(wordlist, word) for word in words]
        if all(known):
            return wordlist.decode([wordlist.canonical(word) for word in words])
        best = max(best, (sum(known), language), key=lambda pair: pair[0])
    if best[0] >= CODENAME_WORD_COUNT // 2:  # most words are of one list: name the first that is not
        wordlist = codename_list(best[1])
        raise CodenameMistake("word", 1 + next(i for i, word in enumerate(words) if not _in(wordlist, word)))
    raise InvalidCodename("these words are not a codename")


def _in(wordlist, word: str) -> bool:
    try:
        wordlist.canonical(word)
    except KeyError:
        return False
    return True


def _from_digits(folded: str) -> int:
    chunks = [chunk for chunk in _SEPARATORS.split(folded.strip()) if chunk]
    if not chunks or not all(_is_digits(chunk) for chunk in chunks):
        raise InvalidCodename("a codename is words or digits")
    digits = [unicodedata.decimal(c) for c in "".join(chunks)]
    if len(digits) != GROUP_COUNT * GROUP_DIGITS:
        if len(chunks) == GROUP_COUNT:  # typed in groups: the one of the wrong length is the mistake
            raise CodenameMistake("group", 1 + next(i for i, c in enumerate(chunks) if len(c) != GROUP_DIGITS))
        raise InvalidCodename("a codename in digits has 36 digits")
    number = 0
    for group in range(GROUP_COUNT):
        chunk = digits[group * GROUP_DIGITS : (group + 1) * GROUP_DIGITS]
        if damm(chunk) != 0:
            raise CodenameMistake("group", group + 1)
        for digit in chunk[:GROUP_DATA_DIGITS]:
            number = number * 10 + digit
    return number


def _is_digits(chunk: str) -> bool:
    return all(unicodedata.decimal(c, None) is not None for c in chunk)
