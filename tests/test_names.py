"""Codenames, pseudonyms, recovery words and keyed look-ups."""

from __future__ import annotations

import math
import re

import pytest

import crypto
from crypto.wordlist import CODENAME_LANGUAGES, PREFIX_LETTERS, codename_list, fold, pseudonym_parts

LOOKUP_KEY = bytes(range(32))
RECEIPT_KEY = bytes(range(32, 64))


ALPHABETS = {
    "en": r"[a-z]{4,8}",
    "es": r"[a-záéíóúüñ]{4,9}",
    "fr": r"[a-zàâçéèêëîïôûùüÿ]{4,9}",
    "ru": r"[а-яё]{4,10}",
}
# Stems no codename word may begin with: what a defender should not be found carrying on paper, and insults.
NEVER = {
    "en": "kill bomb dead death gun prison police torture sex porn shit fuck bitch",
    "es": "muert matar bomba arma cárcel carcel polic tortur sexo puta mierda cabrón cabron coño terror cagar puto"
    " verga",
    "fr": "mort tuer bombe arme prison polic tortur sexe pute merde salaud connard terror connasse couille enculé"
    " foutre nique",
    "ru": "смерт убий убит бомб оруж тюрьм полиц пытк секс бляд дерьм сука террор хуйн пизд",
}


def test_codename_carries_at_least_88_bits():
    words = codename_list().words
    assert len(words) == 2048
    assert crypto.CODENAME_WORD_COUNT * math.log2(len(words)) >= 88


@pytest.mark.parametrize("language", CODENAME_LANGUAGES)
def test_codename_words_are_plain_and_known_by_their_first_letters(language):
    words = codename_list(language).words
    assert len(words) == 2048 and len(set(words)) == 2048
    assert all(re.fullmatch(ALPHABETS[language], word) for word in words)
    folded = [fold(word) for word in words]
    assert len(set(folded)) == len(words), "no two words differ by accents alone"
    assert len({word[:PREFIX_LETTERS] for word in folded}) == len(words), "accents forgiven, four letters name a word"


@pytest.mark.parametrize("language", CODENAME_LANGUAGES)
def test_codename_words_are_inoffensive(language):
    stems = tuple(fold(stem) for stem in NEVER[language].split())
    assert [word for word in codename_list(language).words if fold(word).startswith(stems)] == []


def test_codename_is_fixed_by_its_form_and_differs_between_forms():
    token = crypto.new_submission_token()
    codename = crypto.codename_for_submission(RECEIPT_KEY, token)
    assert codename == crypto.codename_for_submission(RECEIPT_KEY, token)
    assert codename != crypto.codename_for_submission(RECEIPT_KEY, crypto.new_submission_token())
    assert codename != crypto.codename_for_submission(LOOKUP_KEY, token), "the token alone does not give the codename"
    assert len(codename.split()) == crypto.CODENAME_WORD_COUNT


def test_codename_look_up_forgives_case_spacing_separators_and_prefixes():
    codename = crypto.codename_for_submission(RECEIPT_KEY, crypto.new_submission_token())
    words = codename.split()
    expected = crypto.codename_lookup(LOOKUP_KEY, codename)
    typed = [
        codename.upper(),
        "  " + "   ".join(words) + "\n",
        "-".join(words),
        ", ".join(word.capitalize() for word in words),
        " ".join(word[:PREFIX_LETTERS] for word in words),
        "".join(
            chr(ord(c) + 0xFEE0) if c.isalpha() else c for c in codename
        ),  # full-width letters, as some keyboards type
    ]
    for text in typed:
        assert crypto.codename_lookup(LOOKUP_KEY, text) == expected, text


def test_codename_look_up_is_keyed():
    codename = crypto.codename_for_submission(RECEIPT_KEY, crypto.new_submission_token())
    assert crypto.codename_lookup(LOOKUP_KEY, codename) != crypto.codename_lookup(RECEIPT_KEY, codename)


@pytest.mark.parametrize("text", ["", "one two three", "zzzz " * 8, "кот " * 8])
def test_not_a_codename_is_refused(text):
    with pytest.raises(crypto.InvalidCodename):
        crypto.codename_lookup(LOOKUP_KEY, text)


def test_a_prefix_shorter_than_four_letters_is_refused():
    codename = crypto.codename_for_submission(RECEIPT_KEY, crypto.new_submission_token())
    with pytest.raises(crypto.InvalidCodename):
        crypto.normalise_codename(" ".join(word[:3] for word in codename.split()))


def test_pseudonyms_read_like_a_name_and_number():
    adjectives, nouns = pseudonym_parts()
    assert len(set(adjectives)) == 256 and len(set(nouns)) == 256 and not set(adjectives) & set(nouns)
    for _ in range(50):
        assert re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+ [1-9]\d", crypto.new_pseudonym())


def test_recovery_words_give_back_the_key():
    key = crypto.new_key_pair()
    words = crypto.recovery_words(key)
    assert len(words) == 24
    assert bytes(crypto.private_key_from_recovery_words(" ".join(words).upper())) == bytes(key)


def test_a_changed_recovery_word_is_caught_by_the_checksum():
    key = crypto.new_key_pair()
    words = crypto.recovery_words(key)
    caught = 0
    for replacement in codename_list().words[:50]:
        if replacement == words[5]:
            continue
        try:
            crypto.private_key_from_recovery_words(" ".join(words[:5] + [replacement] + words[6:]))
        except crypto.InvalidRecoveryWords:
            caught += 1
    assert caught >= 45, "an 8-bit checksum misses about one change in 256"


@pytest.mark.parametrize("text", ["", "word " * 23, "zzzzqq " * 24])
def test_malformed_recovery_words_are_refused(text):
    with pytest.raises(crypto.InvalidRecoveryWords):
        crypto.private_key_from_recovery_words(text)


def test_submission_tokens_are_recognised_and_forgeries_are_not():
    assert crypto.is_submission_token(crypto.new_submission_token())
    for forged in ("", "short", "a" * 42, "a" * 44, "!" * 43, "a" * 42 + "\n"):
        assert not crypto.is_submission_token(forged)


def test_a_registration_id_is_derived_from_the_whole_codename_look_up():
    lookup = crypto.codename_lookup(bytes(32), "food " * 7 + "food")
    assert len(lookup) == crypto.CODENAME_LOOKUP_BYTES == 16
    registration_id = crypto.registration_id_for(lookup)
    assert re.fullmatch(r"[0-9a-f]{32}", registration_id)
    assert registration_id != lookup.hex()
    assert len({crypto.registration_id_for(bytes([i]) + lookup[1:]) for i in range(256)}) == 256
    assert len({crypto.registration_id_for(lookup[:15] + bytes([i])) for i in range(256)}) == 256
    with pytest.raises(ValueError):
        crypto.registration_id_for(lookup + b"\x00")


def test_every_drawn_pseudonym_is_three_bytes_and_nothing_else_is():
    for _ in range(200):
        pseudonym = crypto.new_pseudonym()
        indices = crypto.pseudonym_indices(pseudonym)
        assert indices is not None and len(indices) == 3
        assert crypto.pseudonym_from_indices(indices) == pseudonym
    adjective, noun, number = crypto.new_pseudonym().split(" ")
    for other in (
        f"{adjective} {noun} 9",
        f"{adjective} {noun} 100",
        f"{adjective} {noun} 07",
        f"{adjective}  {noun} 42",
        f"{noun} {adjective} 42",
        f"{adjective} {noun} ٤٢",
        "P-1",
    ):
        assert crypto.pseudonym_indices(other) is None, other
    for impossible in (b"\x00\x00\x5a", b"\x00\x00", b"\x00\x00\x00\x00"):
        with pytest.raises(ValueError):
            crypto.pseudonym_from_indices(impossible)
