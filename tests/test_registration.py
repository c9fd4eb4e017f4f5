"""Registering through the participant pages, against a real SQLCipher instance."""

from __future__ import annotations

import re

import crypto
from app.registrations.records import load_record
from app.web.state import state_of
from tests.helpers import dump_database, hidden_fields, valid_answers


def _form_page(client, path="/register"):
    page = client.get(path)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _register(client, answers=None, tokens=None):
    tokens = tokens or hidden_fields(_form_page(client))
    return client.post("/register", data={**tokens, **(answers or valid_answers())}), tokens


def _count(app, table="registrations"):
    with app.app_context():
        connection = state_of(app).instance.connect()
        try:
            return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        finally:
            connection.close()


def _shown(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]+)<', html)
    assert match, f"no element with id={element_id}"
    return match.group(1).strip()


def test_index_says_what_is_collected_why_and_for_how_long(client):
    html = _form_page(client, "/")
    for text in ("Stockholm Defenders Forum 2027", "Nordic Defenders Network", "Passport number", "the visa team"):
        assert text in html
    assert "Destroyed on" in html
    assert "May 7, 2027" in html  # passport data is destroyed on the event's last day (0 days after)


def test_register_page_has_every_registration_field_consent_and_csrf(client, app):
    html = _form_page(client)
    event = state_of(app).instance.event
    for field in event.registration_fields():
        assert f'name="{field.key}"' in html
    for field in event.fields:
        if field.after_approval:
            assert f'name="{field.key}"' not in html, "follow-up fields wait for approval"
    assert 'name="consent"' in html
    tokens = hidden_fields(html)
    assert tokens["csrf_token"] and crypto.is_submission_token(tokens["submission"])


def test_two_requests_make_a_registration_showing_pseudonym_and_codename(client, app):
    response, _tokens = _register(client)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    pseudonym = _shown(html, "pseudonym")
    codename = _shown(html, "codename")
    assert re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+ \d\d", pseudonym)
    assert len(codename.split()) == crypto.CODENAME_WORD_COUNT
    assert "Write down your secret code now" in html
    assert _count(app) == 1


def test_resent_form_is_stored_once_and_shows_the_same_receipt(client, app):
    first, tokens = _register(client)
    again, _ = _register(client, tokens=tokens)
    assert again.status_code == 200
    first_html, again_html = first.get_data(as_text=True), again.get_data(as_text=True)
    assert _shown(again_html, "pseudonym") == _shown(first_html, "pseudonym")
    assert _shown(again_html, "codename") == _shown(first_html, "codename")
    assert "stored once" in again_html
    assert _count(app) == 1
    assert _count(app, "data_keys") == len({f.compartment for f in state_of(app).instance.event.registration_fields()})


def test_different_forms_make_different_records_with_different_codenames(client, app):
    first, _ = _register(client)
    second, _ = _register(client)
    assert _shown(first.get_data(as_text=True), "codename") != _shown(second.get_data(as_text=True), "codename")
    assert _count(app) == 2


def test_stored_codename_is_only_a_keyed_hash(client, app):
    response, _ = _register(client)
    codename = _shown(response.get_data(as_text=True), "codename")
    instance = state_of(app).instance
    connection = instance.connect()
    try:
        (stored,) = connection.execute("SELECT codename_lookup FROM registrations").fetchone()
        dump = dump_database(connection).decode("utf-8", "replace")
    finally:
        connection.close()
    assert stored == crypto.codename_lookup(instance.secrets.codename_lookup_key, codename)
    # Not even two of its words together: one word alone may well be in the event's own texts ("food").
    assert codename not in dump and " ".join(codename.split()[:2]) not in dump


def test_every_registration_field_is_sealed_even_when_left_empty(client, app):
    _register(client, valid_answers(access_needs="", safety_notes=""))
    instance = state_of(app).instance
    connection = instance.connect()
    try:
        registration_id, day = connection.execute("SELECT id, submitted_day FROM registrations").fetchone()
        record = load_record(connection, registration_id)
    finally:
        connection.close()
    stored = {key for _generation, part in record.parts for key in part.ciphertexts}
    assert stored == {field.key for field in instance.event.registration_fields()}
    sizes = {len(ciphertext) for _generation, part in record.parts for ciphertext in part.ciphertexts.values()}
    assert sizes == {1 + 24 + 32 + 16}, "short and empty values share one size bucket"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", day), "only the day of submission is stored"


def test_a_form_whose_registration_was_withdrawn_on_a_kit_after_its_sync_asks_to_be_sent_anew(client, app):
    # On a field kit, a withdrawal that a bundle must still carry names the registration's id, which is
    # derived from the form's codename: sending that same form again must not make a record the
    # withdrawal would then destroy at the central instance.
    tokens = hidden_fields(_form_page(client))
    instance = state_of(app).instance
    codename = crypto.codename_for_submission(instance.secrets.receipt_key, tokens["submission"])
    registration_id = crypto.registration_id_for(crypto.codename_lookup(instance.secrets.codename_lookup_key, codename))
    connection = instance.connect()
    try:
        connection.execute("INSERT INTO kit_withdrawals (registration_id) VALUES (?)", (registration_id,))
    finally:
        connection.close()
    refused, _ = _register(client, tokens=tokens)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "later withdrawn" in html
    assert _count(app) == 0
    fresh = hidden_fields(html)
    assert crypto.is_submission_token(fresh["submission"]) and fresh["submission"] != tokens["submission"]
    sent_again, _ = _register(client, tokens=fresh)
    assert sent_again.status_code == 200 and _count(app) == 1
