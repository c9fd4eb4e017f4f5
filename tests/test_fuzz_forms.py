"""Property-based: no input to any form leads to a 500, a traceback, or a half-written record."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.events.definition import demo_event_source
from app.instance.setup import create_instance
from app.web.application import create_app
from app.web.state import state_of
from tests.helpers import hidden_fields, valid_answers
from tests.staff_fixtures import ROSTER, csrf, login, make_team

EXAMPLES = int(os.environ.get("GATEHOUSE_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text a browser could send: any character that UTF-8 can carry (lone surrogates cannot be encoded).
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
NAMES = ["csrf_token", "submission", "invitation", "consent", "codename", "reason", "decision", "username",
         "passphrase", "code", "event_id", "grant-compartment", "grant-username", *valid_answers()]  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "instance"
    words = create_instance(path, demo_event_source())
    team = make_team(path, words, ROSTER)
    app = create_app({"INSTANCE_DIR": path, "TESTING": True})
    return app, team


def _stored_records_are_whole(app) -> int:
    """Every stored registration holds all its registration fields: none was written half-way."""
    connection = state_of(app).instance.connect()
    try:
        expected = len(state_of(app).instance.event.registration_fields())
        counts = [n for (n,) in connection.execute("SELECT count(*) FROM field_values GROUP BY registration_id")]
        assert all(n >= expected for n in counts)
        return connection.execute("SELECT count(*) FROM registrations").fetchone()[0]
    finally:
        connection.close()


def _answered_sanely(response) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code < 500, body[:500]
    assert "Traceback" not in body and 'File "' not in body


PARTICIPANT_POSTS = ["/register", "/status", "/status/follow-up", "/status/withdraw"]


@FUZZ
@given(
    path=st.sampled_from(PARTICIPANT_POSTS),
    fields=st.dictionaries(st.sampled_from(NAMES), TEXT),
    real_tokens=st.booleans(),
)
def test_participant_forms_survive_any_fields(site, path, fields, real_tokens):
    app, _team = site
    client = app.test_client()
    if real_tokens:
        fields = {**fields, **hidden_fields(client.get("/register").get_data(as_text=True))}
    before = _stored_records_are_whole(app)
    response = client.post(path, data=fields)
    _answered_sanely(response)
    after = _stored_records_are_whole(app)
    if path != "/register" or response.status_code != 200:
        assert after == before


@FUZZ
@given(path=st.sampled_from(PARTICIPANT_POSTS), body=st.binary(max_size=2000))
def test_participant_forms_survive_any_bytes(site, path, body):
    app, _team = site
    response = app.test_client().post(path, data=body, content_type="application/x-www-form-urlencoded")
    _answered_sanely(response)


@FUZZ
@given(answers=st.fixed_dictionaries({key: TEXT for key in valid_answers()}))
def test_a_registration_is_stored_whole_or_not_at_all(site, answers):
    app, _team = site
    client = app.test_client()
    tokens = hidden_fields(client.get("/register").get_data(as_text=True))
    before = _stored_records_are_whole(app)
    response = client.post("/register", data={**tokens, **answers})
    _answered_sanely(response)
    after = _stored_records_are_whole(app)
    assert after == before + (1 if response.status_code == 200 else 0)


STAFF_POSTS = ["/staff/login", "/staff/grants", "/staff/export", "/staff/wipe", "/staff/audit/export", "/staff/logout"]


@FUZZ
@given(
    path=st.sampled_from(STAFF_POSTS), fields=st.dictionaries(st.sampled_from(NAMES), TEXT), with_token=st.booleans()
)
def test_staff_forms_survive_any_fields(site, path, fields, with_token):
    app, team = site
    client = app.test_client()
    if with_token:
        fields = {**fields, "csrf_token": csrf(client, "/staff/login")}
    _answered_sanely(client.post(path, data=fields))
    assert (state_of(app).instance.path / "gatehouse.db").exists()


def test_a_logged_in_admin_fuzzing_the_wipe_form_destroys_nothing(site):
    """The one form whose success is irreversible: random input never passes it."""
    app, team = site
    client = app.test_client()
    login(client, team["root"])

    @FUZZ
    @given(fields=st.dictionaries(st.sampled_from(["event_id", "passphrase", "code"]), TEXT))
    def attempt(fields):
        response = client.post("/staff/wipe", data={**fields, "csrf_token": csrf(client, "/staff/wipe")})
        _answered_sanely(response)
        assert (state_of(app).instance.path / "gatehouse.db").exists()

    attempt()
