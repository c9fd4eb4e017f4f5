"""Capacity: once every place is approved, staff cannot approve more and newcomers are waitlisted."""

from __future__ import annotations

import pytest

from app.events.definition import demo_event_source
from app.instance.setup import create_instance
from app.registrations.lifecycle import CapacityReached, decide
from app.web.application import create_app
from app.web.state import state_of
from tests.staff_fixtures import ROSTER, csrf, login, make_team
from tests.test_status_and_withdrawal import _register, _status


@pytest.fixture
def small_event(tmp_path):
    path = tmp_path / "small"
    words = create_instance(path, demo_event_source().replace("capacity = 220", "capacity = 1"))
    app = create_app({"INSTANCE_DIR": path})
    return app, make_team(path, words, ROSTER)


def _ids(app):
    connection = state_of(app).instance.connect()
    try:
        return [row[0] for row in connection.execute("SELECT id FROM registrations ORDER BY id")]
    finally:
        connection.close()


def test_approvals_beyond_capacity_are_refused_with_a_clear_message(small_event):
    app, team = small_event
    client = app.test_client()
    _register(client)
    _register(client)
    first, second = sorted(_ids(app))
    login(client, team["ana"])
    for registration_id, expected in ((first, 303), (second, 409)):
        token = csrf(client, f"/staff/registrations/{registration_id}")
        response = client.post(
            f"/staff/registrations/{registration_id}/decision", data={"csrf_token": token, "decision": "approved"}
        )
        assert response.status_code == expected
    assert "All 1 places are taken" in response.get_data(as_text=True)
    connection = state_of(app).instance.connect()
    try:
        assert connection.execute("SELECT status FROM registrations WHERE id = ?", (second,)).fetchone() == (
            "submitted",
        )
        with pytest.raises(CapacityReached):
            decide(connection, state_of(app).instance.event.id, second, "approved", "ana", capacity=1)
        decide(connection, state_of(app).instance.event.id, second, "waitlisted", "ana", capacity=1)
    finally:
        connection.close()


def test_once_full_newcomers_are_waitlisted_and_told_so(small_event):
    app, _team = small_event
    client = app.test_client()
    _register(client)
    (first,) = _ids(app)
    connection = state_of(app).instance.connect()
    try:
        decide(connection, state_of(app).instance.event.id, first, "approved", "ana", capacity=1)
    finally:
        connection.close()
    from tests.helpers import hidden_fields, valid_answers

    tokens = hidden_fields(client.get("/register").get_data(as_text=True))
    html = client.post("/register", data={**tokens, **valid_answers()}).get_data(as_text=True)
    assert 'id="waitlisted"' in html and "waiting list" in html
    codename = html.split('id="codename"')[1].split(">")[1].split("<")[0]
    assert "You are on the waiting list." in _status(client, codename).get_data(as_text=True)
