"""Word lists shipped with Gatehouse, and turning numbers into words and back."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

PREFIX_LETTERS = 4  # every codename word is known by its first four letters

_NOT_LETTERS = re.compile(r"[^\w]+|[\d_]+")


def fold(text: str) -> str:
    """Text as words are compared: width, case and accents forgiven (é == e, ñ == n, ё == е, й == и)."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def split_words(text: str) -> list[str]:
    """Words of text, folded for comparison: width, case, accents and any separators ignored."""
    return [word for word in _NOT_LETTERS.split(fold(text)) if word]


class WordList:
    """An ordered list of 2**n words; a word may be typed in full or by its prefix, folded (see fold)."""

    def __init__(self, words: tuple[str, ...]) -> None:
        if len(words) & (len(words) - 1) or len(set(words)) != len(words):
            raise ValueError("a word list holds a power of two of distinct words")
        self.words = words
        self.bits_per_word = len(words).bit_length() - 1
        self._position = {word: position for position, word in enumerate(words)}
        self._folded = {fold(word): word for word in words}
        self._by_prefix = {folded[:PREFIX_LETTERS]: folded for folded in self._folded}

    def canonical(self, typed: str) -> str:
        """The list's word for what was typed (whole word or its first letters, folded); KeyError if none."""
        if typed in self._position:
            return typed
        folded = self._by_prefix.get(typed[:PREFIX_LETTERS])
        if folded is None or len(typed) < PREFIX_LETTERS or not folded.startswith(typed):
            raise KeyError("not a word of this list")  # never the typed text: it is part of a secret
        return self._folded[folded]

    def encode(self, number: int, count: int) -> list[str]:
        mask = (1 << self.bits_per_word) - 1
        shifts = range(self.bits_per_word * (count - 1), -1, -self.bits_per_word)
        return [self.words[(number >> shift) & mask] for shift in shifts]

    def decode(self, words: list[str]) -> int:
        number = 0
        for word in words:
            number = (number << self.bits_per_word) | self._position[word]
        return number


@cache
def _lines(name: str) -> tuple[str, ...]:
    text = resources.files("crypto").joinpath(f"wordlists/{name}").read_text("utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


CODENAME_LANGUAGES = ("en", "es", "fr", "ru")  # the languages a codename can be written in words of


@cache
def codename_list(language: str = "en") -> WordList:
    """The codename words of this language (one of CODENAME_LANGUAGES); English is the canonical form."""
    if language not in CODENAME_LANGUAGES:
        raise ValueError("there is no codename word list for this language")
    return WordList(_lines(f"codename-{language}.txt"))


def pseudonym_parts() -> tuple[tuple[str, ...], tuple[str, ...]]:
    return _lines("pseudonym-adjectives.txt"), _lines("pseudonym-nouns.txt")
