"""A codename's written forms: words of any list and digit groups of any script give one number and one look-up;
every single wrong digit and every swap of neighbours is caught by its group; codenames given before keep working."""

from __future__ import annotations

import itertools
import re
import unicodedata

import pytest

import crypto
from crypto.codename import GROUP_COUNT, GROUP_DIGITS, damm
from crypto.messages import participant_key
from crypto.wordlist import CODENAME_LANGUAGES, PREFIX_LETTERS, codename_list, fold

RECEIPT_KEY = bytes(range(32))
LOOKUP_KEY = bytes(range(32, 64))
# Made by the code before codenames had other forms (commit b96ec5d): the same token and keys must still give the
# same codename, look-up and participant key, or every registration made before would be lost to its owner.
OLD_TOKEN = "A" * 43
OLD_CODENAME = "flight walk rent loan algebra tortoise winner yard"
OLD_LOOKUP = "fe8c2eafce3306407f7b1022de21f93f"
OLD_PUBLIC_KEY = "7798b0643605d031670f471d0aafa32e18dee0e3231980ee98120da2dd83563a"


def _number() -> int:
    return crypto.parse_codename(crypto.codename_for_submission(RECEIPT_KEY, crypto.new_submission_token()))


def test_a_codename_given_before_keeps_its_words_look_up_and_participant_key():
    assert crypto.codename_for_submission(RECEIPT_KEY, OLD_TOKEN) == OLD_CODENAME
    assert crypto.codename_lookup(LOOKUP_KEY, OLD_CODENAME).hex() == OLD_LOOKUP
    assert bytes(participant_key(OLD_CODENAME, bytes(16)).public_key).hex() == OLD_PUBLIC_KEY


def test_every_written_form_of_a_codename_gives_its_look_up_and_its_key():
    number = crypto.parse_codename(OLD_CODENAME)
    forms = [crypto.as_words(number, language) for language in CODENAME_LANGUAGES]
    forms += [crypto.as_digits(number, script) for script in crypto.DIGIT_SCRIPTS]
    assert len(set(forms)) == len(forms)
    for form in forms:
        assert crypto.codename_lookup(LOOKUP_KEY, form).hex() == OLD_LOOKUP, form
    assert bytes(participant_key(forms[3], bytes(16)).public_key).hex() == OLD_PUBLIC_KEY


@pytest.mark.parametrize("language", CODENAME_LANGUAGES)
def test_words_of_each_list_forgive_case_accents_separators_and_prefixes(language):
    number = _number()
    words = crypto.as_words(number, language).split()
    unaccented = "".join(c for c in unicodedata.normalize("NFKD", " ".join(words)) if not unicodedata.combining(c))
    for typed in (
        " ".join(words).upper(),
        "-".join(words),
        "  " + ",  ".join(word.capitalize() for word in words) + "\n",
        unaccented,
        " ".join(fold(word)[:PREFIX_LETTERS] for word in words),
    ):
        assert crypto.parse_codename(typed) == number, typed


def test_digits_forgive_script_spaces_and_dashes():
    number = _number()
    latin = crypto.as_digits(number)
    assert re.fullmatch(r"(\d{4} ){8}\d{4}", latin)
    for typed in (
        latin.replace(" ", ""),
        latin.replace(" ", "-"),
        " " + latin.replace(" ", "  ") + "\n",
        crypto.as_digits(number, "arabic"),
        crypto.as_digits(number, "persian").replace(" ", "-"),
        latin.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"}),  # full-width, as some keyboards type
    ):
        assert crypto.parse_codename(typed) == number, typed


def test_damm_catches_every_single_wrong_digit_and_every_swap_of_neighbours_in_every_group():
    missed = []
    for data in itertools.product(range(10), repeat=GROUP_DIGITS - 1):
        group = [*data, damm(list(data))]
        assert damm(group) == 0
        for position, wrong in itertools.product(range(GROUP_DIGITS), range(10)):
            if wrong != group[position]:
                typo = group[:position] + [wrong] + group[position + 1 :]
                if damm(typo) == 0:
                    missed.append((group, typo))
        for position in range(GROUP_DIGITS - 1):
            swapped = group[:]
            swapped[position], swapped[position + 1] = swapped[position + 1], swapped[position]
            if swapped != group and damm(swapped) == 0:
                missed.append((group, swapped))
    assert missed == []


@pytest.mark.parametrize("script", list(crypto.DIGIT_SCRIPTS))
def test_a_wrong_digit_is_named_by_its_group(script):
    digits = crypto.DIGIT_SCRIPTS[script]
    text = crypto.as_digits(_number(), script)
    for group in range(GROUP_COUNT):
        position = group * (GROUP_DIGITS + 1) + 2
        wrong = digits[(digits.index(text[position]) + 3) % 10]
        typo = text[:position] + wrong + text[position + 1 :]
        with pytest.raises(crypto.CodenameMistake) as caught:
            crypto.parse_codename(typo)
        assert (caught.value.kind, caught.value.position) == ("group", group + 1)
        assert typo.split()[group] not in str(caught.value), "the message holds nothing typed"


def test_a_group_typed_short_is_named_and_a_codename_typed_whole_but_short_is_refused():
    groups = crypto.as_digits(_number()).split()
    with pytest.raises(crypto.CodenameMistake) as caught:
        crypto.parse_codename(" ".join(groups[:4] + [groups[4][:3]] + groups[5:]))
    assert (caught.value.kind, caught.value.position) == ("group", 5)
    with pytest.raises(crypto.InvalidCodename):
        crypto.parse_codename("".join(groups)[:-1])


def test_a_word_not_in_the_list_is_named():
    words = crypto.as_words(_number(), "fr").split()
    with pytest.raises(crypto.CodenameMistake) as caught:
        crypto.parse_codename(" ".join(words[:6] + ["qqqqq"] + words[7:]))
    assert (caught.value.kind, caught.value.position) == ("word", 7)


def test_words_of_two_lists_in_one_codename_are_refused():
    number = _number()
    mixed = crypto.as_words(number, "es").split()[:4] + crypto.as_words(number, "fr").split()[4:]
    with pytest.raises(crypto.InvalidCodename):
        crypto.parse_codename(" ".join(mixed))


@pytest.mark.parametrize(
    "text", ["", "123", "0000 " * 8 + "000", "9999" * 9, "1234 abcd " * 4, "кот " * 8, "٠١٢٣ abc", "🙂" * 36]
)
def test_what_is_no_codename_is_refused(text):
    with pytest.raises(crypto.InvalidCodename):
        crypto.parse_codename(text)


def test_no_typed_prefix_names_words_of_two_lists():
    owner: dict[str, str] = {}
    for language in CODENAME_LANGUAGES:
        for word in codename_list(language).words:
            prefix = fold(word)[:PREFIX_LETTERS]
            assert owner.setdefault(prefix, language) == language, f"{word!r} ({language}) shares {prefix!r}"
