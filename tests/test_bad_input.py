"""Every bad input gets a clear message on the same page, keeps what was typed, and stores nothing."""

from __future__ import annotations

import time

import pytest

from app.web.application import create_app
from app.web.state import state_of
from tests.helpers import hidden_fields, valid_answers

NOTHING_STORED = "Nothing was stored yet"


def _tokens(client):
    return hidden_fields(client.get("/register").get_data(as_text=True))


def _registrations(app) -> int:
    connection = state_of(app).instance.connect()
    try:
        return connection.execute("SELECT count(*) FROM registrations").fetchone()[0]
    finally:
        connection.close()


def _refused(response, app, message: str) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == 400, html
    assert NOTHING_STORED in html
    assert message in html
    assert _registrations(app) == 0
    return html


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"full_name": "x" * 121}, "Please keep this to at most 120 characters."),
        ({"full_name": ""}, "Please fill in this field."),
        ({"country": "   "}, "Please fill in this field."),
        ({"track": ""}, "Please choose one of the options."),
        ({"track": "knitting"}, "Please choose one of the options."),
        ({"consent": ""}, "To register, please tick this box."),
        ({"organisation": "bad\x00byte"}, "characters that could not be read"),
    ],
)
def test_bad_value_is_refused_with_its_message_and_the_rest_kept(client, app, change, message):
    answers = {**valid_answers(organisation="Kept Collective"), **change}
    if "organisation" in change:
        answers["full_name"] = "Kept Name"
    response = client.post("/register", data={**_tokens(client), **answers})
    html = _refused(response, app, message)
    assert "Kept Name" in html or "Kept Collective" in html


def test_invalid_utf8_is_refused_with_a_message(client, app):
    tokens = _tokens(client)
    body = "&".join(f"{key}={value}" for key, value in {**tokens, **valid_answers()}.items() if key != "full_name")
    body = (body + "&full_name=Ana%FF%FEExample").encode("ascii")
    response = client.post("/register", data=body, content_type="application/x-www-form-urlencoded")
    _refused(response, app, "characters that could not be read")


def test_missing_csrf_token_is_refused_and_answers_kept(client, app):
    tokens = _tokens(client)
    response = client.post(
        "/register", data={"submission": tokens["submission"], **valid_answers(full_name="Kept Name")}
    )
    html = _refused(response, app, "security check")
    assert "Kept Name" in html
    assert hidden_fields(html)["csrf_token"], "a fresh token is offered to send again"


def test_stale_csrf_token_is_refused_then_the_form_goes_through(demo_instance):
    app = create_app({"INSTANCE_DIR": demo_instance.path, "WTF_CSRF_TIME_LIMIT": 1})
    client = app.test_client()
    tokens = _tokens(client)
    time.sleep(2.1)
    html = _refused(
        client.post("/register", data={**tokens, **valid_answers(full_name="Kept Name")}), app, "open too long"
    )
    assert "Kept Name" in html
    again = client.post("/register", data={**hidden_fields(html), **valid_answers()})
    assert again.status_code == 200 and _registrations(app) == 1


def test_forged_submission_token_is_refused_and_replaced(client, app):
    tokens = {**_tokens(client), "submission": "not-a-token"}
    html = _refused(client.post("/register", data={**tokens, **valid_answers()}), app, "could not be matched")
    assert hidden_fields(html)["submission"] != "not-a-token"


def test_ten_megabyte_post_is_refused_with_413_before_parsing(client, app):
    response = client.post(
        "/register", data=b"x" * (10 * 1024 * 1024), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert "far too large" in response.get_data(as_text=True)
    assert _registrations(app) == 0


@pytest.mark.parametrize("path", ["/nowhere", "/register?lang=%00", "/%FF"])
def test_odd_addresses_get_a_page_not_a_traceback(client, path):
    response = client.get(path)
    assert response.status_code in (200, 404)
    assert "Traceback" not in response.get_data(as_text=True)


def test_wrong_method_gets_a_clear_page(client):
    response = client.delete("/register")
    assert response.status_code == 405
    assert "cannot be used that way" in response.get_data(as_text=True)
