"""Details asked only after approval: sealed into the same record, and only ever into one's own."""

from __future__ import annotations

import re

import crypto
from app.keys import keyring
from app.registrations.lifecycle import decide
from app.registrations.records import load_record, open_record
from app.web.state import state_of
from tests.helpers import FOLLOW_UP, approve, ids_by_pseudonym
from tests.test_status_and_withdrawal import _register, _status


def _opened(app, demo_instance, registration_id):
    instance = state_of(app).instance
    connection = instance.connect()
    try:
        recovery = crypto.private_key_from_recovery_words(" ".join(demo_instance.recovery_words))
        keys = keyring.keys_from_recovery(connection, instance.event.id, recovery)
        return open_record(instance.event.id, load_record(connection, registration_id), keys)
    finally:
        connection.close()


def _send_follow_up(client, status_html, values=FOLLOW_UP, record=None):
    form = status_html.split('action="/status/follow-up')[1]
    csrf_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    record_token = record or re.search(r'name="record"[^>]*value="([^"]+)"', form).group(1)
    return client.post("/status/follow-up", data={"csrf_token": csrf_token, "record": record_token, **values})


def test_follow_up_is_offered_only_after_approval_and_sealed_into_the_same_record(app, client, demo_instance):
    pseudonym, codename = _register(client)
    registration_id = ids_by_pseudonym(app)[pseudonym]
    assert "/status/follow-up" not in _status(client, codename).get_data(as_text=True)
    approve(app, registration_id)
    status_html = _status(client, codename).get_data(as_text=True)
    assert 'name="passport_number"' in status_html
    assert len(status_html.encode()) <= 12 * 1024, "the largest participant page stays within its budget"
    assert "<script" not in status_html
    response = _send_follow_up(client, status_html)
    assert response.status_code == 200 and "your details are in" in response.get_data(as_text=True)
    opened = _opened(app, demo_instance, registration_id)
    assert opened["visa"] == {k: FOLLOW_UP[k] for k in ("passport_name", "passport_number", "passport_expiry")}
    assert opened["travel"] == {k: FOLLOW_UP[k] for k in ("arrival_date", "travel_from")}
    assert opened["identity"]["full_name"], "the registration's own values are still there"


def test_sending_again_replaces_the_details_and_their_keys(app, client, demo_instance):
    pseudonym, codename = _register(client)
    registration_id = ids_by_pseudonym(app)[pseudonym]
    approve(app, registration_id)
    _send_follow_up(client, _status(client, codename).get_data(as_text=True))
    corrected = {**FOLLOW_UP, "passport_number": "QZX7FIXED93"}
    _send_follow_up(client, _status(client, codename).get_data(as_text=True), corrected)
    assert _opened(app, demo_instance, registration_id)["visa"]["passport_number"] == "QZX7FIXED93"
    connection = state_of(app).instance.connect()
    try:
        keys = connection.execute(
            "SELECT compartment, count(*) FROM data_keys WHERE registration_id = ? GROUP BY compartment",
            (registration_id,),
        ).fetchall()
    finally:
        connection.close()
    assert dict(keys)["visa"] == 1, "the first follow-up's data key went with its values"


def test_a_follow_up_form_cannot_reach_another_record(app, client, demo_instance):
    mine, my_codename = _register(client)
    theirs, _their_codename = _register(client)
    ids = ids_by_pseudonym(app)
    approve(app, ids[mine])
    approve(app, ids[theirs])
    status_html = _status(client, my_codename).get_data(as_text=True)
    token = re.search(r'name="record"[^>]*value="([^"]+)"', status_html).group(1)
    forged = token.replace(token[2], "A" if token[2] != "A" else "B", 1)
    response = _send_follow_up(client, status_html, record=forged)
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert "visa" not in _opened(app, demo_instance, ids[theirs])
    assert "visa" not in _opened(app, demo_instance, ids[mine])


def test_follow_up_bad_input_is_refused_and_nothing_stored(app, client, demo_instance):
    pseudonym, codename = _register(client)
    registration_id = ids_by_pseudonym(app)[pseudonym]
    approve(app, registration_id)
    response = _send_follow_up(
        client,
        _status(client, codename).get_data(as_text=True),
        {**FOLLOW_UP, "passport_expiry": "next year", "passport_number": ""},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please give a date" in html and "Please fill in this field." in html
    assert "visa" not in _opened(app, demo_instance, registration_id)


def test_a_follow_up_for_a_record_no_longer_approved_is_refused(app, client, demo_instance):
    pseudonym, codename = _register(client)
    registration_id = ids_by_pseudonym(app)[pseudonym]
    approve(app, registration_id)
    status_html = _status(client, codename).get_data(as_text=True)
    connection = state_of(app).instance.connect()
    try:
        decide(connection, state_of(app).instance.event.id, registration_id, "rejected", "ana")
    finally:
        connection.close()
    response = _send_follow_up(client, status_html)
    assert response.status_code == 400 and "only once you are accepted" in response.get_data(as_text=True)
    assert "visa" not in _opened(app, demo_instance, registration_id)
