"""The secret code (codename) on participant pages: shown first on the receipt, in the page's words and digits; typed
back in any form on any page; a wrong digit named at once without a look-up; a receipt never lost to a language."""

from __future__ import annotations

import hashlib
import re

import pytest

import crypto
from app.web.application import create_app
from app.web.i18n import LANGUAGES
from app.web.state import state_of
from crypto.codename import damm
from tests.helpers import approve, hidden_fields, ids_by_pseudonym, page_text, send_canned_messages, valid_answers

NOT_FOUND = "We could not find a registration with this secret code."
WRITE_IT_DOWN = {
    "en": "Write down your secret code now",
    "es": "Anote ahora su código secreto",
    "fr": "Notez maintenant votre code secret",
    "ru": "Запишите свой секретный код прямо сейчас",
    "ar": "يُرجى كتابة رمزك السري الآن",
    "fa": "همین حالا رمز محرمانهٔ خود را یادداشت کنید",
}
GROUP_3_MISTAKE = {
    "en": "Group 3 of your secret code has a mistake.",
    "ru": "В группе 3 вашего секретного кода есть ошибка.",
    "ar": "في المجموعة ٣ من رمزك السري خطأ.",
}


def _receipt(client, lang: str):
    tokens = hidden_fields(page_text(client.get(f"/register?lang={lang}")))
    return client.post(f"/register?lang={lang}", data={**tokens, **valid_answers()})


def _shown(html: str, element_id: str) -> str:
    return re.search(rf'id="{element_id}"[^>]*>([^<]+)<', html).group(1)


def _status(client, codename: str, lang: str = "en", path: str = "/status", **extra: str):
    csrf = hidden_fields(page_text(client.get(f"/status?lang={lang}")))["csrf_token"]
    return client.post(f"{path}?lang={lang}", data={"csrf_token": csrf, "codename": codename, **extra})


def _main(html: str) -> str:
    return html[html.index("<main>") + len("<main>") : html.index("</main>")].strip()


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_receipt_says_first_to_write_the_secret_code_down_and_that_nobody_will_ask_for_it(client, lang):
    html = page_text(_receipt(client, lang))
    assert _main(html).startswith(f"<h1>{WRITE_IT_DOWN[lang]}</h1>")
    digits = _shown(html, "codename-digits" if lang in crypto.CODENAME_LANGUAGES else "codename")
    script = {"ar": "\u0660-\u0669", "fa": "\u06f0-\u06f9"}.get(lang, "0-9")
    assert re.fullmatch(rf"([{script}]{{4}} ){{8}}[{script}]{{4}}", digits), digits
    if lang in crypto.CODENAME_LANGUAGES:
        words = _shown(html, "codename")
        assert crypto.parse_codename(words) == crypto.parse_codename(digits)
        assert words == crypto.as_words(crypto.parse_codename(digits), lang)


def test_a_codename_shown_in_russian_words_typed_in_digits_on_the_english_status_page_finds_the_registration(client):
    html = page_text(_receipt(client, "ru"))
    words, pseudonym = _shown(html, "codename"), _shown(html, "pseudonym")
    assert re.fullmatch(r"[а-яё ]+", words), "the words are Russian"
    digits = crypto.as_digits(crypto.parse_codename(words))
    response = _status(client, digits.replace(" ", "-"), "en")
    assert response.status_code == 200 and _shown(page_text(response), "pseudonym") == pseudonym


def test_persian_digits_typed_on_the_arabic_status_page_find_the_registration(client):
    html = page_text(_receipt(client, "fa"))
    persian, pseudonym = _shown(html, "codename"), _shown(html, "pseudonym")
    assert re.fullmatch(r"[\u06f0-\u06f9 ]+", persian)
    response = _status(client, persian, "ar")
    assert response.status_code == 200 and _shown(page_text(response), "pseudonym") == pseudonym


def test_english_words_made_as_before_find_the_registration_and_open_its_messages(app, client):
    """The English words hash as they did before codenames had other forms, and open the messages sealed to them."""
    html = page_text(_receipt(client, "en"))
    words, pseudonym = _shown(html, "codename"), _shown(html, "pseudonym")
    lookup_key = state_of(app).instance.secrets.codename_lookup_key
    as_before = hashlib.blake2b(words.encode(), key=lookup_key, person=b"gh.codename", digest_size=16).digest()
    assert crypto.registration_id_for(as_before) == ids_by_pseudonym(app)[pseudonym]
    registration_id = ids_by_pseudonym(app)[pseudonym]
    approve(app, registration_id)
    send_canned_messages(app, registration_id)
    for typed in (words, crypto.as_digits(crypto.parse_codename(words), "arabic")):
        shown = page_text(_status(client, typed))
        assert shown.count('class="message"') == 3 and 'id="no-messages"' not in shown, typed


@pytest.mark.parametrize("lang", list(GROUP_3_MISTAKE))
def test_a_mistyped_digit_is_named_by_its_group_in_the_persons_language_and_changes_nothing(app, client, lang):
    html = page_text(_receipt(client, "en"))
    script = crypto.DIGIT_SCRIPTS[{"ar": "arabic"}.get(lang, "latin")]
    digits = crypto.as_digits(crypto.parse_codename(_shown(html, "codename")), {"ar": "arabic"}.get(lang, "latin"))
    mistyped = digits[:11] + script[(script.index(digits[11]) + 1) % 10] + digits[12:]  # the 2nd digit of group 3
    for path, extra in (("/status", {}), ("/status/withdraw", {"confirm": "y"})):
        response = _status(client, mistyped, lang, path, **extra)
        assert response.status_code == 400 and GROUP_3_MISTAKE[lang] in page_text(response), path
    assert len(ids_by_pseudonym(app)) == 1, "the withdrawal with a mistyped digit destroyed nothing"


def test_a_mistyped_digit_is_decided_without_a_look_up(demo_instance):
    """The same answer whether the code belongs to a registration or to nobody, and no guess spent: an oracle-free
    check, which a flood of typos cannot turn into a lock-out either."""
    client = create_app({"INSTANCE_DIR": demo_instance.path, "CODENAME_FAILURES_PER_MINUTE": 3}).test_client()
    registered = crypto.as_digits(crypto.parse_codename(_shown(page_text(_receipt(client, "en")), "codename")))
    nobody = crypto.as_digits(crypto.parse_codename(crypto.codename_for_submission(bytes(32), "B" * 43)))

    def answer(digits: str) -> str:
        flipped = str((int(digits[6]) + 5) % 10)
        return re.sub(r'name="csrf_token"[^>]*>', "", page_text(_status(client, digits[:6] + flipped + digits[7:])))

    assert answer(registered) == answer(nobody)
    for _ in range(10):
        assert "Group 2 of your secret code has a mistake." in answer(nobody)
    assert _status(client, crypto.as_words(12345)).status_code == 400, "no guess was spent on the typos"
    assert _status(client, registered).status_code == 200


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_changing_language_on_the_receipt_shows_the_same_receipt_with_its_codename(client, lang):
    first = page_text(_receipt(client, "ru"))
    number, pseudonym = crypto.parse_codename(_shown(first, "codename")), _shown(first, "pseudonym")
    form = first[first.index("<nav") : first.index("</nav>")]
    button = re.search(rf'formaction="([^"]+)" lang="{lang}"', form).group(1).replace("&amp;", "&")
    carried = re.search(r'name="codename" value="([^"]+)"', form).group(1)
    again = client.post(button, data={"codename": carried})
    html = page_text(again)
    assert again.status_code == 200 and f'<html lang="{lang}"' in html
    assert _main(html).startswith(f"<h1>{WRITE_IT_DOWN[lang]}</h1>")
    assert crypto.parse_codename(_shown(html, "codename")) == number and _shown(html, "pseudonym") == pseudonym


def test_the_receipt_asked_again_with_an_unknown_codename_shows_nothing_and_spends_a_guess(demo_instance):
    """Asking for a receipt again is a look-up like /status: the same one budget of failures guards both."""
    client = create_app({"INSTANCE_DIR": demo_instance.path, "CODENAME_FAILURES_PER_MINUTE": 3}).test_client()
    for _ in range(3):
        response = client.post("/register/receipt?lang=en", data={"codename": crypto.as_words(12345)})
        html = page_text(response)
        assert response.status_code == 400 and NOT_FOUND in html and 'class="secret"' not in html
    assert _status(client, crypto.as_words(12346)).status_code == 429


def test_a_receipt_that_withheld_its_codename_changes_language_without_one(client):
    response = client.post("/register/receipt?lang=fr", data={})
    html = page_text(response)
    assert response.status_code == 200 and 'id="withheld"' in html and 'class="secret"' not in html


def _too_large() -> str:
    """Nine well-checked groups whose number is past 88 bits: digits that pass every check yet are no codename."""
    return " ".join("999" + str(damm([9, 9, 9])) for _ in range(9))


@pytest.mark.parametrize(
    "typed",
    ["x" * 299, "\x00" * 8, "١٢٣٤ abcd", "----", "🙂 " * 8, "é" * 40, "1" * 300, "0" * 36],
)
def test_any_text_as_a_secret_code_gets_a_sentence_and_a_400_never_a_500(client, typed):
    for response in (
        _status(client, typed),
        _status(client, typed, path="/status/withdraw", confirm="y"),
        client.post("/register/receipt", data={"codename": typed}),
    ):
        assert response.status_code == 400 and 'role="alert"' in page_text(response), typed


def test_digits_past_88_bits_are_no_secret_code(client):
    assert damm([int(d) for d in _too_large().replace(" ", "")[:4]]) == 0
    with pytest.raises(crypto.InvalidCodename):
        crypto.parse_codename(_too_large())
    assert _status(client, _too_large()).status_code == 400
