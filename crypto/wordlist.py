"""Word lists shipped with Gatehouse, and turning numbers into words and back."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

PREFIX_LETTERS = 4  # every codename word is known by its first four letters

_NOT_LETTERS = re.compile(r"[^\w]+|[\d_]+")


def split_words(text: str) -> list[str]:
    """Words of text, folded for comparison: case, width and any separators ignored."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return [word for word in _NOT_LETTERS.split(folded) if word]


class WordList:
    """An ordered list of 2**n words; a word may be typed in full or by its prefix."""

    def __init__(self, words: tuple[str, ...]) -> None:
        if len(words) & (len(words) - 1) or len(set(words)) != len(words):
            raise ValueError("a word list holds a power of two of distinct words")
        self.words = words
        self.bits_per_word = len(words).bit_length() - 1
        self._position = {word: position for position, word in enumerate(words)}
        self._by_prefix = {word[:PREFIX_LETTERS]: word for word in words}

    def canonical(self, typed: str) -> str:
        """The list's word for what was typed (whole word or its first letters); KeyError if none."""
        if typed in self._position:
            return typed
        word = self._by_prefix.get(typed[:PREFIX_LETTERS])
        if word is None or len(typed) < PREFIX_LETTERS or not word.startswith(typed):
            raise KeyError("not a word of this list")  # never the typed text: it is part of a secret
        return word

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


@cache
def codename_list() -> WordList:
    return WordList(_lines("codename-en.txt"))


def pseudonym_parts() -> tuple[tuple[str, ...], tuple[str, ...]]:
    return _lines("pseudonym-adjectives.txt"), _lines("pseudonym-nouns.txt")
