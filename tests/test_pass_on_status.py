"""The pass on /status: shown once approved, the same on every visit, naming nobody, new after re-issuing."""

from __future__ import annotations

import re

from app.checkin import passes
from app.instance.folder import opened
from app.web.state import state_of
from crypto import passes as pass_crypto
from tests.helpers import (
    PAGE_BUDGET_BYTES,
    approve,
    form_on,
    hidden_fields,
    ids_by_pseudonym,
    page_text,
    valid_answers,
)


def register(client) -> tuple[str, str]:
    tokens = hidden_fields(client.get("/register").get_data(as_text=True))
    html = client.post("/register", data={**tokens, **valid_answers()}).get_data(as_text=True)
    pseudonym = re.search(r'id="pseudonym"[^>]*>([^<]+)<', html).group(1)
    return pseudonym, re.search(r'id="codename"[^>]*>([^<]+)<', html).group(1)


def status(client, codename: str, lang: str = "en") -> str:
    """The status page, and once approved the pass page its button leads to."""
    tokens = hidden_fields(client.get(f"/status?lang={lang}").get_data(as_text=True))
    response = client.post(f"/status?lang={lang}", data={"csrf_token": tokens["csrf_token"], "codename": codename})
    assert response.status_code == 200
    if 'action="/status/pass' not in page_text(response):
        return page_text(response)
    action, tokens = form_on(page_text(response), "/status/pass")
    shown = client.post(action, data=tokens)
    assert shown.status_code == 200
    return page_text(shown)


def code_on(html: str) -> str | None:
    found = re.search(r'id="pass-code"[^>]*>([^<]+)<', html)
    return found.group(1) if found else None


def test_no_pass_before_approval_and_the_same_pass_on_every_visit_after(app, client):
    pseudonym, codename = register(client)
    assert code_on(status(client, codename)) is None
    approve(app, ids_by_pseudonym(app)[pseudonym])
    first = status(client, codename)
    code = code_on(first)
    assert code is not None and code == code_on(status(client, codename))
    assert "<svg" in first and "<script" not in first


def test_the_pass_carries_no_pseudonym_name_or_registration_id(app, client):
    pseudonym, codename = register(client)
    registration_id = ids_by_pseudonym(app)[pseudonym]
    approve(app, registration_id)
    instance = state_of(app).instance
    shown = code_on(status(client, codename))
    with opened(instance.path) as (_instance, connection):
        raw = connection.execute("SELECT pass FROM passes").fetchone()[0]
    found = pass_crypto.verify_pass(passes_public_key(instance.path), instance.event.id, raw)
    # The code printed is the pass id in 17 characters and fewer than 32 printed; the QR code holds the whole pass.
    assert shown is not None and len(shown) <= 32 and pass_crypto.read_short_code(shown) == found.pass_id
    # What it holds, byte for byte: version, event tag, a random id, the event's days, the signature.
    assert raw[:5] == b"\x01" + pass_crypto.event_tag(instance.event.id)
    assert (found.first_day, found.last_day) == (instance.event.starts, instance.event.ends)
    for personal in (pseudonym.encode(), bytes.fromhex(registration_id), registration_id.encode()):
        assert personal not in raw
    with opened(instance.path) as (_instance, connection):
        assert connection.execute("SELECT registration_id FROM passes").fetchone()[0] == registration_id


def passes_public_key(path) -> bytes:
    with opened(path) as (_instance, connection):
        return passes.public_key(connection)


def test_reissuing_revokes_the_old_pass_and_shows_a_new_one(app, client):
    pseudonym, codename = register(client)
    approve(app, ids_by_pseudonym(app)[pseudonym])
    old = code_on(status(client, codename))
    instance = state_of(app).instance
    with opened(instance.path) as (_instance, connection):
        passes.reissue(connection, instance.event, pseudonym, "ana")
        states = passes.states(connection, instance.event)
        assert connection.execute("SELECT action FROM audit_log ORDER BY seq DESC").fetchone()[0] == "pass reissued"
    new = code_on(status(client, codename))
    assert new is not None and new != old
    assert states[pass_crypto.pass_tag(pass_crypto.read_short_code(old))].revoked


def test_a_pass_page_token_is_good_once(app, client):
    pseudonym, codename = register(client)
    approve(app, ids_by_pseudonym(app)[pseudonym])
    tokens = hidden_fields(client.get("/status").get_data(as_text=True))
    page = client.post("/status", data={"csrf_token": tokens["csrf_token"], "codename": codename})
    action, tokens = form_on(page_text(page), "/status/pass")
    assert client.post(action, data=tokens).status_code == 200
    again = client.post(action, data=tokens)
    assert again.status_code == 400 and code_on(page_text(again)) is None
    assert client.post(action, data={**tokens, "record": "forged"}).status_code == 400


def test_the_pass_page_fits_the_budget_in_every_language(app, client):
    pseudonym, codename = register(client)
    approve(app, ids_by_pseudonym(app)[pseudonym])
    for lang in ("en", "es", "fr", "ru", "ar", "fa"):
        html = status(client, codename, lang)
        assert code_on(html) is not None
        assert len(html.encode()) <= PAGE_BUDGET_BYTES, (lang, len(html.encode()))
